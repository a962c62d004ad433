// Package orgs holds Orgplane's domain types — users, organizations,
// memberships and projects — and the validation rules for their fields.
// It imports nothing from AWS; package ddb stores these types.
package orgs

import (
	"time"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/plans"
)

// User is a person known to Orgplane through their identity provider.
type User struct {
	ID                   string
	Email                string
	Name                 string
	ActiveOrganizationID string
	ActiveProjectID      string
	CreatedAt            time.Time
	LastLoginAt          time.Time
}

// Counts are an org's counters, kept in the same transactions as the items
// they count so quota conditions can read them.
type Counts struct {
	Members            int // active and inactive memberships
	PendingInvitations int
	Projects           int
	APIKeys            int
	Apps               int
	ActiveOwners       int
	Roles              int // custom roles
}

// Seats is what the member quota counts: members plus pending invitations.
func (c Counts) Seats() int { return c.Members + c.PendingInvitations }

// Organization is a tenant. Everything it holds lives under its id.
type Organization struct {
	ID                      string
	Name                    string
	Slug                    string
	Description             string
	LogoURL                 string
	Branding                map[string]string
	NotificationPreferences map[string]bool
	BillingEmail            string
	Billing                 BillingDetails
	Plan                    string
	Personal                bool
	Status                  string // active, deleting
	Counts                  Counts
	RoleCounts              map[string]int // members per role id
	// InviteRoleCounts are pending invitations per role id.
	InviteRoleCounts map[string]int
	// CustomRoles are the org's own roles by id. They live on the org item
	// so admission resolves any role in the one read it makes anyway.
	CustomRoles map[string]access.Role
	HasWallet   bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// Role resolves a role id in this org (built-in or custom).
func (o Organization) Role(id string) (access.Role, bool) { return access.Find(id, o.CustomRoles) }

// Limits are the quotas of the org's plan.
func (o Organization) Limits() plans.Limits {
	p, _ := plans.Get(o.Plan)
	return p.Limits
}

// Membership statuses.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
)

// Org statuses.
const (
	OrgActive   = "active"
	OrgDeleting = "deleting"
)

// Member is a user's membership in an org.
type Member struct {
	OrganizationID string
	UserID         string
	Email          string
	Name           string
	Role           string
	// RoleExpiresAt ends a time-bound elevation: from then on the member
	// acts as a member (RoleAt). Zero when the role does not expire.
	RoleExpiresAt time.Time
	Status        string
	JoinedAt      time.Time
	LastLoginAt   time.Time // from the user's profile; zero when never seen
	// Notifications are the member's email choices in this org.
	Notifications EmailPrefs
	Version       int64
}

// Project is a unit of work inside an org.
type Project struct {
	ID             string
	OrganizationID string
	Name           string
	Description    string
	CreatedBy      string
	APIKeyCount    int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// RoleAt is the role the member acts with at now: their role, or the
// member role once a time-bound elevation has ended.
func (m Member) RoleAt(now time.Time) string {
	if !m.RoleExpiresAt.IsZero() && !now.Before(m.RoleExpiresAt) {
		return access.Member
	}
	return m.Role
}

// ElevatedUntil is when the member's role expires, zero when it does not
// (or already has).
func (m Member) ElevatedUntil(now time.Time) time.Time {
	if m.RoleAt(now) != m.Role {
		return time.Time{}
	}
	return m.RoleExpiresAt
}
