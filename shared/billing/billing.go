// Package billing holds the rules of plan subscriptions paid from the
// wallet: billing periods, the prorated price of an upgrade, what a plan's
// limits make of an org's usage (violations, near-limit warnings) and the
// grace a short wallet gets. It imports nothing from AWS; package ddb
// stores subscriptions and applies these rules inside its transactions.
package billing

import (
	"math/big"
	"time"

	"github.com/orgplane/orgplane/shared/plans"
)

// Subscription statuses.
const (
	Active = "active"
	// PastDue: a renewal found the wallet short; the plan holds through
	// the grace period, and a top-up settles the renewal.
	PastDue = "past_due"
	// OverLimit: the grace ended unpaid and the org fell back to free with
	// more than free allows. Creates are refused; nothing is deleted.
	OverLimit = "over_limit"
)

// Grace is how long a past-due subscription keeps its plan.
const Grace = 7 * 24 * time.Hour

// Subscription is an org's plan and its billing period.
type Subscription struct {
	OrganizationID string
	Plan           string
	Status         string
	// The period paid for; zero on free, which has none.
	PeriodStart time.Time
	PeriodEnd   time.Time
	// PendingPlan is a downgrade that takes effect at PendingPlanAt (the
	// period's end).
	PendingPlan   string
	PendingPlanAt time.Time
	GraceEndsAt   time.Time
	LastChargeID  string
	Version       int64
}

// Free is the subscription of an org that never subscribed.
func Free(org string) Subscription {
	return Subscription{OrganizationID: org, Plan: plans.Free, Status: Active}
}

// NextPlan is the plan the next period is charged for.
func (s Subscription) NextPlan() string {
	if s.PendingPlan != "" {
		return s.PendingPlan
	}
	return s.Plan
}

// DueAt is when the renewal job must next act on the subscription: the
// period's end while it is active on a paid plan or has a downgrade
// pending, the grace's end while past due; zero when nothing is due.
func (s Subscription) DueAt() time.Time {
	switch {
	case s.Status == PastDue:
		return s.GraceEndsAt
	case s.Status == Active && !s.PeriodEnd.IsZero() && (Price(s.Plan) > 0 || s.PendingPlan != ""):
		return s.PeriodEnd
	}
	return time.Time{}
}

// Price is a plan's price per period in credits (0 for an unknown plan).
func Price(plan string) int64 {
	p, _ := plans.Get(plan)
	return p.Price
}

// Period is the length of a billing period: one calendar month unless
// Every is set (BILLING_PERIOD, for local runs that want to watch it).
type Period struct {
	Every time.Duration
}

// After is the end of a period that starts at start.
func (p Period) After(start time.Time) time.Time {
	if p.Every > 0 {
		return start.Add(p.Every)
	}
	return start.AddDate(0, 1, 0)
}

// Prorate is what moving from a plan at oldPrice to one at newPrice costs
// at now within the period [start, end): ceil((new − old) × remaining /
// period), in whole credits, computed exactly. Nothing is owed for a
// cheaper plan or outside the period.
func Prorate(oldPrice, newPrice int64, start, end, now time.Time) int64 {
	diff := newPrice - oldPrice
	total := end.Sub(start)
	remaining := end.Sub(now)
	if diff <= 0 || total <= 0 || remaining <= 0 {
		return 0
	}
	remaining = min(remaining, total)
	num := new(big.Int).Mul(big.NewInt(diff), big.NewInt(int64(remaining)))
	den := big.NewInt(int64(total))
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// Usage is what an org holds of each limited resource. Members counts
// seats: active and inactive members plus pending invitations.
type Usage struct {
	Members, Projects, APIKeys, Apps, Roles int
}

// Resource names, as violations and warnings report them.
const (
	Members  = "members"
	Projects = "projects"
	APIKeys  = "api_keys"
	Apps     = "apps"
	Roles    = "roles"
)

// Measure is one resource's usage against a limit.
type Measure struct {
	Resource string
	Usage    int
	Limit    int
}

// measures pairs each limited resource's usage with its limit, in a fixed
// order; unlimited resources are left out.
func measures(u Usage, l plans.Limits) []Measure {
	var out []Measure
	for _, m := range []struct {
		resource string
		usage    int
		limit    *int
	}{{Members, u.Members, l.Members}, {Projects, u.Projects, l.Projects}, {APIKeys, u.APIKeys, l.APIKeys},
		{Apps, u.Apps, l.Apps}, {Roles, u.Roles, l.Roles}} {
		if m.limit != nil {
			out = append(out, Measure{m.resource, m.usage, *m.limit})
		}
	}
	return out
}

// Violations lists every resource whose usage exceeds the limits: what
// keeps an org from moving to a plan with those limits.
func Violations(u Usage, l plans.Limits) []Measure {
	var out []Measure
	for _, m := range measures(u, l) {
		if m.Usage > m.Limit {
			out = append(out, m)
		}
	}
	return out
}

// WarnPercent is the share of a limit at which usage earns a warning.
const WarnPercent = 80

// Warnings lists every resource at or above WarnPercent of its limit
// (including those over it).
func Warnings(u Usage, l plans.Limits) []Measure {
	out := []Measure{}
	for _, m := range measures(u, l) {
		if m.Usage*100 >= m.Limit*WarnPercent && m.Usage > 0 {
			out = append(out, m)
		}
	}
	return out
}

// How an installed app is paid for (the template's pricing options).
const (
	Monthly  = "monthly"
	Annual   = "annual"
	OneTime  = "one_time"
	Lifetime = "lifetime"
)

// AppBillings lists the options, in the catalog's order.
var AppBillings = []string{Monthly, Annual, OneTime, Lifetime}

// Recurs reports whether an app billing option charges every period
// (monthly, annual) rather than once (one_time, lifetime).
func Recurs(option string) bool { return option == Monthly || option == Annual }

// NextCharge is when an app paid with option for the period starting at
// start is charged again; zero for options charged once.
func (p Period) NextCharge(option string, start time.Time) time.Time {
	switch option {
	case Monthly:
		return p.After(start)
	case Annual:
		if p.Every > 0 {
			return start.Add(12 * p.Every)
		}
		return start.AddDate(1, 0, 0)
	}
	return time.Time{}
}

// GraceEnd is when the grace of a renewal due at due ends: billing.Grace,
// scaled like a trial with a short local period (7/30 of it).
func (p Period) GraceEnd(due time.Time) time.Time {
	if p.Every > 0 {
		return due.Add(p.Every * 7 / 30)
	}
	return due.Add(Grace)
}

// TrialEnd is when a trial of days that starts at start ends. With a short
// local period (BILLING_PERIOD) a trial scales with it, 30 days to one
// period, so a local run shows a trial ending within minutes.
func (p Period) TrialEnd(start time.Time, days int) time.Time {
	if p.Every > 0 {
		return start.Add(time.Duration(days) * p.Every / 30)
	}
	return start.AddDate(0, 0, days)
}
