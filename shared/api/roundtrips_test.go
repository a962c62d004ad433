package api_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/access"
)

// readCost is what one request of a read route may cost: DynamoDB calls,
// and round trips (calls sent together are one round trip).
type readCost struct{ calls, rounds int }

// readCosts is the cost of EVERY GET route, as its owner (JWT) and with
// an API key; TestRoundTrips fails for a GET route missing here. Reads of
// one resource are one round trip: admission's keys and the resource's
// in one consistent BatchGetItem (DESIGN.md "Read path"). Lists send
// admission beside their Query. An API key adds one UpdateItem (its rate
// limit window). byKey is zero for routes a key may not call (refused
// before any I/O, or after admission for people's routes).
var readCosts = map[string]struct {
	jwt, byKey readCost
	keyStatus  int
}{
	// The profile, then one batch checking that the active org and
	// project still exist, so /me never names something gone.
	"get-me": {readCost{2, 2}, readCost{0, 0}, 403},
	// The Query, then the page's orgs with the profile in one batch.
	"list-my-organizations": {readCost{2, 2}, readCost{0, 0}, 403},
	"list-permissions":      {readCost{0, 0}, readCost{3, 3}, 200}, // a key: its lookup, its org's limits, its window
	"list-app-templates":    {readCost{0, 0}, readCost{3, 3}, 200},
	"list-plans":            {readCost{0, 0}, readCost{0, 0}, 200}, // public
	"preview-invitation":    {readCost{2, 2}, readCost{2, 2}, 200}, // public: the token's lookup, then invitation + org
	"get-organization":      {readCost{1, 1}, readCost{2, 2}, 200},
	"get-project":           {readCost{1, 1}, readCost{2, 2}, 200},
	"get-member":            {readCost{1, 1}, readCost{2, 2}, 403},
	"get-role":              {readCost{1, 1}, readCost{2, 2}, 403},
	"list-roles":            {readCost{1, 1}, readCost{2, 2}, 403},
	"get-invitation":        {readCost{1, 1}, readCost{2, 2}, 403},
	"get-app":               {readCost{1, 1}, readCost{2, 2}, 200},
	"get-wallet":            {readCost{1, 1}, readCost{2, 2}, 200},
	"get-subscription":      {readCost{1, 1}, readCost{2, 2}, 200},
	"get-export":            {readCost{1, 1}, readCost{2, 2}, 403},
	"get-activity-export":   {readCost{1, 1}, readCost{2, 2}, 403},
	// A key's last use lives on its lookup items, which its metadata names.
	"get-api-key":              {readCost{2, 2}, readCost{3, 3}, 200},
	"list-projects":            {readCost{2, 1}, readCost{3, 2}, 200},
	"list-apps":                {readCost{2, 1}, readCost{3, 2}, 200},
	"list-app-logs":            {readCost{2, 1}, readCost{3, 2}, 200},
	"list-invitations":         {readCost{2, 1}, readCost{3, 2}, 403},
	"list-wallet-transactions": {readCost{2, 1}, readCost{3, 2}, 200},
	"list-activity":            {readCost{2, 1}, readCost{3, 2}, 403},
	"list-exports":             {readCost{2, 1}, readCost{3, 2}, 403},
	"list-activity-exports":    {readCost{2, 1}, readCost{3, 2}, 403},
	"get-analytics":            {readCost{2, 1}, readCost{3, 2}, 403}, // the months' usage items
	// The page's last logins (profiles) and last uses (lookups) follow the Query.
	// With a key, the rate-limit write follows admission's batch and the
	// last-login read follows the Query: two independent chains of two, but
	// rounds are told apart by recorded times, so a slow Query makes the
	// last-login read start after the write ended and look like a third.
	"list-members":  {readCost{3, 2}, readCost{4, 3}, 403},
	"list-api-keys": {readCost{3, 2}, readCost{4, 3}, 200},
	// Routes without Prefetch: admitted first, then their reads (the
	// dashboard's in parallel; its rounds are not held, so counted as calls).
	"get-dashboard":        {readCost{4, 4}, readCost{4, 4}, 200},
	"get-my-notifications": {readCost{1, 1}, readCost{2, 2}, 403},
	"get-my-export":        {readCost{1, 1}, readCost{0, 0}, 403},
}

