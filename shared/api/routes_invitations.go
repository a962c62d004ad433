package api

import "github.com/orgplane/orgplane/shared/access"

// invitationRoutes are the invitation routes. The token routes
// act outside any org: the preview is public, accepting and declining
// need the signed-in invitee.
var invitationRoutes = []Route{
	{Name: "list-invitations", Method: "GET", Path: "/organizations/{org}/invitations", Permission: access.MembersInvite, Prefetch: true, handle: (*Server).listInvitations},
	{Name: "create-invitation", Method: "POST", Path: "/organizations/{org}/invitations", Permission: access.MembersInvite, Writes: true, Body: true, People: true, handle: (*Server).createInvitation},
	{Name: "get-invitation", Method: "GET", Path: "/organizations/{org}/invitations/{invitation}", Permission: access.MembersInvite, Prefetch: true, handle: (*Server).getInvitation},
	{Name: "revoke-invitation", Method: "DELETE", Path: "/organizations/{org}/invitations/{invitation}", Permission: access.MembersInvite, Writes: true, People: true, handle: (*Server).revokeInvitation},
	{Name: "resend-invitation", Method: "POST", Path: "/organizations/{org}/invitations/{invitation}/resend", Permission: access.MembersInvite, Writes: true, People: true, handle: (*Server).resendInvitation},
	{Name: "preview-invitation", Method: "GET", Path: "/invitations/{token}", Public: true, handle: (*Server).previewInvitation},
	{Name: "accept-invitation", Method: "POST", Path: "/invitations/{token}/accept", Writes: true, handle: (*Server).acceptInvitation},
	{Name: "decline-invitation", Method: "POST", Path: "/invitations/{token}/decline", Writes: true, handle: (*Server).declineInvitation},
}
