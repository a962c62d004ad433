package api_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/invites"
)

// The concurrency scenarios again, with DynamoDB failing under them
// (issue 9, finding 8). Every fault must become a retry (the SDK's or the
// store's), a 503 service_unavailable with Retry-After, or a 409, never
// another 5xx (the harness fails on one), and no invariant may break.
// Each scenario logs the faults injected and the invariant checks run.

// storm is a mix of every fault, spread over the attempts of every call:
// some are absorbed by the SDK's retries, some by the store's, and some
// (three failed attempts of one call) reach the client as 503s.
func storm() []ddbtest.Rule {
	return []ddbtest.Rule{
		{Op: "TransactWriteItems", Fault: ddbtest.Conflict, Every: 3},
		{Fault: ddbtest.Throttle, Every: 5},
		{Fault: ddbtest.ServerError, Every: 7},
		{Fault: ddbtest.Timeout, Every: 11},
		{Op: "TransactWriteItems", Fault: ddbtest.TimeoutAfterWrite, Every: 13},
		{Fault: ddbtest.GSILag},
	}
}

// newFaultScenario is an API whose DynamoDB calls go through the faults
// returned, and the scenario's tally of invariant checks.
func newFaultScenario(t *testing.T) (*env, *ddbtest.Faults, *checks) {
	f := &ddbtest.Faults{}
	return newFaultEnv(t, f), f, &checks{t: t}
}

// checks counts the invariant checks a scenario ran.
type checks struct {
	t *testing.T
	n int
}

// holds records one invariant check, failing the test when it does not hold.
func (c *checks) holds(ok bool, format string, args ...any) {
	c.t.Helper()
	c.n++
	if !ok {
		c.t.Errorf("invariant broken: "+format, args...)
	}
}

// report logs what was injected and checked, for the note.
func report(t *testing.T, f *ddbtest.Faults, c *checks, rs []resp) {
	t.Helper()
	injected := f.Injected()
	keys := slices.Sorted(maps.Keys(injected))
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, injected[k]))
	}
	statuses := map[int]int{}
	for _, r := range rs {
		statuses[r.Status]++
	}
	t.Logf("faults injected: %d (%s); invariant checks: %d; responses by status: %v",
		f.Total(), strings.Join(parts, " "), c.n, statuses)
}

// answered checks that every response is one a fault may turn into.
func answered(c *checks, rs []resp, ok ...int) {
	c.t.Helper()
	for _, r := range rs {
		c.holds(slices.Contains(ok, r.Status) || transient(r), "response %d %s", r.Status, r.Raw)
	}
}

func TestFaultsQuotaRace(t *testing.T) {
	e, f, c := newFaultScenario(t)
	const who, n, limit = "owner@faults.test", 16, 3
	var all []resp
	for round := range 3 {
		org, _ := e.newOrg(t, who, fmt.Sprint("Quota ", round))
		f.Add(storm()...)
		rs := concurrently(n, func(i int) resp {
			return e.call(t, who, "POST", "/organizations/"+org+"/projects", map[string]any{"name": fmt.Sprintf("p%d", i)})
		})
		f.Clear()
		all = append(all, rs...)
		answered(c, rs, 201, 409)
		listed := e.must(t, 200, who, "GET", "/organizations/"+org+"/projects", nil).Data(t)
		count := int(e.must(t, 200, who, "GET", "/organizations/"+org, nil).JSON(t)["project_count"].(float64))
		c.holds(len(listed) == count, "project_count %d, %d projects", count, len(listed))
		c.holds(count <= limit, "%d projects against room for %d", count, limit)
		c.holds(countStatus(rs, 201) <= count, "%d created, %d projects", countStatus(rs, 201), count)
		for _, r := range rs {
			if r.Status == 201 {
				c.holds(e.call(t, who, "GET", "/organizations/"+org+"/projects/"+r.Str(t, "id"), nil).Status == 200, "created project %s is missing", r.Str(t, "id"))
			}
			if r.Status == 409 {
				c.holds(r.Code(t) == "quota_exceeded", "409 %s", r.Raw)
			}
		}
		// With the faults gone the quota is still exact: room for the rest, no more.
		for range limit - count {
			e.must(t, 201, who, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "fill"})
		}
		c.holds(e.call(t, who, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "over"}).Status == 409, "a full org took a project")
	}
	report(t, f, c, all)
}

