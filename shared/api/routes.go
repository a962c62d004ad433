package api

import (
	"slices"
	"strings"

	"github.com/orgplane/orgplane/shared/access"
)

// Route is one HTTP route and the Lambda function that serves it. Routes is
// the single source for functions/, the local server, the CDK stack,
// template.yaml and openapi.yaml; tests fail when any of them drifts.
type Route struct {
	// Name is the function's name and its folder under functions/.
	Name   string
	Method string
	// Path uses {name} wildcards, the syntax both http.ServeMux and API
	// Gateway HTTP API route keys accept.
	Path string
	// Permission is what the caller must hold in the org named by {org}.
	// Empty on routes outside an org.
	Permission access.Permission
	// Public routes take no credentials (invitation preview).
	Public bool
	// Writes is false for read-only routes, whose functions get read-only
	// table access.
	Writes bool
	// WhileDeleting admits the route to an org that is being deleted (every
	// other route answers 404 there): the delete that finishes a purge.
	WhileDeleting bool
	// People routes change memberships, invitations or roles: they act for
	// a signed-in person, never for an API key (403 insufficient_scope).
	People bool
	// Catalog routes read the same for every caller outside any org; API
	// keys may call them too.
	Catalog bool
	// Prefetch marks a read-only GET in an org whose handler reads in
	// admission's round trip (DESIGN.md "Read path"): the handler runs
	// before admission is decided, adds its items to c.reads and then
	// calls c.load (or runs its Query with c.alongside), and looks at the
	// caller's org, membership and role only after; nothing is released
	// before admission passes. Every other route is admitted before its
	// handler runs.
	Prefetch bool
	// Body is true on routes that take a JSON request body. The others
	// accept only an empty body or {} (400 otherwise), so a client sending
	// options the route does not have learns it instead of being ignored.
	Body bool
	// ReadsExports: the route hands out presigned links to files of the
	// export bucket, so its function may read (GetObject) the exports.
	ReadsExports bool
	// MemoryMB and TimeoutSeconds size the function; zero means the defaults.
	MemoryMB       int
	TimeoutSeconds int

	handle handlerFunc
}

// Default Lambda sizing for routes that do not say.
const (
	DefaultMemoryMB       = 256
	DefaultTimeoutSeconds = 10
)

// Pattern is the http.ServeMux pattern, "GET /organizations/{org}".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// RouteKey is the API Gateway HTTP API route key; same text as Pattern.
func (r Route) RouteKey() string { return r.Pattern() }

// OrgScoped reports whether the route acts inside one org.
func (r Route) OrgScoped() bool { return strings.HasPrefix(r.Path, "/organizations/{org}") }

// readsWithAdmission reports whether the route reads its resource in
// admission's round trip (Prefetch; only ever on a read-only GET in an
// org, which TestPrefetchOnlyOnOrgReads holds).
func (r Route) readsWithAdmission() bool {
	return r.Prefetch && r.Method == "GET" && r.OrgScoped() && !r.Writes
}

// subjects name what each path parameter identifies, for error details.
var subjects = map[string]string{"org": "Organization", "project": "Project", "user": "Member",
	"invitation": "Invitation", "token": "Invitation", "app": "App", "role": "Role", "key": "API key",
	"export": "Export"}

// subject is what the route acts on, as its last path parameter names it:
// a store error's detail speaks of it ("Project not found.").
func (r Route) subject() string {
	i := strings.LastIndex(r.Path, "{")
	if i < 0 {
		return "Resource"
	}
	param := strings.TrimSuffix(r.Path[i+1:], "}")
	if j := strings.Index(param, "}"); j >= 0 {
		param = param[:j]
	}
	if s, ok := subjects[param]; ok {
		return s
	}
	return "Resource"
}

// Memory is the function's memory size in MB.
func (r Route) Memory() int {
	if r.MemoryMB > 0 {
		return r.MemoryMB
	}
	return DefaultMemoryMB
}

// Timeout is the function's timeout in seconds.
func (r Route) Timeout() int {
	if r.TimeoutSeconds > 0 {
		return r.TimeoutSeconds
	}
	return DefaultTimeoutSeconds
}

// Routes is every HTTP route of Orgplane: one list, kept in a few files
// by area so each area's routes sit beside its handlers.
var Routes = slices.Concat(coreRoutes, invitationRoutes, apiKeyRoutes, walletRoutes, appRoutes, insightRoutes, exportRoutes, analyticsRoutes)

