// Package invites holds the invitation to join an organization: its
// statuses, its lifetime and its token (how a token is derived from a
// server secret, hashed for storage and recognised). It imports nothing
// from AWS; package ddb stores invitations.
package invites

import "time"

// Lifetime is how long an invitation (or a resend of it) stays acceptable.
const Lifetime = 7 * 24 * time.Hour

// Statuses. Expired is computed from ExpiresAt for a pending invitation
// (see StatusAt); it is stored only when an expired invitation is closed
// to free its seat and email.
const (
	Pending  = "pending"
	Accepted = "accepted"
	Declined = "declined"
	Revoked  = "revoked"
	Expired  = "expired"
)

// Statuses is every status a client may filter by.
var Statuses = []string{Pending, Accepted, Declined, Revoked, Expired}

// Invitation asks someone, by email, to join an org with a role.
type Invitation struct {
	ID             string
	OrganizationID string
	Email          string // lower case
	Name           string // the invitee's name, when the inviter gave one
	Role           string
	// RoleExpiresAt makes the membership's role a time-bound elevation
	// (see orgs.Member.RoleExpiresAt); zero when it does not expire.
	RoleExpiresAt time.Time
	InviterID     string
	InviterName   string
	Status        string // as stored; use StatusAt for what clients see
	// SendNonce is the nonce of the latest send; with the server secret it
	// derives the current token (see Secret.Token).
	SendNonce string
	// TokenHash is Hash of the current token: what its lookup is keyed by.
	TokenHash   string
	SendCount   int
	ExpiresAt   time.Time
	RespondedAt time.Time // accepted, declined, revoked or expired
	AcceptedBy  string    // the user who accepted
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// StatusAt is the invitation's status at now: a pending invitation whose
// expiry has passed is expired, whatever the table's TTL has done yet.
func (i Invitation) StatusAt(now time.Time) string {
	if i.Status == Pending && !now.Before(i.ExpiresAt) {
		return Expired
	}
	return i.Status
}

// Open reports whether the invitation still holds a seat and its email:
// stored as pending, expired or not.
func (i Invitation) Open() bool { return i.Status == Pending }
