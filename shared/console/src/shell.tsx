// The signed-in frame: the sidebar (organization switcher, active
// project, the pages the caller's role may open) and the page itself.
import type { ComponentChildren } from "preact";
import { useContext, useEffect } from "preact/hooks";
import { match, navigate, usePath } from "./router";
import { OrgCtx, orgPath, grants, useSession, type OrgContext } from "./session";
import type { Project, RoleList } from "./types";
import { Async, ErrorBanner, useAction, useLoad } from "./ui";
import { CreateOrgPage, OverviewPage } from "./pages/orgs";
import { ProjectsPage } from "./pages/projects";
import { MemberPage, MembersPage } from "./pages/members";
import { RoleEditPage, RolesPage } from "./pages/roles";
import { APIKeysPage } from "./pages/apikeys";
import { AppPage, AppsPage, MarketplacePage } from "./pages/apps";
import { ActivityPage } from "./pages/activity";
import { AnalyticsPage } from "./pages/analytics";
import { BillingPage } from "./pages/billing";
import { SettingsPage } from "./pages/settings";

interface NavItem {
  page: string;
  label: string;
  permission: string;
}

const NAV: NavItem[] = [
  { page: "", label: "Overview", permission: "organization:read" },
  { page: "projects", label: "Projects", permission: "projects:read" },
  { page: "members", label: "Members", permission: "members:read" },
  { page: "roles", label: "Roles", permission: "roles:read" },
  { page: "api-keys", label: "API keys", permission: "api_keys:read" },
  { page: "marketplace", label: "Marketplace", permission: "apps:read" },
  { page: "apps", label: "Installed apps", permission: "apps:read" },
  { page: "billing", label: "Wallet & billing", permission: "billing:read" },
  { page: "analytics", label: "Analytics", permission: "analytics:read" },
  { page: "activity", label: "Activity", permission: "activity:read" },
  { page: "settings", label: "Settings", permission: "organization:read" },
];

type Routed = [string, (p: Record<string, string>) => ComponentChildren];

const ORG_ROUTES: Routed[] = [
  ["/organizations/:org", () => <OverviewPage />],
  ["/organizations/:org/projects", () => <ProjectsPage />],
  ["/organizations/:org/members", () => <MembersPage />],
  ["/organizations/:org/members/:user", (p) => <MemberPage user={p.user} />],
  ["/organizations/:org/roles", () => <RolesPage />],
  ["/organizations/:org/roles/new", () => <RoleEditPage />],
  ["/organizations/:org/roles/:role", (p) => <RoleEditPage id={p.role} />],
  ["/organizations/:org/api-keys", () => <APIKeysPage />],
  ["/organizations/:org/marketplace", () => <MarketplacePage />],
  ["/organizations/:org/apps", () => <AppsPage />],
  ["/organizations/:org/apps/:app", (p) => <AppPage id={p.app} />],
  ["/organizations/:org/billing", () => <BillingPage />],
  ["/organizations/:org/activity", () => <ActivityPage />],
  ["/organizations/:org/analytics", () => <AnalyticsPage />],
  ["/organizations/:org/settings", () => <SettingsPage />],
];

export function Shell() {
  const s = useSession();
  const path = usePath();
  let orgId: string | null = null;
  let page: ComponentChildren = null;
  for (const [pattern, view] of path === "/organizations/new" ? [] : ORG_ROUTES) {
    const p = match(pattern, path);
    if (p) {
      orgId = p.org;
      page = view(p);
      break;
    }
  }
  if (path === "/organizations/new") page = <CreateOrgPage />;
  // "/" and anything unknown: the active organization, else the first.
  const home = s.orgs.find((o) => o.id === s.me.active_organization_id) ?? s.orgs[0];
  const redirect = page ? null : home ? orgPath(home.id) : "/organizations/new";
  useEffect(() => {
    if (redirect) navigate(redirect, true);
  }, [redirect]);
  if (redirect) return null;
  return orgId ? <OrgScope orgId={orgId}>{page}</OrgScope> : <Frame orgId={null}>{page}</Frame>;
}