func TestFaultsLastOwner(t *testing.T) {
	e, f, c := newFaultScenario(t)
	var all []resp
	for round := range 6 {
		a, b := fmt.Sprintf("a%d@owners-faults.test", round), fmt.Sprintf("b%d@owners-faults.test", round)
		org, _ := e.newOrg(t, a, "Owners")
		bID := e.addMember(t, org, b, access.Owner)
		f.Add(storm()...)
		rs := concurrently(2, func(i int) resp {
			if i == 0 {
				return e.call(t, a, "PATCH", "/organizations/"+org+"/members/"+bID, map[string]any{"role": "admin"})
			}
			return e.call(t, b, "PATCH", "/organizations/"+org+"/members/"+userID(a), map[string]any{"role": "admin"})
		})
		f.Clear()
		all = append(all, rs...)
		answered(c, rs, 200, 403, 404, 409)
		c.holds(countStatus(rs, 200) <= 1, "both owners were demoted")
		owners := 0
		for _, who := range []string{a, b} {
			if r := e.call(t, who, "GET", "/organizations/"+org+"/members?role=owner&status=active", nil); r.Status == 200 {
				owners = len(r.Data(t))
			}
		}
		c.holds(owners == 1 || (owners == 2 && countStatus(rs, 200) == 0), "%d active owners after %d demotions", owners, countStatus(rs, 200))
	}
	report(t, f, c, all)
}

