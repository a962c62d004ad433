// Package activity owns an org's audit trail: the events that record each
// change, who made it (a person, an API key or the system), to what, from
// where, and which fields moved. The store writes an event in the same
// transaction as the change it records, so there is exactly one per change
// and none for a change that failed.
package activity

import (
	"context"
	"reflect"
	"strings"
	"time"
)

// Retention is how long an event is kept. Reads hide older events even
// before the table's TTL removes them.
const Retention = 400 * 24 * time.Hour

// Who made a change.
const (
	ActorUser   = "user"
	ActorAPIKey = "api_key"
	ActorSystem = "system"
)

// Actor is who made a change. A system actor's ID names the job.
type Actor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Person is a signed-in person as an actor, named by their email when
// they have no name.
func Person(id, name, email string) Actor {
	if name == "" {
		name = email
	}
	return Actor{Type: ActorUser, ID: id, Name: name}
}

// System is the actor of a scheduled job or a stream consumer.
func System(job string) Actor { return Actor{Type: ActorSystem, ID: job, Name: job} }

// Target is what a change touched.
type Target struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Target types.
const (
	TargetOrganization = "organization"
	TargetProject      = "project"
	TargetMember       = "member"
	TargetRole         = "role"
	TargetInvitation   = "invitation"
	TargetAPIKey       = "api_key"
	TargetWallet       = "wallet"
	TargetSubscription = "subscription"
	TargetApp          = "app"
	TargetExport       = "export"
	TargetLedgerEntry  = "ledger_entry"
)

// Context is where a change came from. The system's changes have none.
type Context struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Change is one field's move. Values are what the API shows for the
// field, never a secret.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// Changes are the fields an update moved, by the API's field names.
type Changes map[string]Change

// Note adds a field's move when it moved.
func (c Changes) Note(field string, from, to any) Changes {
	if !reflect.DeepEqual(from, to) {
		c[field] = Change{From: from, To: to}
	}
	return c
}

// Event is one recorded change.
type Event struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"-"`
	Action         string    `json:"action"`
	OccurredAt     time.Time `json:"occurred_at"`
	Actor          Actor     `json:"actor"`
	Targets        []Target  `json:"targets"`
	Context        Context   `json:"context"`
	Changes        Changes   `json:"changes,omitempty"`
}

// With is e with the fields its change moved.
func (e Event) With(c Changes) Event {
	e.Changes = c
	return e
}

// Filter narrows the events read. Zero fields do not filter. Action is an
// exact action ("member.role_changed") or a prefix ending in ".*"
// ("member.*").
type Filter struct {
	ActorID   string
	ActorType string
	Action    string
	TargetID  string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
}

// ActionPrefix reports whether the filter's action is a prefix and returns
// it with its dot ("member."), or the exact action.
func (f Filter) ActionPrefix() (string, bool) {
	if p, ok := strings.CutSuffix(f.Action, ".*"); ok {
		return p + ".", true
	}
	return f.Action, false
}

// Window is the part of [Since, Until) that is still kept at now.
func (f Filter) Window(now time.Time) (since, until time.Time) {
	since, until = f.Since, f.Until
	if oldest := now.Add(-Retention); since.Before(oldest) {
		since = oldest
	}
	if until.IsZero() {
		until = now.Add(time.Hour) // events stamped by a clock a little ahead
	}
	return since, until
}

type requestKey struct{}

// WithRequest carries where a request came from to the store, which stamps
// it on the events the request's changes write.
func WithRequest(ctx context.Context, rc Context) context.Context {
	return context.WithValue(ctx, requestKey{}, rc)
}

// RequestFrom is the context WithRequest carried, zero when none.
func RequestFrom(ctx context.Context) Context {
	rc, _ := ctx.Value(requestKey{}).(Context)
	return rc
}
