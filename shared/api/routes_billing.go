package api

import "github.com/orgplane/orgplane/shared/access"

// invitationRoutes are the invitation routes (issue 4). The token routes
// act outside any org: the preview is public, accepting and declining
// need the signed-in invitee.
var invitationRoutes = []Route{
	{Name: "list-invitations", Method: "GET", Path: "/organizations/{org}/invitations", Permission: access.MembersInvite, handle: (*Server).listInvitations},
	{Name: "create-invitation", Method: "POST", Path: "/organizations/{org}/invitations", Permission: access.MembersInvite, Writes: true, Body: true, handle: (*Server).createInvitation},
	{Name: "get-invitation", Method: "GET", Path: "/organizations/{org}/invitations/{invitation}", Permission: access.MembersInvite, handle: (*Server).getInvitation},
	{Name: "revoke-invitation", Method: "DELETE", Path: "/organizations/{org}/invitations/{invitation}", Permission: access.MembersInvite, Writes: true, handle: (*Server).revokeInvitation},
	{Name: "resend-invitation", Method: "POST", Path: "/organizations/{org}/invitations/{invitation}/resend", Permission: access.MembersInvite, Writes: true, handle: (*Server).resendInvitation},
	{Name: "preview-invitation", Method: "GET", Path: "/invitations/{token}", Public: true, handle: (*Server).previewInvitation},
	{Name: "accept-invitation", Method: "POST", Path: "/invitations/{token}/accept", Writes: true, handle: (*Server).acceptInvitation},
	{Name: "decline-invitation", Method: "POST", Path: "/invitations/{token}/decline", Writes: true, handle: (*Server).declineInvitation},
}

// walletRoutes are the wallet, ledger, plan and subscription routes.
var walletRoutes = []Route{
	{Name: "get-wallet", Method: "GET", Path: "/organizations/{org}/wallet", Permission: access.BillingRead, handle: (*Server).getWallet},
	{Name: "open-wallet", Method: "POST", Path: "/organizations/{org}/wallet", Permission: access.BillingManage, Writes: true, handle: (*Server).openWallet},
	{Name: "list-wallet-transactions", Method: "GET", Path: "/organizations/{org}/wallet/transactions", Permission: access.BillingRead, handle: (*Server).listWalletTransactions},
	{Name: "create-top-up", Method: "POST", Path: "/organizations/{org}/wallet/top-ups", Permission: access.BillingManage, Writes: true, Body: true, handle: (*Server).createTopUp},
	{Name: "create-charge", Method: "POST", Path: "/organizations/{org}/wallet/charges", Permission: access.CreditsSpend, Writes: true, Body: true, handle: (*Server).createCharge},
}
