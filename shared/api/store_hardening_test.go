package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/invites"
)

// Issue 9, the store's findings: email guards on the normalized address,
// /me without dangling pointers (finding 4), writes that re-check their
// actor's authority (finding 10) and expired invitations that give their
// seats back (finding 11).

// TestEmailGuardIsTheNormalizedAddress: one member or invitation per email
// per org, where "the same email" is package email's normalization and
// nothing else: a non-ASCII local part keeps its case, so Ünal and ünal are
// two people (the store's own lowercasing made them one).
func TestEmailGuardIsTheNormalizedAddress(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name         string
		first, again string
		want         int
	}{
		{"NonASCIILocalPartKeepsCase", "\u00dcnal@example.test", "\u00fcnal@example.test", 201},
		{"ASCIIFoldsCase", "ADA@Example.test", "ada@example.test", 409},
		{"DomainFoldsASCIICase", "bo@EXAMPLE.TEST", "bo@example.test", 409},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			org, _ := e.newOrg(t, "owner@guard.test", "Guard "+tc.name)
			path := "/organizations/" + org + "/invitations"
			e.must(t, 201, "owner@guard.test", "POST", path, map[string]any{"email": tc.first})
			if r := e.call(t, "owner@guard.test", "POST", path, map[string]any{"email": tc.again}); r.Status != tc.want {
				t.Fatalf("inviting %q after %q → %d %s, want %d", tc.again, tc.first, r.Status, r.Raw, tc.want)
			}
		})
	}
}

// meView is GET /me as the tests read it.
type meView struct {
	ActiveOrganizationID *string `json:"active_organization_id"`
	ActiveProjectID      *string `json:"active_project_id"`
}

func (e *env) me(t *testing.T, email string) (meView, map[string]any) {
	t.Helper()
	r := e.must(t, 200, email, "GET", "/me", nil)
	return as[meView](t, r), r.JSON(t)
}

