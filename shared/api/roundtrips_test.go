package api_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/access"
)

// TestRoundTrips counts DynamoDB calls per request with the SDK middleware:
// a read of one resource costs at most 2, the membership check included.
// The table is logged for the README and the issue note.
func TestRoundTrips(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@rt.test"
	org, _ := e.newOrg(t, owner, "RT")
	prj := e.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
	m := e.addMember(t, org, "m@rt.test", access.Member)
	e.must(t, 200, owner, "GET", "/me", nil)

	cases := []struct {
		method, path string
		body         any
		max          int
	}{
		// The profile, then one batch checking that the active org and
		// project still exist, so /me never names something gone.
		{"GET", "/me", nil, 2},
		{"GET", "/organizations/" + org, nil, 2},
		{"GET", "/organizations/" + org + "/projects/" + prj, nil, 2},
		{"GET", "/organizations/" + org + "/members/" + m, nil, 2},
		{"GET", "/organizations/" + org + "/roles", nil, 1},
		{"GET", "/organizations/" + org + "/roles/admin", nil, 1},
		{"GET", "/permissions", nil, 0},
		{"GET", "/organizations/" + org + "/projects", nil, 2},
		{"GET", "/organizations/" + org + "/projects?sort=name", nil, 2},
		{"GET", "/organizations/" + org + "/members", nil, 3},
		{"GET", "/me/organizations", nil, 3},
		{"POST", "/organizations/" + org + "/projects", map[string]any{"name": "Q"}, 2},
		{"PATCH", "/organizations/" + org + "/projects/" + prj, map[string]any{"name": "R"}, 3},
		{"PATCH", "/organizations/" + org + "/members/" + m, map[string]any{"status": "inactive"}, 3},
		{"POST", "/organizations", map[string]any{"name": "New"}, 2},
		// Admission, then one Query of the months' usage items.
		{"GET", "/organizations/" + org + "/analytics", nil, 2},
	}
	var report []string
	for _, tc := range cases {
		e.calls.Reset()
		e.call(t, owner, tc.method, tc.path, tc.body)
		got := e.calls.Total()
		path := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(tc.path, org, "{org}"), prj, "{project}"), m, "{user}")
		ops := e.calls.Counts()
		var names []string
		for op, n := range ops {
			names = append(names, fmt.Sprintf("%s×%d", op, n))
		}
		sort.Strings(names)
		report = append(report, fmt.Sprintf("%-6s %-45s %d  %s", tc.method, path, got, strings.Join(names, " ")))
		if tc.method == "GET" && !strings.HasPrefix(tc.path, "/me") {
			for op := range ops {
				if op != "GetItem" && op != "BatchGetItem" && op != "Query" {
					t.Errorf("read-only %s %s called %s; its function may only read", tc.method, path, op)
				}
			}
		}
		if got > tc.max {
			t.Errorf("%s %s made %d DynamoDB calls, want ≤ %d (%v)", tc.method, path, got, tc.max, ops)
		}
	}
	t.Logf("DynamoDB round trips per request:\n%s", strings.Join(report, "\n"))
}

// TestKeyRoundTrips: with an API key, admission reads the key's lookup
// with the org in one BatchGetItem; counting the request costs one
// UpdateItem (a standard key's one window), and last use one more at most
// once a minute.
func TestKeyRoundTrips(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@krt.test"
	org, _ := e.newOrg(t, owner, "KRT")
	prj := e.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
	k := e.createKey(t, owner, org, map[string]any{"name": "RT", "permissions": []string{"organization:read", "projects:read"}})
	e.must(t, 200, "", "GET", "/organizations/"+org, nil, bearer(k.Secret)...) // records the first use
	var report []string
	for _, path := range []string{"/organizations/" + org, "/organizations/" + org + "/projects/" + prj, "/organizations/" + org + "/projects"} {
		e.calls.Reset()
		e.must(t, 200, "", "GET", path, nil, bearer(k.Secret)...)
		ops := e.calls.Counts()
		report = append(report, fmt.Sprintf("GET %-45s %d %v", strings.NewReplacer(org, "{org}", prj, "{project}").Replace(path), e.calls.Total(), ops))
		if ops["BatchGetItem"] < 1 || ops["UpdateItem"] != 1 || e.calls.Total() > 3 {
			t.Errorf("GET %s with a key: %v", path, ops)
		}
	}
	t.Logf("DynamoDB calls per request with an API key:\n%s", strings.Join(report, "\n"))
}
