package api

import "github.com/orgplane/orgplane/shared/access"

// apiKeyRoutes manage an org's API keys (for people and for AI agents).
var apiKeyRoutes = []Route{
	{Name: "list-api-keys", Method: "GET", Path: "/organizations/{org}/api-keys", Permission: access.APIKeysRead, Prefetch: true, handle: (*Server).listAPIKeys},
	{Name: "create-api-key", Method: "POST", Path: "/organizations/{org}/api-keys", Permission: access.APIKeysManage, Writes: true, Body: true, handle: (*Server).createAPIKey},
	{Name: "get-api-key", Method: "GET", Path: "/organizations/{org}/api-keys/{key}", Permission: access.APIKeysRead, Prefetch: true, handle: (*Server).getAPIKey},
	{Name: "update-api-key", Method: "PATCH", Path: "/organizations/{org}/api-keys/{key}", Permission: access.APIKeysManage, Writes: true, Body: true, handle: (*Server).updateAPIKey},
	{Name: "revoke-api-key", Method: "DELETE", Path: "/organizations/{org}/api-keys/{key}", Permission: access.APIKeysManage, Writes: true, Body: true, handle: (*Server).revokeAPIKey},
	{Name: "rotate-api-key", Method: "POST", Path: "/organizations/{org}/api-keys/{key}/rotate", Permission: access.APIKeysManage, Writes: true, Body: true, handle: (*Server).rotateAPIKey},
}