func TestFaultsWallet(t *testing.T) {
	e, f, c := newFaultScenario(t)
	const who, n = "owner@wallet-faults.test", 24
	org, _ := e.newOrg(t, who, "Wallet")
	e.must(t, 201, who, "POST", "/organizations/"+org+"/wallet", nil)
	e.must(t, 201, who, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": 100})
	charge := func(i int) resp {
		return e.call(t, who, "POST", "/organizations/"+org+"/wallet/charges", map[string]any{"amount": 7, "description": "job"},
			"Idempotency-Key", fmt.Sprint("charge-", i))
	}
	f.Add(storm()...)
	first := concurrently(n, charge)
	again := concurrently(n, charge) // every request sent twice, as a client retrying would
	f.Clear()
	all := append(first, again...)
	answered(c, all, 201, 402, 409)
	// The faults gone, each key once more: a charge that landed answers as
	// replayed, one that did not (402, 503) is made now or refused.
	landed := 0
	for i := range n {
		r := charge(i)
		c.holds(r.Status == 201 || r.Status == 402, "charge %d after the faults: %d %s", i, r.Status, r.Raw)
		if r.Status == 201 {
			landed++
		}
		for _, earlier := range []resp{first[i], again[i]} {
			if earlier.Status == 201 {
				c.holds(r.Status == 201 && r.Str(t, "id") == earlier.Str(t, "id"), "charge %d posted twice: %s then %s", i, earlier.Raw, r.Raw)
			}
		}
	}
	bal := balance(t, e, who, org)
	sum, entries := e.ledgerSum(t, who, org)
	c.holds(bal >= 0, "balance %d", bal)
	c.holds(sum == bal, "ledger sum %d, balance %d", sum, bal)
	c.holds(entries == landed+1, "%d ledger entries for %d charges and a top-up", entries, landed)
	c.holds(bal == 100-7*int64(landed), "balance %d after %d charges of 7", bal, landed)
	report(t, f, c, all)
}

func TestFaultsAcceptOnce(t *testing.T) {
	e, f, c := newFaultScenario(t)
	var all []resp
	for round := range 4 {
		who, guest := fmt.Sprintf("o%d@accept-faults.test", round), fmt.Sprintf("g%d@accept-faults.test", round)
		org, _ := e.newOrg(t, who, "Accept")
		id := e.must(t, 201, who, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": guest}).Str(t, "id")
		inv, err := e.store.GetInvitation(context.Background(), org, id)
		if err != nil {
			t.Fatal(err)
		}
		token, err := testInviteSecret.Token(inv.ID, inv.SendNonce)
		if err != nil {
			t.Fatal(err)
		}
		e.must(t, 200, guest, "GET", "/me", nil)
		f.Add(storm()...)
		rs := concurrently(6, func(int) resp { return e.call(t, guest, "POST", "/invitations/"+token+"/accept", nil) })
		f.Clear()
		all = append(all, rs...)
		answered(c, rs, 200, 409, 410)
		c.holds(countStatus(rs, 200) <= 1, "%d accepts of one invitation", countStatus(rs, 200))
		members := e.must(t, 200, who, "GET", "/organizations/"+org+"/members", nil).Data(t)
		o := e.must(t, 200, who, "GET", "/organizations/"+org, nil).JSON(t)
		c.holds(len(members) == int(o["member_count"].(float64)), "member_count %v, %d members", o["member_count"], len(members))
		joined := len(members) == 2
		c.holds(len(members) <= 2, "%d members after one invitation", len(members))
		status := e.must(t, 200, who, "GET", "/organizations/"+org+"/invitations/"+id, nil).Str(t, "status")
		c.holds(joined == (status == invites.Accepted), "invitation %s, joined %v", status, joined)
		c.holds(countStatus(rs, 200) == 0 || joined, "an accept answered 200 and made no member")
		pending := int(o["pending_invitation_count"].(float64))
		c.holds(pending == b2i(!joined), "pending_invitation_count %d with %d members", pending, len(members))
	}
	report(t, f, c, all)
}

// TestFaultsIndexLag: lists read from an index may miss what was just
// written (the index is a moment behind), but nothing that decides reads
// an index: quotas hold, and every item is there on a consistent read.
func TestFaultsIndexLag(t *testing.T) {
	e, f, c := newFaultScenario(t)
	const who = "owner@lag.test"
	org, _ := e.newOrg(t, who, "Lag")
	e.must(t, 201, who, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "old"})
	f.Add(ddbtest.Rule{Fault: ddbtest.GSILag})
	var rs []resp
	for _, name := range []string{"new", "newer", "over"} {
		rs = append(rs, e.call(t, who, "POST", "/organizations/"+org+"/projects", map[string]any{"name": name}))
	}
	byName := e.must(t, 200, who, "GET", "/organizations/"+org+"/projects?sort=name", nil).Data(t)
	c.holds(len(byName) == 1, "the lagging index listed %d projects, want the old one", len(byName))
	for _, r := range rs[:2] {
		c.holds(r.Status == 201 && e.call(t, who, "GET", "/organizations/"+org+"/projects/"+r.Str(t, "id"), nil).Status == 200,
			"a project created under index lag: %d %s", r.Status, r.Raw)
	}
	c.holds(rs[2].Status == 409 && rs[2].Code(t) == "quota_exceeded", "the fourth project under index lag: %d %s", rs[2].Status, rs[2].Raw)
	c.holds(len(e.must(t, 200, who, "GET", "/organizations/"+org+"/projects", nil).Data(t)) == 3, "the table's own list misses a project")
	f.Clear()
	c.holds(len(e.must(t, 200, who, "GET", "/organizations/"+org+"/projects?sort=name", nil).Data(t)) == 3, "the index caught up without every project")
	report(t, f, c, rs)
}

// TestFaultsBecome503: a fault that outlasts every retry is a 503 with
// Retry-After, and a write it stopped left nothing half-done.
func TestFaultsBecome503(t *testing.T) {
	e, f, c := newFaultScenario(t)
	const who = "owner@503.test"
	org, _ := e.newOrg(t, who, "Unavailable")
	projects := func() int {
		return len(e.must(t, 200, who, "GET", "/organizations/"+org+"/projects", nil).Data(t))
	}
	cases := []struct {
		name  string
		rule  ddbtest.Rule
		wrote int // projects the refused write may leave: one when DynamoDB applied it
	}{
		{"ConflictOutlastsTheStoresRetries", ddbtest.Rule{Op: "TransactWriteItems", Fault: ddbtest.Conflict}, 0},
		{"ThrottledWrite", ddbtest.Rule{Op: "TransactWriteItems", Fault: ddbtest.Throttle}, 0},
		{"ThrottledAdmission", ddbtest.Rule{Op: "BatchGetItem", Fault: ddbtest.Throttle}, 0},
		{"AdmissionLeftUnprocessed", ddbtest.Rule{Op: "BatchGetItem", Fault: ddbtest.Unprocessed}, 0},
		{"ServerError", ddbtest.Rule{Op: "TransactWriteItems", Fault: ddbtest.ServerError}, 0},
		{"Timeout", ddbtest.Rule{Op: "TransactWriteItems", Fault: ddbtest.Timeout}, 0},
		// The response of a write that landed is lost three times: the
		// SDK's retries carry the same ClientRequestToken, so it lands once.
		{"TimeoutAfterWrite", ddbtest.Rule{Op: "TransactWriteItems", Fault: ddbtest.TimeoutAfterWrite}, 1},
	}
	var all []resp
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			before := projects()
			f.Add(tc.rule)
			r := e.call(t, who, "POST", "/organizations/"+org+"/projects", map[string]any{"name": tc.name})
			f.Clear()
			all = append(all, r)
			c.holds(transient(r) && r.Header.Get("Retry-After") == "1", "got %d %s (Retry-After %q), want 503 service_unavailable",
				r.Status, r.Raw, r.Header.Get("Retry-After"))
			c.holds(projects() == before+tc.wrote, "%d projects after the refused write, want %d", projects(), before+tc.wrote)
		})
	}
	c.t = t
	report(t, f, c, all)
}

