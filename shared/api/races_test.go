package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/orgplane/orgplane/shared/access"
)

// concurrently runs f(i) for i in [0, n) at once and returns the results.
func concurrently(n int, f func(i int) resp) []resp {
	out := make([]resp, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func countStatus(rs []resp, status int) int {
	n := 0
	for _, r := range rs {
		if r.Status == status {
			n++
		}
	}
	return n
}

func TestConcurrentSameSlugOneWins(t *testing.T) {
	e := newEnv(t)
	const n = 8
	for i := range n { // provision the users first: the race is on the slug only
		e.must(t, 200, fmt.Sprintf("u%d@race.test", i), "GET", "/me", nil)
	}
	rs := concurrently(n, func(i int) resp {
		return e.call(t, fmt.Sprintf("u%d@race.test", i), "POST", "/organizations", map[string]any{"name": "Acme", "slug": "acme-corp"})
	})
	if got := countStatus(rs, 201); got != 1 {
		t.Fatalf("%d creates won the slug, want exactly 1", got)
	}
	for _, r := range rs {
		if r.Status != 201 && (r.Status != 409 || r.Code(t) != "slug_taken") {
			t.Fatalf("loser got %d %s, want 409 slug_taken", r.Status, r.Raw)
		}
	}
}

func TestConcurrentFirstRequestsMakeOneUser(t *testing.T) {
	e := newEnv(t)
	rs := concurrently(8, func(int) resp { return e.call(t, "new@race.test", "GET", "/me", nil) })
	orgs := map[string]bool{}
	for _, r := range rs {
		if r.Status != 200 {
			t.Fatalf("GET /me → %d %s", r.Status, r.Raw)
		}
		orgs[r.Str(t, "active_organization_id")] = true
	}
	if len(orgs) != 1 {
		t.Fatalf("concurrent first requests saw %d personal orgs, want 1", len(orgs))
	}
	if got := e.must(t, 200, "new@race.test", "GET", "/me/organizations", nil).Data(t); len(got) != 1 {
		t.Fatalf("the user belongs to %d orgs, want 1 personal org", len(got))
	}
}

func TestConcurrentProjectCreatesRespectQuota(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@quota.test", "Quota")
	const n, limit = 12, 3 // the free plan allows 3 projects
	rs := concurrently(n, func(i int) resp {
		return e.call(t, "owner@quota.test", "POST", "/organizations/"+org+"/projects", map[string]any{"name": fmt.Sprintf("p%d", i)})
	})
	if got := countStatus(rs, 201); got != limit {
		t.Fatalf("%d projects created against room for %d", got, limit)
	}
	for _, r := range rs {
		if r.Status == 409 && r.Code(t) != "quota_exceeded" {
			t.Fatalf("got %s", r.Raw)
		}
	}
	o := e.must(t, 200, "owner@quota.test", "GET", "/organizations/"+org, nil).JSON(t)
	if o["project_count"] != float64(limit) {
		t.Fatalf("project_count = %v, want %d", o["project_count"], limit)
	}
	if got := e.must(t, 200, "owner@quota.test", "GET", "/organizations/"+org+"/projects", nil).Data(t); len(got) != limit {
		t.Fatalf("listed %d projects, want %d", len(got), limit)
	}
	// Deleting one makes room for exactly one more.
	id, _ := e.must(t, 200, "owner@quota.test", "GET", "/organizations/"+org+"/projects?limit=1", nil).Data(t)[0]["id"].(string)
	e.must(t, 204, "owner@quota.test", "DELETE", "/organizations/"+org+"/projects/"+id, nil)
	e.must(t, 201, "owner@quota.test", "POST", "/organizations/"+org+"/projects", map[string]any{"name": "again"})
	e.must(t, 409, "owner@quota.test", "POST", "/organizations/"+org+"/projects", map[string]any{"name": "over"})
}

// activeOwners counts the org's active owners by listing them.
func activeOwners(t *testing.T, e *env, org, asEmail string) int {
	t.Helper()
	return len(e.must(t, 200, asEmail, "GET", "/organizations/"+org+"/members?role=owner&status=active", nil).Data(t))
}

func TestLastOwnerRaces(t *testing.T) {
	e := newEnv(t)
	for round := range 5 {
		a, b := fmt.Sprintf("a%d@own.test", round), fmt.Sprintf("b%d@own.test", round)
		org, _ := e.newOrg(t, a, "Owners")
		bID := e.addMember(t, org, b, access.Owner)
		aID := userID(a)
		t.Run(fmt.Sprintf("DemoteEachOther%d", round), func(t *testing.T) {
			rs := concurrently(2, func(i int) resp {
				if i == 0 {
					return e.call(t, a, "PATCH", "/organizations/"+org+"/members/"+bID, map[string]any{"role": "admin"})
				}
				return e.call(t, b, "PATCH", "/organizations/"+org+"/members/"+aID, map[string]any{"role": "admin"})
			})
			if countStatus(rs, 200) != 1 {
				t.Fatalf("statuses %d/%d: want exactly one demotion to land", rs[0].Status, rs[1].Status)
			}
			for _, r := range rs {
				if r.Status != 200 && r.Status != 409 && r.Status != 404 && r.Status != 403 {
					t.Fatalf("loser got %d %s", r.Status, r.Raw)
				}
			}
			asOwner := a
			if rs[0].Status != 200 {
				asOwner = b
			}
			if got := activeOwners(t, e, org, asOwner); got != 1 {
				t.Fatalf("%d active owners remain, want 1", got)
			}
		})
	}
	t.Run("BothLeave", func(t *testing.T) {
		org, _ := e.newOrg(t, "x@own.test", "Leavers")
		e.addMember(t, org, "y@own.test", access.Owner)
		rs := concurrently(2, func(i int) resp {
			return e.call(t, []string{"x@own.test", "y@own.test"}[i], "POST", "/organizations/"+org+"/leave", nil)
		})
		if countStatus(rs, 204) != 1 || countStatus(rs, 409) != 1 {
			t.Fatalf("statuses %d/%d: want one 204 and one 409 last_owner", rs[0].Status, rs[1].Status)
		}
	})
	t.Run("LastOwnerCannotLeaveOrStepDown", func(t *testing.T) {
		org, _ := e.newOrg(t, "solo@own.test", "Solo")
		if r := e.call(t, "solo@own.test", "POST", "/organizations/"+org+"/leave", nil); r.Status != 409 || r.Code(t) != "last_owner" {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
		me := userID("solo@own.test")
		for _, body := range []map[string]any{{"role": "admin"}, {"status": "inactive"}} {
			if r := e.call(t, "solo@own.test", "PATCH", "/organizations/"+org+"/members/"+me, body); r.Status != 409 {
				t.Fatalf("%v: got %d %s", body, r.Status, r.Raw)
			}
		}
		if r := e.call(t, "solo@own.test", "DELETE", "/organizations/"+org+"/members/"+me, nil); r.Status != 409 {
			t.Fatalf("self-remove: got %d %s", r.Status, r.Raw)
		}
	})
}

// TestConcurrentAddsRespectSeats: the seat quota holds under concurrent adds.
func TestConcurrentAddsRespectSeats(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@seats.test", "Seats")
	const n = 10 // free plan: 5 seats, one taken by the owner
	for i := range n {
		e.must(t, 200, fmt.Sprintf("s%d@seats.test", i), "GET", "/me", nil)
	}
	var mu sync.Mutex
	added := 0
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := e.store.GetUser(context.Background(), userID(fmt.Sprintf("s%d@seats.test", i)))
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := e.store.AddMember(context.Background(), org, u, access.Member); err == nil {
				mu.Lock()
				added++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if added != 4 {
		t.Fatalf("%d members added against 4 free seats", added)
	}
}
