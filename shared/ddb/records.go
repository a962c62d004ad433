package ddb

import (
	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/plans"
)

// Private item records. Domain types carry no storage tags; these do, and
// the to/from functions beside them are the only translation.

type orgRecord struct {
	PK                      string            `dynamodbav:"PK"`
	SK                      string            `dynamodbav:"SK"`
	Type                    string            `dynamodbav:"type"`
	ID                      string            `dynamodbav:"id"`
	Name                    string            `dynamodbav:"name"`
	Slug                    string            `dynamodbav:"slug"`
	Description             string            `dynamodbav:"description"`
	LogoURL                 string            `dynamodbav:"logo_url,omitempty"`
	Branding                map[string]string `dynamodbav:"branding"`
	NotificationPreferences map[string]bool   `dynamodbav:"notification_preferences"`
	BillingEmail            string            `dynamodbav:"billing_email,omitempty"`
	Billing                 *billingRecord    `dynamodbav:"billing_details,omitempty"`
	Plan                    string            `dynamodbav:"plan"`
	Personal                bool              `dynamodbav:"personal"`
	Status                  string            `dynamodbav:"status"`
	CreatedBy               string            `dynamodbav:"created_by"`
	// Counters and the plan's limits sit side by side so a condition can
	// compare them: `project_count < project_limit`. An absent limit is
	// unlimited. seat_count is members plus pending invitations.
	MemberCount  int            `dynamodbav:"member_count"`
	InviteCount  int            `dynamodbav:"invite_count"`
	SeatCount    int            `dynamodbav:"seat_count"`
	ProjectCount int            `dynamodbav:"project_count"`
	APIKeyCount  int            `dynamodbav:"api_key_count"`
	AppCount     int            `dynamodbav:"app_count"`
	OwnerCount   int            `dynamodbav:"owner_count"`
	RoleCounts   map[string]int `dynamodbav:"role_counts"`
	// Custom roles live on the org item, so admission resolves a custom
	// role in the read it makes anyway (see roles.go).
	CustomRoles      map[string]roleRecord `dynamodbav:"custom_roles"`
	RoleCount        int                   `dynamodbav:"role_count"`
	InviteRoleCounts map[string]int        `dynamodbav:"invite_role_counts"`
	SeatLimit        *int                  `dynamodbav:"seat_limit,omitempty"`
	ProjectLimit     *int                  `dynamodbav:"project_limit,omitempty"`
	APIKeyLimit      *int                  `dynamodbav:"api_key_limit,omitempty"`
	AppLimit         *int                  `dynamodbav:"app_limit,omitempty"`
	RoleLimit        *int                  `dynamodbav:"role_limit,omitempty"`
	CreatedAt        string                `dynamodbav:"created_at"`
	UpdatedAt        string                `dynamodbav:"updated_at"`
	Version          int64                 `dynamodbav:"version"`
}

func (r orgRecord) org() orgs.Organization {
	return orgs.Organization{
		ID: r.ID, Name: r.Name, Slug: r.Slug, Description: r.Description, LogoURL: r.LogoURL,
		Branding: r.Branding, NotificationPreferences: r.NotificationPreferences, BillingEmail: r.BillingEmail,
		Billing: r.Billing.details(),
		Plan:    r.Plan, Personal: r.Personal, Status: r.Status,
		Counts: orgs.Counts{Members: r.MemberCount, PendingInvitations: r.InviteCount, Projects: r.ProjectCount,
			APIKeys: r.APIKeyCount, Apps: r.AppCount, ActiveOwners: r.OwnerCount, Roles: r.RoleCount},
		RoleCounts: r.RoleCounts, InviteRoleCounts: r.InviteRoleCounts, CustomRoles: customRoles(r.CustomRoles),
		CreatedAt: parseStamp(r.CreatedAt), UpdatedAt: parseStamp(r.UpdatedAt), Version: r.Version,
	}
}

func (r *orgRecord) setLimits(l plans.Limits) {
	r.SeatLimit, r.ProjectLimit, r.APIKeyLimit, r.AppLimit = l.Members, l.Projects, l.APIKeys, l.Apps
	roles := plans.MaxCustomRoles
	if l.Roles != nil {
		roles = min(*l.Roles, roles)
	}
	r.RoleLimit = &roles
}

type memberRecord struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	Type   string `dynamodbav:"type"`
	OrgID  string `dynamodbav:"organization_id"`
	UserID string `dynamodbav:"user_id"`
	Email  string `dynamodbav:"email"`
	Name   string `dynamodbav:"name"`
	NameLC string `dynamodbav:"name_lc"`
	Role   string `dynamodbav:"role"`
	// RoleExpiresAt ends a time-bound elevation (a stamp).
	RoleExpiresAt string `dynamodbav:"role_expires_at,omitempty"`
	Status        string `dynamodbav:"status"`
	JoinedAt      string `dynamodbav:"joined_at"`
	// Notifications holds only the categories a member set.
	Notifications map[string]bool `dynamodbav:"notifications,omitempty"`
	Version       int64           `dynamodbav:"version"`
}

