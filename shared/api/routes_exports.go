package api

import "github.com/orgplane/orgplane/shared/access"

// exportRoutes are the exports: an org's GDPR export, its activity
// exports, and a person's own export. A POST writes a pending job (202);
// the export-builder consumer builds the file; the job's GET links to it.
var exportRoutes = []Route{
	{Name: "list-exports", Method: "GET", Path: "/organizations/{org}/exports", Permission: access.OrgExport, Prefetch: true, handle: (*Server).listExports},
	{Name: "create-export", Method: "POST", Path: "/organizations/{org}/exports", Permission: access.OrgExport, Writes: true, handle: (*Server).createExport},
	{Name: "get-export", Method: "GET", Path: "/organizations/{org}/exports/{export}", Permission: access.OrgExport, ReadsExports: true, Prefetch: true, handle: (*Server).getExport},
	{Name: "list-activity-exports", Method: "GET", Path: "/organizations/{org}/activity/exports", Permission: access.ActivityRead, Prefetch: true, handle: (*Server).listActivityExports},
	{Name: "create-activity-export", Method: "POST", Path: "/organizations/{org}/activity/exports", Permission: access.ActivityRead, Writes: true, Body: true, handle: (*Server).createActivityExport},
	{Name: "get-activity-export", Method: "GET", Path: "/organizations/{org}/activity/exports/{export}", Permission: access.ActivityRead, ReadsExports: true, Prefetch: true, handle: (*Server).getActivityExport},
	{Name: "create-my-export", Method: "POST", Path: "/me/exports", Writes: true, handle: (*Server).createMyExport},
	{Name: "get-my-export", Method: "GET", Path: "/me/exports/{export}", ReadsExports: true, handle: (*Server).getMyExport},
}
