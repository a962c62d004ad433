package api

import "github.com/orgplane/orgplane/shared/access"

// appRoutes are the app catalog and installed app instance routes.
//
// Reading needs apps:read and changing apps:manage, with one exception:
// access-app needs only apps:read. An access is a member using an app, not
// configuring it: it records traffic and wakes a stopped instance with its
// settings untouched, so anyone who may see an app may use it — unless the
// instance is private, which the handler checks (apps:manage, else 403).
var appRoutes = []Route{
	{Name: "list-app-templates", Method: "GET", Path: "/apps", Catalog: true, handle: (*Server).listAppTemplates},
	{Name: "list-apps", Method: "GET", Path: "/organizations/{org}/apps", Permission: access.AppsRead, Prefetch: true, handle: (*Server).listApps},
	{Name: "install-app", Method: "POST", Path: "/organizations/{org}/apps", Permission: access.AppsManage, Writes: true, Body: true, handle: (*Server).installApp},
	{Name: "get-app", Method: "GET", Path: "/organizations/{org}/apps/{app}", Permission: access.AppsRead, Prefetch: true, handle: (*Server).getApp},
	{Name: "update-app", Method: "PATCH", Path: "/organizations/{org}/apps/{app}", Permission: access.AppsManage, Writes: true, Body: true, handle: (*Server).updateApp},
	{Name: "uninstall-app", Method: "DELETE", Path: "/organizations/{org}/apps/{app}", Permission: access.AppsManage, Writes: true, handle: (*Server).uninstallApp},
	{Name: "restart-app", Method: "POST", Path: "/organizations/{org}/apps/{app}/restart", Permission: access.AppsManage, Writes: true, handle: (*Server).restartApp},
	{Name: "stop-app", Method: "POST", Path: "/organizations/{org}/apps/{app}/stop", Permission: access.AppsManage, Writes: true, handle: (*Server).stopApp},
	{Name: "access-app", Method: "POST", Path: "/organizations/{org}/apps/{app}/access", Permission: access.AppsRead, Writes: true, handle: (*Server).accessApp},
	{Name: "list-app-logs", Method: "GET", Path: "/organizations/{org}/apps/{app}/logs", Permission: access.AppsRead, Prefetch: true, handle: (*Server).listAppLogs},
}