// coreRoutes are me, organizations, projects, members and roles.
var coreRoutes = []Route{
	// Me
	{Name: "get-me", Method: "GET", Path: "/me", Writes: true, handle: (*Server).getMe},
	{Name: "list-my-organizations", Method: "GET", Path: "/me/organizations", Writes: true, handle: (*Server).listMyOrganizations},
	{Name: "set-active-organization", Method: "PUT", Path: "/me/active-organization", Writes: true, Body: true, handle: (*Server).setActiveOrganization},
	{Name: "set-active-project", Method: "PUT", Path: "/me/active-project", Writes: true, Body: true, handle: (*Server).setActiveProject},
	{Name: "list-permissions", Method: "GET", Path: "/permissions", Catalog: true, handle: (*Server).listPermissions},

	// Organizations
	{Name: "create-organization", Method: "POST", Path: "/organizations", Writes: true, Body: true, handle: (*Server).createOrganization},
	{Name: "get-organization", Method: "GET", Path: "/organizations/{org}", Permission: access.OrgRead, Prefetch: true, handle: (*Server).getOrganization},
	{Name: "update-organization", Method: "PATCH", Path: "/organizations/{org}", Permission: access.OrgUpdate, Writes: true, Body: true, handle: (*Server).updateOrganization},
	{Name: "delete-organization", Method: "DELETE", Path: "/organizations/{org}", Permission: access.OrgDelete, Writes: true, WhileDeleting: true, TimeoutSeconds: 60, Body: true, handle: (*Server).deleteOrganization},

	// Projects
	{Name: "list-projects", Method: "GET", Path: "/organizations/{org}/projects", Permission: access.ProjectsRead, Prefetch: true, handle: (*Server).listProjects},
	{Name: "create-project", Method: "POST", Path: "/organizations/{org}/projects", Permission: access.ProjectsCreate, Writes: true, Body: true, handle: (*Server).createProject},
	{Name: "get-project", Method: "GET", Path: "/organizations/{org}/projects/{project}", Permission: access.ProjectsRead, Prefetch: true, handle: (*Server).getProject},
	{Name: "update-project", Method: "PATCH", Path: "/organizations/{org}/projects/{project}", Permission: access.ProjectsManageOwn, Writes: true, Body: true, handle: (*Server).updateProject},
	{Name: "delete-project", Method: "DELETE", Path: "/organizations/{org}/projects/{project}", Permission: access.ProjectsManageOwn, Writes: true, handle: (*Server).deleteProject},

	// Members and roles
	{Name: "list-members", Method: "GET", Path: "/organizations/{org}/members", Permission: access.MembersRead, Prefetch: true, handle: (*Server).listMembers},
	{Name: "get-member", Method: "GET", Path: "/organizations/{org}/members/{user}", Permission: access.MembersRead, Prefetch: true, handle: (*Server).getMember},
	{Name: "update-member", Method: "PATCH", Path: "/organizations/{org}/members/{user}", Permission: access.MembersUpdate, Writes: true, Body: true, People: true, handle: (*Server).updateMember},
	{Name: "remove-member", Method: "DELETE", Path: "/organizations/{org}/members/{user}", Permission: access.MembersRemove, Writes: true, People: true, handle: (*Server).removeMember},
	{Name: "get-my-notifications", Method: "GET", Path: "/organizations/{org}/members/me/notifications", Permission: access.OrgRead, People: true, handle: (*Server).getMyNotifications},
	{Name: "set-my-notifications", Method: "PUT", Path: "/organizations/{org}/members/me/notifications", Permission: access.OrgRead, Writes: true, Body: true, People: true, handle: (*Server).setMyNotifications},
	{Name: "leave-organization", Method: "POST", Path: "/organizations/{org}/leave", Permission: access.OrgRead, Writes: true, People: true, handle: (*Server).leaveOrganization},
	{Name: "transfer-ownership", Method: "POST", Path: "/organizations/{org}/transfer-ownership", Permission: access.OwnershipTransfer, Writes: true, Body: true, People: true, handle: (*Server).transferOwnership},
	{Name: "list-roles", Method: "GET", Path: "/organizations/{org}/roles", Permission: access.RolesRead, Prefetch: true, handle: (*Server).listRoles},
	{Name: "create-role", Method: "POST", Path: "/organizations/{org}/roles", Permission: access.RolesManage, Writes: true, Body: true, People: true, handle: (*Server).createRole},
	{Name: "get-role", Method: "GET", Path: "/organizations/{org}/roles/{role}", Permission: access.RolesRead, Prefetch: true, handle: (*Server).getRole},
	{Name: "update-role", Method: "PATCH", Path: "/organizations/{org}/roles/{role}", Permission: access.RolesManage, Writes: true, Body: true, People: true, handle: (*Server).updateRole},
	{Name: "delete-role", Method: "DELETE", Path: "/organizations/{org}/roles/{role}", Permission: access.RolesManage, Writes: true, TimeoutSeconds: 30, People: true, handle: (*Server).deleteRole},
}

// Find returns the route with the name.
func Find(name string) (Route, bool) {
	for _, r := range Routes {
		if r.Name == name {
			return r, true
		}
	}
	return Route{}, false
}
