package orgs

import "github.com/orgplane/orgplane/shared/access"

// Email notification categories a member may turn off.
const (
	NotifyInvitations = "invitations"
	NotifyBilling     = "billing"
	NotifyLowBalance  = "low_balance"
	NotifySecurity    = "security"
	NotifyAppStatus   = "app_status"
)

// NotificationCategories are every category, in the order the API lists them.
var NotificationCategories = []string{NotifyInvitations, NotifyBilling, NotifyLowBalance, NotifySecurity, NotifyAppStatus}

// EmailPrefs are a member's email choices by category; a category not
// set is on.
type EmailPrefs map[string]bool

// Locked reports whether a member of role must receive category: an
// owner answers for the org's bills and its security.
func Locked(role, category string) bool {
	return role == access.Owner && (category == NotifyBilling || category == NotifySecurity)
}

// Wants reports whether a member of role receives category.
func (p EmailPrefs) Wants(role, category string) bool {
	on, set := p[category]
	return !set || on || Locked(role, category)
}

// Resolved is every category with whether a member of role receives it.
func (p EmailPrefs) Resolved(role string) map[string]bool {
	out := make(map[string]bool, len(NotificationCategories))
	for _, c := range NotificationCategories {
		out[c] = p.Wants(role, c)
	}
	return out
}
