package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/ids"
)

// orgPath fills a route's path with ids from the fixture.
func orgPath(rt api.Route, org, project, user string) string {
	r := strings.NewReplacer("{org}", org, "{project}", project, "{user}", user,
		"{inv}", ids.New(ids.Invitation), "{app}", ids.New(ids.App), "{key}", ids.New(ids.APIKey), "{role}", ids.New(ids.Role))
	return r.Replace(rt.Path)
}

// TestTenantIsolationSweep sends every org-scoped route as a stranger (404,
// exactly as for an org that does not exist), as a member lacking the
// route's permission (403), and as the owner (admitted: a positive control).
func TestTenantIsolationSweep(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@acme.test", "Acme")
	project := e.must(t, 201, "owner@acme.test", "POST", "/organizations/"+org+"/projects", map[string]any{"name": "Site"}).Str(t, "id")
	member := e.addMember(t, org, "member@acme.test", access.Member)
	e.must(t, 200, "stranger@other.test", "GET", "/me", nil)
	memberRole, _ := access.BuiltIn(access.Member)

	routes := slices.Clone(api.Routes)
	// Destructive controls last, and removing the member (which the
	// member checks of every later route need) last of all.
	rank := func(r api.Route) int { return b2i(r.Method == "DELETE") + b2i(r.Name == "remove-member") }
	slices.SortStableFunc(routes, func(a, b api.Route) int { return rank(a) - rank(b) })
	unknown := ids.New(ids.Organization)
	swept := 0
	for _, rt := range routes {
		if !rt.OrgScoped() {
			continue
		}
		swept++
		path := orgPath(rt, org, project, member)
		t.Run(rt.Name, func(t *testing.T) {
			stranger := e.call(t, "stranger@other.test", rt.Method, path, nil)
			missing := e.call(t, "owner@acme.test", rt.Method, orgPath(rt, unknown, project, member), nil)
			for _, r := range []resp{stranger, missing} {
				if r.Status != 404 || r.Code(t) != "not_found" {
					t.Fatalf("got %d %s, want 404 not_found", r.Status, r.Raw)
				}
			}
			if stranger.Str(t, "detail") != missing.Str(t, "detail") {
				t.Fatalf("a stranger's 404 (%s) differs from a missing org's (%s)", stranger.Raw, missing.Raw)
			}
			if !memberRole.Can(rt.Permission) {
				if r := e.call(t, "member@acme.test", rt.Method, path, nil); r.Status != 403 {
					t.Fatalf("member without %s: got %d %s, want 403", rt.Permission, r.Status, r.Raw)
				}
			}
			r := e.call(t, "owner@acme.test", rt.Method, path, nil)
			if r.Status == 401 || r.Status == 403 || (r.Status == 404 && strings.HasPrefix(r.Str(t, "detail"), "Organization")) {
				t.Fatalf("owner was not admitted: %d %s", r.Status, r.Raw)
			}
		})
	}
	if swept < 15 {
		t.Fatalf("swept only %d org routes", swept)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestInactiveMemberIsANonMember: deactivation cuts access like removal.
func TestInactiveMemberIsANonMember(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@acme.test", "Acme")
	m := e.addMember(t, org, "bob@acme.test", access.Member)
	e.must(t, 200, "bob@acme.test", "GET", "/organizations/"+org, nil)
	e.must(t, 200, "owner@acme.test", "PATCH", "/organizations/"+org+"/members/"+m, map[string]any{"status": "inactive"})
	e.must(t, 404, "bob@acme.test", "GET", "/organizations/"+org, nil)
	for _, o := range e.must(t, 200, "bob@acme.test", "GET", "/me/organizations", nil).Data(t) {
		if o["id"] == org {
			t.Fatal("an inactive member still lists the org")
		}
	}
	e.must(t, 404, "bob@acme.test", "PUT", "/me/active-organization", map[string]any{"organization_id": org})
}
