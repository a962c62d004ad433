package activity

// Actions, as "<target>.<what happened>". The list is the contract the
// activity filter's prefixes ("member.*") and openapi.yaml document.
const (
	OrgCreated           = "organization.created"
	OrgUpdated           = "organization.updated"
	OwnershipTransferred = "organization.ownership_transferred"

	ProjectCreated = "project.created"
	ProjectUpdated = "project.updated"
	ProjectDeleted = "project.deleted"

	MemberJoined        = "member.joined"
	MemberRoleChanged   = "member.role_changed"
	MemberStatusChanged = "member.status_changed"
	MemberUpdated       = "member.updated" // role and status in one change
	MemberRemoved       = "member.removed"
	MemberLeft          = "member.left"
	NotificationsSet    = "member.notifications_updated"

	RoleCreated = "role.created"
	RoleUpdated = "role.updated"
	RoleDeleted = "role.deleted"

	InvitationCreated  = "invitation.created"
	InvitationResent   = "invitation.resent"
	InvitationRevoked  = "invitation.revoked"
	InvitationAccepted = "invitation.accepted"
	InvitationDeclined = "invitation.declined"

	APIKeyCreated = "api_key.created"
	APIKeyUpdated = "api_key.updated"
	APIKeyRevoked = "api_key.revoked"
	APIKeyRotated = "api_key.rotated"

	WalletOpened   = "wallet.opened"
	WalletToppedUp = "wallet.topped_up"
	WalletCharged  = "wallet.charged"

	SubscriptionChanged  = "subscription.changed"
	SubscriptionRenewed  = "subscription.renewed"
	SubscriptionPastDue  = "subscription.past_due"
	SubscriptionCanceled = "subscription.canceled"

	AppInstalled   = "app.installed"
	AppUpdated     = "app.updated"
	AppUninstalled = "app.uninstalled"
	AppRestarted   = "app.restarted"
	AppStarted     = "app.started" // by the payment that had failed going through
	AppStopped     = "app.stopped"
	AppWoken       = "app.woken"
	AppCharged     = "app.charged"
	AppUnpaid      = "app.unpaid"

	ExportRequested = "export.requested"
)
