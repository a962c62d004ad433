// What every page shares: the API client, the signed-in user, their
// organizations, and what the caller may do in the current one.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { API } from "./api";
import type { Auth } from "./auth";
import type { Config } from "./config";
import type { Me, MyOrganization, Role } from "./types";

export interface OrgContext {
  org: MyOrganization;
  /** The caller's role in org (null when the role cannot read roles). */
  role: Role | null;
  /** Whether the caller's role grants permission p. */
  can: (p: string) => boolean;
}

export interface Session {
  cfg: Config;
  api: API;
  auth: Auth;
  me: Me;
  orgs: MyOrganization[];
  /** Reloads /me and /me/organizations (after a switch, a create, a delete). */
  refresh: () => Promise<void>;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);
export const OrgCtx = createContext<OrgContext | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("no session");
  return s;
}

export function useOrg(): OrgContext {
  const o = useContext(OrgCtx);
  if (!o) throw new Error("no organization");
  return o;
}

/** Whether permissions grant p (managing every project includes one's own). */
export function grants(permissions: string[], p: string): boolean {
  return permissions.includes(p) || (p === "projects:manage_own" && permissions.includes("projects:manage"));
}

/**
 * An organization's path: the console's pages mirror the API's paths, so
 * one path names both (/organizations/{org}/projects is the page and the list).
 */
export function orgPath(org: string, page = ""): string {
  return `/organizations/${encodeURIComponent(org)}${page ? `/${page}` : ""}`;
}