function Frame({ orgId, children }: { orgId: string | null; children: ComponentChildren }) {
  return (
    <div class="shell">
      <Sidebar orgId={orgId} />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

/** Resolves the org and the caller's role in it for the pages below. */
function OrgScope({ orgId, children }: { orgId: string; children: ComponentChildren }) {
  const s = useSession();
  const org = s.orgs.find((o) => o.id === orgId);
  const roles = useLoad(async () => {
    if (!org || !grants(org.permissions, "roles:read")) return null;
    try {
      return await s.api.get<RoleList>(`${orgPath(orgId)}/roles`);
    } catch (e) {
      // Permissions may have changed since the org list was read.
      if ((e as { status?: number }).status === 403) return null;
      throw e;
    }
  }, [orgId, org?.role]);
  if (!org) {
    return (
      <Frame orgId={null}>
        <h1>Organization not found</h1>
        <p>You are not a member of this organization, or it no longer exists.</p>
        <a href="/">Go to your organizations</a>
      </Frame>
    );
  }
  if (roles.data === undefined) {
    return (
      <Frame orgId={orgId}>
        <Async state={roles} what="your role">
          {() => null}
        </Async>
      </Frame>
    );
  }
  const role = roles.data?.data.find((r) => r.id === org.role) ?? null;
  const ctx: OrgContext = { org, role, can: (p) => grants(org.permissions, p) };
  return (
    <OrgCtx.Provider value={ctx}>
      <Frame orgId={orgId}>{children}</Frame>
    </OrgCtx.Provider>
  );
}

function Sidebar({ orgId }: { orgId: string | null }) {
  const s = useSession();
  const path = usePath();
  const switching = useAction();
  const current = s.orgs.find((o) => o.id === orgId);
  const oc = useContext(OrgCtx);
  return (
    <nav class="sidebar" aria-label="Console">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <p class="brand">Orgplane</p>
      <div class="field">
        <label for="org-switcher">Organization</label>
        <select
          id="org-switcher"
          value={orgId ?? ""}
          disabled={switching.busy}
          onChange={async (e) => {
            const id = e.currentTarget.value;
            if (id === "__new") return navigate("/organizations/new");
            // The server clears the active project with the switch.
            if (await switching.run(() => s.api.put(`/me/active-organization`, { organization_id: id }))) {
              await s.refresh();
              navigate(orgPath(id));
            }
          }}
        >
          {!orgId && <option value="">Choose…</option>}
          {s.orgs.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
          <option value="__new">+ New organization</option>
        </select>
      </div>
      <ErrorBanner problem={switching.problem} />
      {current && <ActiveProject orgId={current.id} />}
      {current && oc && (
        <ul class="nav">
          {NAV.filter((n) => oc?.can(n.permission)).map((n) => {
            const href = orgPath(current.id, n.page);
            const here = n.page === "" ? path === href : path.startsWith(href);
            return (
              <li key={n.page}>
                <a href={href} aria-current={here ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            );
          })}
        </ul>
      )}
      <div class="me">
        <span>{s.me.name || s.me.email}</span>
        <small>{s.me.email}</small>
        <button type="button" class="link" onClick={s.signOut}>
          Sign out
        </button>
      </div>
    </nav>
  );
}

function ActiveProject({ orgId }: { orgId: string }) {
  const s = useSession();
  const pid = s.me.active_organization_id === orgId ? s.me.active_project_id : null;
  const project = useLoad(
    () => (pid ? s.api.get<Project>(`${orgPath(orgId)}/projects/${pid}`) : Promise.resolve(null)),
    [orgId, pid],
  );
  return (
    <p class="active-project" data-testid="active-project">
      Active project:{" "}
      <strong>{pid ? (project.data?.name ?? "…") : "none"}</strong>
    </p>
  );
}
