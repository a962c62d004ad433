// Package usage owns an org's monthly usage: what each change to the table
// adds to which counter of which month, and the months an analytics
// request spans. Months are calendar months in UTC ("2026-11"). The
// counters are fed by the usage stream consumer (package usagestream) from
// writes the product makes anyway; nothing here does I/O.
package usage

import (
	"fmt"
	"time"

	"github.com/orgplane/orgplane/shared/apikeys"
)

// MonthLayout formats a month: "2006-01".
const MonthLayout = "2006-01"

// Month is the UTC calendar month t falls in, as "2006-01": an event at
// 23:59:59.999 UTC on the last day of a month belongs to that month.
func Month(t time.Time) string { return t.UTC().Format(MonthLayout) }

// Span is the last n months up to and including now's, oldest first.
func Span(now time.Time, n int) []string {
	now = now.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]string, n)
	for i := range n {
		out[i] = Month(first.AddDate(0, i-(n-1), 0))
	}
	return out
}

// MonthEnd is the first instant after the month m ("2006-01").
func MonthEnd(m string) (time.Time, error) {
	t, err := time.Parse(MonthLayout, m)
	if err != nil {
		return time.Time{}, fmt.Errorf("usage: month %q: %w", m, err)
	}
	return t.AddDate(0, 1, 0), nil
}

// Counts are one month's counters. Each one's meaning is documented for
// clients in openapi.yaml (AnalyticsMonth).
type Counts struct {
	ProjectsCreated int64
	ProjectsDeleted int64
	MembersJoined   int64
	// CreditsSpent is the credits of the month's charges (top-ups are
	// not spending).
	CreditsSpent int64
	// Requests admitted with a standard key and with an AI-agent key.
	StandardRequests int64
	AgentRequests    int64
	// Requests refused: over a rate limit (429), with an invalid key
	// (never counted: see Invalid), or over an agent key's credit budget
	// (402).
	RateLimited int64
	Invalid     int64
	Budget      int64
	// ActiveAPIKeys is how many distinct keys were admitted at least once
	// in the month.
	ActiveAPIKeys int64
}

// Add is c plus d.
func (c Counts) Add(d Counts) Counts {
	return Counts{
		ProjectsCreated:  c.ProjectsCreated + d.ProjectsCreated,
		ProjectsDeleted:  c.ProjectsDeleted + d.ProjectsDeleted,
		MembersJoined:    c.MembersJoined + d.MembersJoined,
		CreditsSpent:     c.CreditsSpent + d.CreditsSpent,
		StandardRequests: c.StandardRequests + d.StandardRequests,
		AgentRequests:    c.AgentRequests + d.AgentRequests,
		RateLimited:      c.RateLimited + d.RateLimited,
		Invalid:          c.Invalid + d.Invalid,
		Budget:           c.Budget + d.Budget,
		ActiveAPIKeys:    c.ActiveAPIKeys + d.ActiveAPIKeys,
	}
}

// IsZero reports whether every counter is zero.
func (c Counts) IsZero() bool { return c == Counts{} }

// Usage is one month's counters of one org.
type Usage struct {
	Month string // "2006-01"
	Counts
}

// Fill returns one Usage per month of span, in span's order: the stored
// ones where there are, zero elsewhere.
func Fill(span []string, stored []Usage) []Usage {
	byMonth := make(map[string]Counts, len(stored))
	for _, u := range stored {
		byMonth[u.Month] = u.Counts
	}
	out := make([]Usage, len(span))
	for i, m := range span {
		out[i] = Usage{Month: m, Counts: byMonth[m]}
	}
	return out
}

// What a changed item is, for the counters.
type Kind int

const (
	Project     Kind = iota + 1 // a project: created (INSERT) or deleted (REMOVE)
	Member                      // a membership: a member joined (INSERT)
	LedgerEntry                 // a ledger entry (INSERT); charges are spending
	RateWindow                  // a key's metered rate-limit window (INSERT, MODIFY)
	KeySpend                    // an agent key's spend in a budget period (INSERT, MODIFY)
)

// Stream event names.
const (
	Insert = "INSERT"
	Modify = "MODIFY"
	Remove = "REMOVE"
)

// Change is what one stream record says about an org's usage, decoded
// from its images by the store (which alone knows the item layout).
type Change struct {
	Event string // Insert, Modify or Remove
	Kind  Kind
	OrgID string
	// At is when the change happened: the item's own time (created,
	// joined, the window's start) where it has one, else the stream
	// record's. It picks the month.
	At time.Time
	// Charged is a ledger entry's amount when the entry is a charge.
	Charged int64
	// KeyID and KeyType name the key of a window or a spend.
	KeyID, KeyType string
	// Admitted and Refused are what the record added to a window's count
	// of admitted requests and to a window's or a spend's count of
	// refused ones.
	Admitted, Refused int64
}

// Tally is what the change adds to its month's counters: the rules.
func Tally(c Change) Counts {
	switch {
	case c.Kind == Project && c.Event == Insert:
		return Counts{ProjectsCreated: 1}
	case c.Kind == Project && c.Event == Remove:
		return Counts{ProjectsDeleted: 1}
	case c.Kind == Member && c.Event == Insert:
		return Counts{MembersJoined: 1}
	case c.Kind == LedgerEntry && c.Event == Insert:
		return Counts{CreditsSpent: c.Charged}
	case c.Kind == RateWindow && c.Event != Remove:
		n := Counts{RateLimited: max(c.Refused, 0)}
		if c.KeyType == apikeys.AIAgent {
			n.AgentRequests = max(c.Admitted, 0)
		} else {
			n.StandardRequests = max(c.Admitted, 0)
		}
		return n
	case c.Kind == KeySpend && c.Event != Remove:
		return Counts{Budget: max(c.Refused, 0)}
	}
	return Counts{}
}
