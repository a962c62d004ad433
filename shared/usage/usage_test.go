package usage_test

import (
	"slices"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/usage"
)

func TestMonth(t *testing.T) {
	cases := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 1, 31, 23, 59, 59, 999_999_999, time.UTC), "2026-01"},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "2026-02"},
		// UTC, whatever the zone it is given in: 00:30 in Berlin is still
		// the last day of January in UTC.
		{time.Date(2026, 2, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-01"},
		{time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC), "2024-02"},
	}
	for _, tc := range cases {
		if got := usage.Month(tc.at); got != tc.want {
			t.Errorf("Month(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

func TestSpan(t *testing.T) {
	cases := []struct {
		now  time.Time
		n    int
		want []string
	}{
		{time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC), 6, []string{"2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"}},
		{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 1, []string{"2026-03"}},
		{time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), 12, []string{"2026-01", "2026-02", "2026-03", "2026-04", "2026-05",
			"2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"}},
	}
	for _, tc := range cases {
		if got := usage.Span(tc.now, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("Span(%s, %d) = %v, want %v", tc.now, tc.n, got, tc.want)
		}
	}
}

func TestFill(t *testing.T) {
	span := []string{"2026-01", "2026-02", "2026-03"}
	got := usage.Fill(span, []usage.Usage{{Month: "2026-02", Counts: usage.Counts{ProjectsCreated: 2}},
		{Month: "2025-12", Counts: usage.Counts{ProjectsCreated: 9}}})
	want := []usage.Usage{{Month: "2026-01"}, {Month: "2026-02", Counts: usage.Counts{ProjectsCreated: 2}}, {Month: "2026-03"}}
	if !slices.Equal(got, want) {
		t.Errorf("Fill = %+v, want %+v", got, want)
	}
}

func TestTally(t *testing.T) {
	cases := []struct {
		name string
		c    usage.Change
		want usage.Counts
	}{
		{"ProjectCreated", usage.Change{Event: usage.Insert, Kind: usage.Project}, usage.Counts{ProjectsCreated: 1}},
		{"ProjectDeleted", usage.Change{Event: usage.Remove, Kind: usage.Project}, usage.Counts{ProjectsDeleted: 1}},
		{"ProjectRenamed", usage.Change{Event: usage.Modify, Kind: usage.Project}, usage.Counts{}},
		{"MemberJoined", usage.Change{Event: usage.Insert, Kind: usage.Member}, usage.Counts{MembersJoined: 1}},
		{"Charge", usage.Change{Event: usage.Insert, Kind: usage.LedgerEntry, Charged: 40}, usage.Counts{CreditsSpent: 40}},
		{"StandardWindow", usage.Change{Event: usage.Modify, Kind: usage.RateWindow, KeyType: apikeys.Standard, Admitted: 1},
			usage.Counts{StandardRequests: 1}},
		{"AgentWindow", usage.Change{Event: usage.Insert, Kind: usage.RateWindow, KeyType: apikeys.AIAgent, Admitted: 1},
			usage.Counts{AgentRequests: 1}},
		{"Refused", usage.Change{Event: usage.Modify, Kind: usage.RateWindow, KeyType: apikeys.Standard, Refused: 1},
			usage.Counts{RateLimited: 1}},
		// A window image with a lower count than the one before it takes
		// nothing away.
		{"NeverNegative", usage.Change{Event: usage.Modify, Kind: usage.RateWindow, KeyType: apikeys.Standard, Admitted: -3, Refused: -1},
			usage.Counts{}},
		{"WindowExpired", usage.Change{Event: usage.Remove, Kind: usage.RateWindow, Admitted: 5}, usage.Counts{}},
		{"BudgetRefused", usage.Change{Event: usage.Modify, Kind: usage.KeySpend, Refused: 1}, usage.Counts{Budget: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := usage.Tally(tc.c); got != tc.want {
				t.Errorf("Tally = %+v, want %+v", got, tc.want)
			}
		})
	}
}
