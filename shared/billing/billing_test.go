package billing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/plans"
)

func TestProrate(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	end := billing.Period{}.After(start) // 31 days
	for _, tc := range []struct {
		name     string
		old, new int64
		now      time.Time
		want     int64
	}{
		{"PeriodStart", 2000, 10000, start, 8000},
		{"Middle", 2000, 10000, start.Add(end.Sub(start) / 2), 4000},
		{"LastSecond", 2000, 10000, end.Add(-time.Second), 1},         // 8000/2678400, rounded up
		{"LastNanosecond", 0, 50000, end.Add(-time.Nanosecond), 1},    // never free while time remains
		{"OneThird", 0, 2000, start.Add(end.Sub(start) * 2 / 3), 667}, // 666.67 rounds up
		{"AtEnd", 2000, 10000, end, 0},
		{"Downgrade", 10000, 2000, start, 0},
		{"BeforeStartIsWholePeriod", 0, 2000, start.Add(-time.Hour), 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := billing.Prorate(tc.old, tc.new, start, end, tc.now); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestPeriodAfter(t *testing.T) {
	jan31 := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	if got := (billing.Period{}).After(jan31); !got.Equal(time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("calendar month after Jan 31: %v", got) // Go normalizes Feb 31
	}
	if got := (billing.Period{Every: 2 * time.Minute}).After(jan31); got.Sub(jan31) != 2*time.Minute {
		t.Fatalf("BILLING_PERIOD 2m: %v", got)
	}
}

func TestViolationsListsEvery(t *testing.T) {
	free, _ := plans.Get(plans.Free)
	u := billing.Usage{Members: 9, Projects: 4, APIKeys: 5, Apps: 2, Roles: 7}
	got := billing.Violations(u, free.Limits)
	want := []billing.Measure{measure("members", 9, 5), measure("projects", 4, 3), measure("apps", 2, 1), measure("roles", 7, 3)}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	ent, _ := plans.Get("enterprise")
	if v := billing.Violations(u, ent.Limits); len(v) != 0 {
		t.Fatalf("unlimited plan: %v", v)
	}
}

func TestWarnings(t *testing.T) {
	pro, _ := plans.Get("pro")
	u := billing.Usage{Members: 20, Projects: 39, APIKeys: 50, Apps: 0, Roles: 8}
	got := billing.Warnings(u, pro.Limits)
	want := []billing.Measure{measure("members", 20, 25), measure("api_keys", 50, 50), measure("roles", 8, 10)}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestDueAt(t *testing.T) {
	end := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	grace := end.Add(billing.Grace)
	for _, tc := range []struct {
		name string
		sub  billing.Subscription
		want time.Time
	}{
		{"Free", billing.Free("org_1"), time.Time{}},
		{"PaidRenews", billing.Subscription{Plan: "pro", Status: billing.Active, PeriodEnd: end}, end},
		{"DowngradePending", billing.Subscription{Plan: "pro", PendingPlan: "free", Status: billing.Active, PeriodEnd: end}, end},
		{"PastDueAtGraceEnd", billing.Subscription{Plan: "pro", Status: billing.PastDue, PeriodEnd: end, GraceEndsAt: grace}, grace},
		{"OverLimit", billing.Subscription{Plan: "free", Status: billing.OverLimit}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.sub.DueAt(); !got.Equal(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func measure(resource string, usage, limit int) billing.Measure {
	return billing.Measure{Resource: resource, Usage: usage, Limit: limit}
}

func TestLocalPeriodsScaleTrialAndGrace(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	local := billing.Period{Every: 2 * time.Minute}
	if got := local.TrialEnd(at, 30).Sub(at); got != 2*time.Minute {
		t.Fatalf("a 30-day trial on a 2m period: %v", got)
	}
	if got := local.GraceEnd(at).Sub(at); got != 28*time.Second {
		t.Fatalf("grace on a 2m period: %v", got)
	}
	if got := (billing.Period{}).GraceEnd(at).Sub(at); got != billing.Grace {
		t.Fatalf("grace: %v", got)
	}
	if got := (billing.Period{}).NextCharge(billing.Annual, at); !got.Equal(at.AddDate(1, 0, 0)) {
		t.Fatalf("annual: %v", got)
	}
	if got := (billing.Period{}).NextCharge(billing.Lifetime, at); !got.IsZero() {
		t.Fatalf("lifetime charges once: %v", got)
	}
}
