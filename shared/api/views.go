package api

import (
	"time"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/plans"
)

// JSON shapes of responses. openapi.yaml documents them and the
// integration tests validate every response against it.

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := ts(t)
	return &s
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type userView struct {
	ID                   string  `json:"id"`
	Email                string  `json:"email"`
	Name                 string  `json:"name"`
	ActiveOrganizationID *string `json:"active_organization_id"`
	ActiveProjectID      *string `json:"active_project_id"`
	CreatedAt            string  `json:"created_at"`
	LastLoginAt          *string `json:"last_login_at"`
}

func viewUser(u orgs.User) userView {
	return userView{ID: u.ID, Email: u.Email, Name: u.Name,
		ActiveOrganizationID: strOrNil(u.ActiveOrganizationID), ActiveProjectID: strOrNil(u.ActiveProjectID),
		CreatedAt: ts(u.CreatedAt), LastLoginAt: tsOrNil(u.LastLoginAt)}
}

type orgView struct {
	ID                      string            `json:"id"`
	Name                    string            `json:"name"`
	Slug                    string            `json:"slug"`
	Description             string            `json:"description"`
	LogoURL                 *string           `json:"logo_url"`
	Branding                map[string]string `json:"branding"`
	NotificationPreferences map[string]bool   `json:"notification_preferences"`
	BillingEmail            *string           `json:"billing_email"`
	Billing                 billingView       `json:"billing"`
	Plan                    string            `json:"plan"`
	Personal                bool              `json:"personal"`
	MemberCount             int               `json:"member_count"`
	PendingInvitationCount  int               `json:"pending_invitation_count"`
	ProjectCount            int               `json:"project_count"`
	APIKeyCount             int               `json:"api_key_count"`
	AppCount                int               `json:"app_count"`
	WalletStatus            string            `json:"wallet_status"`
	Limits                  plans.Limits      `json:"limits"`
	Warnings                []measureView     `json:"warnings"` // usage at 80 % of a limit or more
	CreatedAt               string            `json:"created_at"`
	UpdatedAt               string            `json:"updated_at"`
	Version                 int64             `json:"version"`
}

func viewOrg(o orgs.Organization) orgView {
	wallet := "missing"
	if o.HasWallet {
		wallet = "active"
	}
	v := orgView{ID: o.ID, Name: o.Name, Slug: o.Slug, Description: o.Description,
		LogoURL: strOrNil(o.LogoURL), Branding: o.Branding, NotificationPreferences: o.NotificationPreferences,
		BillingEmail: strOrNil(o.BillingEmail), Billing: viewBilling(o), Plan: o.Plan, Personal: o.Personal,
		MemberCount: o.Counts.Members, PendingInvitationCount: o.Counts.PendingInvitations,
		ProjectCount: o.Counts.Projects, APIKeyCount: o.Counts.APIKeys, AppCount: o.Counts.Apps,
		WalletStatus: wallet, Limits: o.Limits(), Warnings: viewMeasures(billing.Warnings(ddb.UsageOf(o), o.Limits())), CreatedAt: ts(o.CreatedAt), UpdatedAt: ts(o.UpdatedAt), Version: o.Version}
	if v.Branding == nil {
		v.Branding = map[string]string{}
	}
	if v.NotificationPreferences == nil {
		v.NotificationPreferences = map[string]bool{}
	}
	return v
}

type myOrgView struct {
	orgView
	Role string `json:"role"`
}

func viewMyOrg(o ddb.MyOrganization) myOrgView {
	return myOrgView{orgView: viewOrg(o.Organization), Role: o.Role}
}

type projectView struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	CreatedBy      string `json:"created_by"`
	APIKeyCount    int    `json:"api_key_count"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
	Version        int64  `json:"version"`
}

func viewProject(p orgs.Project) projectView {
	return projectView{ID: p.ID, OrganizationID: p.OrganizationID, Name: p.Name, Description: p.Description,
		CreatedBy: p.CreatedBy, APIKeyCount: p.APIKeyCount, CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt), Version: p.Version}
}

type memberView struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	// Role is the role the member acts with now: a time-bound elevation
	// that has ended shows as member.
	Role          string  `json:"role"`
	RoleExpiresAt *string `json:"role_expires_at"`
	Status        string  `json:"status"`
	LastLoginAt   *string `json:"last_login_at"`
	JoinedAt      string  `json:"joined_at"`
	Version       int64   `json:"version"`
}

func viewMember(m orgs.Member, now time.Time) memberView {
	return memberView{UserID: m.UserID, Name: m.Name, Email: m.Email, Role: m.RoleAt(now),
		RoleExpiresAt: tsOrNil(m.ElevatedUntil(now)), Status: m.Status,
		LastLoginAt: tsOrNil(m.LastLoginAt), JoinedAt: ts(m.JoinedAt), Version: m.Version}
}
