// The API's objects as the console reads them (openapi.yaml is the
// contract; these name only the fields the pages use).

export type Plan = "free" | "pro" | "business" | "enterprise";
export type Limit = number | null;

export interface Me {
  id: string;
  email: string;
  name: string;
  active_organization_id: string | null;
  active_project_id: string | null;
}

export interface Limits {
  members: Limit;
  projects: Limit;
  api_keys: Limit;
  apps: Limit;
  roles: Limit;
}

export interface Measure {
  resource: string;
  usage: number;
  limit: number;
}

export interface Organization {
  id: string;
  name: string;
  slug: string;
  description: string;
  logo_url: string | null;
  billing_email: string | null;
  billing?: BillingDetails;
  plan: Plan;
  member_count: number;
  pending_invitation_count: number;
  project_count: number;
  api_key_count: number;
  app_count: number;
  wallet_status: "active" | "missing";
  limits: Limits;
  warnings?: Measure[];
  version: number;
}

export interface BillingDetails {
  email: string | null;
  company_name: string | null;
  address: { line1: string; line2: string | null; city: string | null; postal_code: string | null; state: string | null; country: string } | null;
  tax_id: { type: string; value: string } | null;
}

export interface MyOrganization extends Organization {
  role: string;
  /** What the caller's role grants here. */
  permissions: string[];
}

export interface Project {
  id: string;
  name: string;
  description: string;
  api_key_count: number;
  created_by: string;
  updated_at: string;
  version: number;
}

export interface Member {
  user_id: string;
  name: string;
  email: string;
  role: string;
  role_expires_at: string | null;
  status: "active" | "inactive";
  last_login_at: string | null;
  joined_at: string;
  version: number;
}

export interface Role {
  id: string;
  name: string;
  description: string;
  level: number;
  permissions: string[];
  built_in: boolean;
  member_count: number;
  invitation_count: number;
  can_assign: boolean;
  can_edit: boolean;
}

export interface RoleList {
  data: Role[];
  next_cursor: string | null;
}

export interface PermissionGroup {
  name: string;
  permissions: string[];
}

export interface Invitation {
  id: string;
  email: string;
  name: string | null;
  role: string;
  status: string;
  inviter_name: string;
  expires_at: string;
  send_count: number;
}

export interface InvitationPreview {
  organization_name: string;
  inviter_name: string;
  role: string;
  status: "pending" | "accepted" | "declined" | "revoked" | "expired";
  expires_at: string;
}

export interface APIKey {
  id: string;
  name: string;
  type: "standard" | "ai_agent";
  prefix: string;
  last_four: string;
  project_id: string | null;
  permissions: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  status: "active" | "rotating" | "revoked" | "expired";
}

export interface APIKeyWithSecret extends APIKey {
  secret: string;
}

export interface AppPricing {
  monthly: number;
  annual: number;
  one_time: number;
  lifetime: number;
}

export interface AppEnvVar {
  key: string;
  description: string;
  required: boolean;
  secret: boolean;
  default: string | null;
}

export interface AppTemplate {
  id: string;
  name: string;
  description: string;
  category: string;
  pricing: AppPricing;
  trial_days: number;
  env: AppEnvVar[];
}

export interface AppInstance {
  id: string;
  template_id: string;
  name: string;
  status: "running" | "stopped";
  health: "healthy" | "unavailable";
  stop_reason: string | null;
  env: Record<string, string>;
  last_active_at: string;
  trial_ends_at: string | null;
  billing?: string | null;
  version: number;
}

export interface AppLogEntry {
  id: string;
  event: string;
  reason: string | null;
  created_at: string;
}

export interface Wallet {
  balance: number;
  currency: string;
  status: "active" | "missing";
  low_balance_threshold?: number;
}

export interface WalletTransaction {
  id: string;
  type: "top_up" | "charge";
  amount: number;
  delta: number;
  reference: string | null;
  description: string | null;
  created_at: string;
}

export interface PlanInfo {
  id: Plan;
  name: string;
  price: number;
  limits: Limits;
}

export interface Subscription {
  plan: Plan;
  status: "active" | "past_due" | "over_limit";
  price: number;
  current_period_end: string | null;
  pending_plan: Plan | null;
  pending_plan_at: string | null;
  grace_ends_at: string | null;
  limits: Limits;
  usage: { members: number; projects: number; api_keys: number; apps: number; roles: number };
  warnings: Measure[];
}