// TestRoundTrips serves every GET route of the route list once and counts
// its DynamoDB calls and round trips, as the owner and with an API key.
// Calls a route sends together are held until both have started, so the
// round trips counted do not depend on scheduling. The table is logged
// for the README and the issue note.
func TestRoundTrips(t *testing.T) {
	e, rec := newRecordingEnv(t)
	f := newReadFixture(t, e, "owner@rt.test")
	var report []string
	for _, rt := range readRoutes() {
		want, ok := readCosts[rt.Name]
		if !ok {
			t.Errorf("GET route %s has no row in readCosts: add what one request of it costs", rt.Name)
			continue
		}
		path := f.path(rt)
		e.must(t, 200, f.owner, "GET", path, nil)                            // warm: the hourly login stamp
		e.must(t, want.keyStatus, "", "GET", path, nil, bearer(f.secret)...) // warm: the key's last use
		for _, by := range []struct {
			name   string
			want   readCost
			status int
			email  string
			header []string
		}{{"jwt", want.jwt, 200, f.owner, nil}, {"key", want.byKey, want.keyStatus, "", bearer(f.secret)}} {
			if by.want.rounds < by.want.calls {
				rec.startPaired()
			} else {
				rec.start()
			}
			e.must(t, by.status, by.email, "GET", path, nil, by.header...)
			calls := rec.stop()
			ops := map[string]int{}
			for _, c := range calls {
				ops[c.op]++
			}
			var names []string
			for op, n := range ops {
				names = append(names, fmt.Sprintf("%s×%d", op, n))
			}
			sort.Strings(names)
			got := readCost{len(calls), len(rounds(calls))}
			report = append(report, fmt.Sprintf("%-3s %-55s %d %d  %s", by.name, f.shape(path), got.calls, got.rounds, strings.Join(names, " ")))
			if got.calls > by.want.calls || got.rounds > by.want.rounds {
				t.Errorf("%s GET %s: %d calls in %d round trips, want ≤ %d in ≤ %d (%v)",
					by.name, f.shape(path), got.calls, got.rounds, by.want.calls, by.want.rounds, ops)
			}
			if by.name == "jwt" && !strings.HasPrefix(rt.Path, "/me") {
				for op := range ops {
					if op != "GetItem" && op != "BatchGetItem" && op != "Query" {
						t.Errorf("read-only GET %s called %s; its function may only read", f.shape(path), op)
					}
				}
			}
		}
	}
	for name := range readCosts {
		if _, ok := findGET(name); !ok {
			t.Errorf("readCosts has %s, which is not a GET route", name)
		}
	}
	t.Logf("DynamoDB calls and round trips per request (calls, rounds):\n%s", strings.Join(report, "\n"))
}

func findGET(name string) (string, bool) {
	for _, rt := range readRoutes() {
		if rt.Name == name {
			return rt.Path, true
		}
	}
	return "", false
}

// TestWriteRoundTrips: a write is admitted first (one BatchGetItem), then
// reads what it changes, then writes once.
func TestWriteRoundTrips(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@wrt.test"
	org, _ := e.newOrg(t, owner, "WRT")
	prj := e.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
	m := e.addMember(t, org, "m@wrt.test", access.Member)
	e.must(t, 200, owner, "GET", "/me", nil)
	for _, tc := range []struct {
		method, path string
		body         any
		max          int
	}{
		{"POST", "/organizations/" + org + "/projects", map[string]any{"name": "Q"}, 2},
		{"PATCH", "/organizations/" + org + "/projects/" + prj, map[string]any{"name": "R"}, 3},
		{"PATCH", "/organizations/" + org + "/members/" + m, map[string]any{"status": "inactive"}, 3},
		{"POST", "/organizations", map[string]any{"name": "New"}, 2},
	} {
		e.calls.Reset()
		e.call(t, owner, tc.method, tc.path, tc.body)
		if got := e.calls.Total(); got > tc.max {
			t.Errorf("%s %s made %d DynamoDB calls, want ≤ %d (%v)", tc.method, tc.path, got, tc.max, e.calls.Counts())
		}
	}
}
