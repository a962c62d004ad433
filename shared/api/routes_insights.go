package api

import "github.com/orgplane/orgplane/shared/access"

// insightRoutes are the org's dashboard and its activity log.
var insightRoutes = []Route{
	{Name: "get-dashboard", Method: "GET", Path: "/organizations/{org}/dashboard", Permission: access.OrgRead, handle: (*Server).getDashboard},
	{Name: "list-activity", Method: "GET", Path: "/organizations/{org}/activity", Permission: access.ActivityRead, Prefetch: true, handle: (*Server).listActivity},
}
