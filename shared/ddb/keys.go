package ddb

// Key builders. An org's data lives under ORG#<id>; its append-only
// streams (ledger, activity) in partitions of their own beside it.

func orgPK(org string) string            { return "ORG#" + org }
func userPK(user string) string          { return "USER#" + user }
func slugPK(slug string) string          { return "SLUG#" + slug }
func projectListPK(org string) string    { return "ORG#" + org + "#PROJECTS" }
func ledgerPK(org string) string         { return "ORG#" + org + "#LEDGER" }
func activityPK(org string) string       { return "ORG#" + org + "#ACTIVITY" }
func appLogPK(org string) string         { return "ORG#" + org + "#APPLOG" }
func appSK(app string) string            { return "APP#" + app }
func memberSK(user string) string        { return "MEMBER#" + user }
func emailSK(email string) string        { return "EMAIL#" + lower(email) }
func projectSK(project string) string    { return "PROJECT#" + project }
func membershipGSI1SK(org string) string { return "ORG#" + org }

const (
	orgSK     = "ORG"
	slugSK    = "SLUG"
	profileSK = "PROFILE"
	walletSK  = "WALLET"
)

// Item types (the `type` attribute on every item; stream filters use it).
const (
	TypeOrganization = "organization"
	TypeSlugGuard    = "slug_guard"
	TypeMember       = "member"
	TypeEmailGuard   = "email_guard"
	TypeUser         = "user"
	TypeProject      = "project"
	TypeWallet       = "wallet"
	TypeApp          = "app"
	TypeAppEvent     = "app_event"
)
