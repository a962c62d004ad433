// Package orgs holds Orgplane's domain types — users, organizations,
// memberships and projects — and the validation rules for their fields.
// It imports nothing from AWS; package ddb stores these types.
package orgs

import (
	"time"

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
	Plan                    string
	Personal                bool
	Status                  string // active, deleting
	Counts                  Counts
	RoleCounts              map[string]int
	HasWallet               bool
	CreatedAt               time.Time
	UpdatedAt               time.Time
	Version                 int64
}

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
	Status         string
	JoinedAt       time.Time
	LastLoginAt    time.Time // from the user's profile; zero when never seen
	Version        int64
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