// TestMeNeverNamesGone is finding 4: deleting the active project or org
// leaves no pointer at it in anyone's /me, whether the deleter's (cleared
// by the delete) or another member's (cleared when their /me is read).
func TestMeNeverNamesGone(t *testing.T) {
	e := newEnv(t)
	// point makes email's active org and project org and prj.
	point := func(t *testing.T, email, org, prj string) {
		t.Helper()
		e.must(t, 200, email, "PUT", "/me/active-organization", map[string]any{"organization_id": org})
		if prj != "" {
			e.must(t, 200, email, "PUT", "/me/active-project", map[string]any{"project_id": prj})
		}
	}
	project := func(t *testing.T, email, org string) string {
		t.Helper()
		return e.must(t, 201, email, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
	}
	t.Run("DeleterOfActiveProject", func(t *testing.T) {
		const a = "a@me-gone.test"
		org, _ := e.newOrg(t, a, "A")
		prj := project(t, a, org)
		point(t, a, org, prj)
		e.must(t, 204, a, "DELETE", "/organizations/"+org+"/projects/"+prj, nil)
		got, raw := e.me(t, a)
		if !isNull(raw, "active_project_id") || got.ActiveOrganizationID == nil || *got.ActiveOrganizationID != org {
			t.Fatalf("after deleting the active project /me = %s", mustMarshal(t, raw))
		}
	})
	t.Run("OtherMemberOfDeletedProject", func(t *testing.T) {
		const owner, other = "o@me-gone.test", "m@me-gone.test"
		org, _ := e.newOrg(t, owner, "B")
		e.addMember(t, org, other, access.Admin)
		prj := project(t, owner, org)
		point(t, other, org, prj)
		e.must(t, 204, owner, "DELETE", "/organizations/"+org+"/projects/"+prj, nil)
		if _, raw := e.me(t, other); !isNull(raw, "active_project_id") || raw["active_organization_id"] != org {
			t.Fatalf("another member's /me after the project's deletion = %s", mustMarshal(t, raw))
		}
	})
	t.Run("OwnerDeletesActiveOrg", func(t *testing.T) {
		const owner, other = "d@me-gone.test", "n@me-gone.test"
		org, slug := e.newOrg(t, owner, "C")
		e.addMember(t, org, other, access.Member)
		prj := project(t, owner, org)
		point(t, owner, org, prj)
		point(t, other, org, "")
		e.must(t, 204, owner, "DELETE", "/organizations/"+org, map[string]any{"confirm_slug": slug})
		for _, who := range []string{owner, other} {
			if _, raw := e.me(t, who); !isNull(raw, "active_organization_id") || !isNull(raw, "active_project_id") {
				t.Errorf("%s's /me after the org's deletion = %s", who, mustMarshal(t, raw))
			}
		}
	})
	t.Run("DeactivatedMember", func(t *testing.T) {
		const owner, other = "r@me-gone.test", "x@me-gone.test"
		org, _ := e.newOrg(t, owner, "D")
		id := e.addMember(t, org, other, access.Member)
		point(t, other, org, "")
		e.must(t, 200, owner, "PATCH", "/organizations/"+org+"/members/"+id, map[string]any{"status": "inactive"})
		if _, raw := e.me(t, other); !isNull(raw, "active_organization_id") {
			t.Fatalf("a deactivated member's /me = %s", mustMarshal(t, raw))
		}
	})
}

// TestWritesRecheckAuthority is finding 10: a write admitted while its
// actor was an owner must not land once a concurrent change demoted or
// removed them. The change is made to land exactly between the request's
// admission read and its write (a hook on the request's first write call),
// the interleaving that a race produces at random; the write answers 409
// and leaves nothing behind.
func TestWritesRecheckAuthority(t *testing.T) {
	var faults ddbtest.Faults
	e := newFaultEnv(t, &faults)
	cases := []struct {
		name   string
		setup  func(t *testing.T, e *env, owner string, f *authFixture)
		method string
		path   func(f authFixture) string
		body   any // or a func(authFixture) any
		// unchanged reads back what the write would have changed.
		unchanged func(t *testing.T, owner string, f authFixture) bool
	}{
		{"CreateProject", nil, "POST", func(f authFixture) string { return "/organizations/" + f.org + "/projects" }, map[string]any{"name": "late"},
			func(t *testing.T, owner string, f authFixture) bool {
				return len(e.must(t, 200, owner, "GET", "/organizations/"+f.org+"/projects", nil).Data(t)) == 1
			}},
		{"UpdateProject", nil, "PATCH", func(f authFixture) string { return "/organizations/" + f.org + "/projects/" + f.prj }, map[string]any{"name": "late"},
			func(t *testing.T, owner string, f authFixture) bool {
				return e.must(t, 200, owner, "GET", "/organizations/"+f.org+"/projects/"+f.prj, nil).Str(t, "name") == "P"
			}},
		{"DeleteProject", nil, "DELETE", func(f authFixture) string { return "/organizations/" + f.org + "/projects/" + f.prj }, nil,
			func(t *testing.T, owner string, f authFixture) bool {
				return e.call(t, owner, "GET", "/organizations/"+f.org+"/projects/"+f.prj, nil).Status == 200
			}},
		{"InstallApp", nil, "POST", func(f authFixture) string { return "/organizations/" + f.org + "/apps" },
			map[string]any{"template_id": "team-wiki", "name": "late"},
			func(t *testing.T, owner string, f authFixture) bool {
				return len(e.must(t, 200, owner, "GET", "/organizations/"+f.org+"/apps", nil).Data(t)) == 0
			}},
		{"UpdateApp", installWiki, "PATCH", func(f authFixture) string { return "/organizations/" + f.org + "/apps/" + f.app }, map[string]any{"name": "late"},
			func(t *testing.T, owner string, f authFixture) bool {
				return e.must(t, 200, owner, "GET", "/organizations/"+f.org+"/apps/"+f.app, nil).Str(t, "name") == "Wiki"
			}},
		{"UninstallApp", installWiki, "DELETE", func(f authFixture) string { return "/organizations/" + f.org + "/apps/" + f.app }, nil,
			func(t *testing.T, owner string, f authFixture) bool {
				return e.call(t, owner, "GET", "/organizations/"+f.org+"/apps/"+f.app, nil).Status == 200
			}},
		{"StopApp", installWiki, "POST", func(f authFixture) string { return "/organizations/" + f.org + "/apps/" + f.app + "/stop" }, nil,
			func(t *testing.T, owner string, f authFixture) bool {
				return e.must(t, 200, owner, "GET", "/organizations/"+f.org+"/apps/"+f.app, nil).Str(t, "status") == "running"
			}},
		{"RestartApp", installWiki, "POST", func(f authFixture) string { return "/organizations/" + f.org + "/apps/" + f.app + "/restart" }, nil,
			func(t *testing.T, owner string, f authFixture) bool {
				return len(e.appStory(t, owner, f.org, f.app)) == 1
			}},
		{"UpdateOrganization", nil, "PATCH", func(f authFixture) string { return "/organizations/" + f.org }, map[string]any{"description": "late"},
			func(t *testing.T, owner string, f authFixture) bool {
				return e.must(t, 200, owner, "GET", "/organizations/"+f.org, nil).Str(t, "description") == ""
			}},
		{"DeleteOrganization", nil, "DELETE", func(f authFixture) string { return "/organizations/" + f.org },
			func(f authFixture) any { return map[string]any{"confirm_slug": f.slug} },
			func(t *testing.T, owner string, f authFixture) bool {
				return e.call(t, owner, "GET", "/organizations/"+f.org, nil).Status == 200
			}},
		{"TopUp", openWallet, "POST", func(f authFixture) string { return "/organizations/" + f.org + "/wallet/top-ups" }, map[string]any{"amount": 5},
			func(t *testing.T, owner string, f authFixture) bool { return balance(t, e, owner, f.org) == 100 }},
		{"Charge", openWallet, "POST", func(f authFixture) string { return "/organizations/" + f.org + "/wallet/charges" },
			map[string]any{"amount": 5, "description": "late"},
			func(t *testing.T, owner string, f authFixture) bool { return balance(t, e, owner, f.org) == 100 }},
	}
	for _, tc := range cases {
		for _, change := range []string{"Demoted", "Removed"} {
			t.Run(tc.name+"/"+change, func(t *testing.T) {
				owner := fmt.Sprintf("owner-%s-%s@auth.test", tc.name, change)
				actor := fmt.Sprintf("actor-%s-%s@auth.test", tc.name, change)
				var f authFixture
				f.org, f.slug = e.newOrg(t, owner, "Authority")
				actorID := e.addMember(t, f.org, actor, access.Owner)
				f.prj = e.must(t, 201, owner, "POST", "/organizations/"+f.org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
				if tc.setup != nil {
					tc.setup(t, e, owner, &f)
				}
				// The owner demotes or removes the actor after the actor's
				// request was admitted, just before its write.
				var changed resp
				faults.Before("", func() {
					member := "/organizations/" + f.org + "/members/" + actorID
					if change == "Demoted" {
						changed = e.call(t, owner, "PATCH", member, map[string]any{"role": "member"})
					} else {
						changed = e.call(t, owner, "DELETE", member, nil)
					}
				})
				body := tc.body
				if fn, ok := body.(func(authFixture) any); ok {
					body = fn(f)
				}
				r := e.call(t, actor, tc.method, tc.path(f), body)
				faults.Clear()
				if changed.Status != 200 && changed.Status != 204 {
					t.Fatalf("the concurrent %s → %d %s", change, changed.Status, changed.Raw)
				}
				if r.Status != 409 || r.Code(t) != "conflict" {
					t.Fatalf("%s %s after the actor was %s → %d %s, want 409 conflict", tc.method, tc.path(f), change, r.Status, r.Raw)
				}
				if !tc.unchanged(t, owner, f) {
					t.Fatalf("the refused %s changed something", tc.name)
				}
			})
		}
	}
}

// authFixture is what a TestWritesRecheckAuthority case acts on.
type authFixture struct{ org, slug, prj, app string }

// installWiki gives the authFixture an app; its log holds "installed" only.
func installWiki(t *testing.T, e *env, owner string, f *authFixture) {
	t.Helper()
	f.app = e.must(t, 201, owner, "POST", "/organizations/"+f.org+"/apps", map[string]any{"template_id": "team-wiki", "name": "Wiki"}).Str(t, "id")
}

// openWallet gives the authFixture's org a wallet holding 100 credits.
func openWallet(t *testing.T, e *env, owner string, f *authFixture) {
	t.Helper()
	e.must(t, 201, owner, "POST", "/organizations/"+f.org+"/wallet", nil)
	e.must(t, 201, owner, "POST", "/organizations/"+f.org+"/wallet/top-ups", map[string]any{"amount": 100})
}

// balance is the org's wallet balance as the API shows it.
func balance(t *testing.T, e *env, owner, org string) int64 {
	t.Helper()
	var w struct {
		Balance int64 `json:"balance"`
	}
	if err := e.must(t, 200, owner, "GET", "/organizations/"+org+"/wallet", nil).decode(&w); err != nil {
		t.Fatal(err)
	}
	return w.Balance
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExpiredInvitationsReleaseSeats is finding 11: a seat held by an
// invitation that has expired is free for any write that takes a seat, the
// moment it expires, with no other write in between; seats held by
// members and unexpired invitations are not.
func TestExpiredInvitationsReleaseSeats(t *testing.T) {
	f := newFlowEnv(t)
	fill := func(t *testing.T, name string) string {
		t.Helper()
		org, _ := f.newOrg(t, owner, name)
		for i := range 4 { // the free plan's 5 seats: the owner and four invitations
			f.must(t, 201, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": fmt.Sprintf("%s-%d@seats.test", name, i)})
		}
		return org
	}
	t.Run("AddMemberAfterExpiry", func(t *testing.T) {
		org := fill(t, "add")
		f.must(t, 200, "late@seats.test", "GET", "/me", nil)
		u, err := f.store.GetUser(context.Background(), userID("late@seats.test"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AddMember(context.Background(), org, u, access.Member); err == nil {
			t.Fatal("a full org took a member")
		}
		f.clock.Advance(invites.Lifetime)
		if _, err := f.store.AddMember(context.Background(), org, u, access.Member); err != nil {
			t.Fatalf("adding a member once the invitations expired: %v", err)
		}
	})
	t.Run("ConcurrentInvitesAfterExpiry", func(t *testing.T) {
		org := fill(t, "race")
		f.clock.Advance(invites.Lifetime)
		// Four seats came free; eight inviters race for them.
		rs := concurrently(8, func(i int) resp {
			return f.call(t, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": fmt.Sprintf("new-%d@seats.test", i)})
		})
		if got := countStatus(rs, 201); got != 4 {
			t.Fatalf("%d invitations took the 4 seats expired ones gave back, want 4", got)
		}
		for _, r := range rs {
			if r.Status != 201 && r.Code(t) != "quota_exceeded" {
				t.Fatalf("loser got %d %s, want 409 quota_exceeded", r.Status, r.Raw)
			}
		}
		if m, p := f.orgNumbers(t, owner, org); m != 1 || p != 4 {
			t.Fatalf("members %d pending %d, want 1 and 4", m, p)
		}
	})
	t.Run("UnexpiredSeatsStayHeld", func(t *testing.T) {
		org := fill(t, "held")
		f.clock.Advance(invites.Lifetime - 1)
		if r := f.call(t, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "early@seats.test"}); r.Status != 409 {
			t.Fatalf("an invitation took a seat a second before any expired: %d %s", r.Status, r.Raw)
		}
	})
}