// TestFaultsDeleteResumes: deleting an org whose purge DynamoDB keeps
// throttling (its batch writes left unprocessed) answers 503; the same
// DELETE sent again finishes it, and the slug is free.
func TestFaultsDeleteResumes(t *testing.T) {
	e, f, c := newFaultScenario(t)
	const who = "owner@resume.test"
	org, slug := e.newOrg(t, who, "Resume")
	for i := range 3 {
		e.must(t, 201, who, "POST", "/organizations/"+org+"/projects", map[string]any{"name": fmt.Sprint("p", i)})
	}
	f.Add(ddbtest.Rule{Op: "BatchWriteItem", Fault: ddbtest.Unprocessed})
	first := e.call(t, who, "DELETE", "/organizations/"+org, map[string]any{"confirm_slug": slug})
	f.Clear()
	c.holds(transient(first), "a purge DynamoDB kept throttling: %d %s, want 503", first.Status, first.Raw)
	c.holds(e.call(t, who, "GET", "/organizations/"+org, nil).Status == 404, "an org being deleted answers a read")
	again := e.call(t, who, "DELETE", "/organizations/"+org, map[string]any{"confirm_slug": slug})
	c.holds(again.Status == 204, "the DELETE sent again: %d %s", again.Status, again.Raw)
	created := e.call(t, who, "POST", "/organizations", map[string]any{"name": "Resume", "slug": slug})
	c.holds(created.Status == 201, "the slug of the deleted org: %d %s", created.Status, created.Raw)
	report(t, f, c, []resp{first, again})
}
