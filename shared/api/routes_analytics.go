package api

import "github.com/orgplane/orgplane/shared/access"

// analyticsRoutes are the org's usage over time and against its plan.
var analyticsRoutes = []Route{
	{Name: "get-analytics", Method: "GET", Path: "/organizations/{org}/analytics", Permission: access.AnalyticsRead, Prefetch: true, handle: (*Server).getAnalytics},
}