func newMemberRecord(m orgs.Member) memberRecord {
	return memberRecord{
		PK: orgPK(m.OrganizationID), SK: memberSK(m.UserID),
		GSI1PK: userPK(m.UserID), GSI1SK: membershipGSI1SK(m.OrganizationID),
		Type: TypeMember, OrgID: m.OrganizationID, UserID: m.UserID, Email: m.Email,
		Name: m.Name, NameLC: lower(m.Name), Role: m.Role, RoleExpiresAt: stampOrEmpty(m.RoleExpiresAt), Status: m.Status,
		JoinedAt: stamp(m.JoinedAt), Notifications: m.Notifications, Version: m.Version,
	}
}

func (r memberRecord) member() orgs.Member {
	return orgs.Member{OrganizationID: r.OrgID, UserID: r.UserID, Email: r.Email, Name: r.Name,
		Role: r.Role, RoleExpiresAt: parseStamp(r.RoleExpiresAt), Status: r.Status, JoinedAt: parseStamp(r.JoinedAt),
		Notifications: r.Notifications, Version: r.Version}
}

type guardRecord struct {
	PK    string `dynamodbav:"PK"`
	SK    string `dynamodbav:"SK"`
	Type  string `dynamodbav:"type"`
	Owner string `dynamodbav:"owner"` // the org (slug guard) or user/invitation (email guard)
}

func emailGuard(org string, a email.Address, owner string) guardRecord {
	return guardRecord{PK: orgPK(org), SK: emailSK(a), Type: TypeEmailGuard, Owner: owner}
}

type userRecord struct {
	PK                   string `dynamodbav:"PK"`
	SK                   string `dynamodbav:"SK"`
	Type                 string `dynamodbav:"type"`
	ID                   string `dynamodbav:"id"`
	Issuer               string `dynamodbav:"issuer"`
	Subject              string `dynamodbav:"subject"`
	Email                string `dynamodbav:"email"`
	Name                 string `dynamodbav:"name"`
	ActiveOrganizationID string `dynamodbav:"active_organization_id,omitempty"`
	ActiveProjectID      string `dynamodbav:"active_project_id,omitempty"`
	PersonalOrgID        string `dynamodbav:"personal_organization_id"`
	CreatedAt            string `dynamodbav:"created_at"`
	LastLoginAt          string `dynamodbav:"last_login_at"`
}

func (r userRecord) user() orgs.User {
	return orgs.User{ID: r.ID, Email: r.Email, Name: r.Name, ActiveOrganizationID: r.ActiveOrganizationID,
		ActiveProjectID: r.ActiveProjectID, CreatedAt: parseStamp(r.CreatedAt), LastLoginAt: parseStamp(r.LastLoginAt)}
}

type projectRecord struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	GSI1PK      string `dynamodbav:"GSI1PK"` // by name
	GSI1SK      string `dynamodbav:"GSI1SK"`
	GSI2PK      string `dynamodbav:"GSI2PK"` // by last update
	GSI2SK      string `dynamodbav:"GSI2SK"`
	Type        string `dynamodbav:"type"`
	ID          string `dynamodbav:"id"`
	OrgID       string `dynamodbav:"organization_id"`
	Name        string `dynamodbav:"name"`
	NameLC      string `dynamodbav:"name_lc"`
	Description string `dynamodbav:"description"`
	CreatedBy   string `dynamodbav:"created_by"`
	APIKeyCount int    `dynamodbav:"api_key_count"`
	CreatedAt   string `dynamodbav:"created_at"`
	UpdatedAt   string `dynamodbav:"updated_at"`
	Version     int64  `dynamodbav:"version"`
}

func (r projectRecord) project() orgs.Project {
	return orgs.Project{ID: r.ID, OrganizationID: r.OrgID, Name: r.Name, Description: r.Description,
		CreatedBy: r.CreatedBy, APIKeyCount: r.APIKeyCount, CreatedAt: parseStamp(r.CreatedAt),
		UpdatedAt: parseStamp(r.UpdatedAt), Version: r.Version}
}

// billingRecord is an org's billing details, one map attribute.
type billingRecord struct {
	CompanyName string `dynamodbav:"company_name,omitempty" json:"company_name,omitempty"`
	Line1       string `dynamodbav:"line1,omitempty" json:"line1,omitempty"`
	Line2       string `dynamodbav:"line2,omitempty" json:"line2,omitempty"`
	City        string `dynamodbav:"city,omitempty" json:"city,omitempty"`
	PostalCode  string `dynamodbav:"postal_code,omitempty" json:"postal_code,omitempty"`
	State       string `dynamodbav:"state,omitempty" json:"state,omitempty"`
	Country     string `dynamodbav:"country,omitempty" json:"country,omitempty"`
	TaxIDType   string `dynamodbav:"tax_id_type,omitempty" json:"tax_id_type,omitempty"`
	TaxIDValue  string `dynamodbav:"tax_id_value,omitempty" json:"tax_id_value,omitempty"`
}

func newBillingRecord(b orgs.BillingDetails) billingRecord {
	a := b.Address
	return billingRecord{CompanyName: b.CompanyName, Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode,
		State: a.State, Country: a.Country, TaxIDType: b.TaxID.Type, TaxIDValue: b.TaxID.Value}
}

func (r *billingRecord) details() orgs.BillingDetails {
	if r == nil {
		return orgs.BillingDetails{}
	}
	return orgs.BillingDetails{CompanyName: r.CompanyName,
		Address: orgs.Address{Line1: r.Line1, Line2: r.Line2, City: r.City, PostalCode: r.PostalCode, State: r.State, Country: r.Country},
		TaxID:   orgs.TaxID{Type: r.TaxIDType, Value: r.TaxIDValue}}
}
