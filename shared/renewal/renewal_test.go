package renewal_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/renewal"
	"github.com/orgplane/orgplane/shared/testkit"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

var (
	month  = billing.Period{}
	start0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

func newStore(tb testing.TB) (*ddb.Store, *ddbtest.Counter, *testkit.Clock) {
	tb.Helper()
	_, name := ddbtest.NewTable(tb)
	calls := &ddbtest.Counter{}
	s := ddb.New(ddbtest.NewCountingClient(tb, calls), name)
	clock := testkit.NewClock(start0)
	s.Now = clock.Now
	return s, calls, clock
}

// subscriber is an org to seed: its wallet's balance, the plan it
// subscribes to and the plan it then schedules (if any).
type subscriber struct {
	balance   int64
	plan      string
	downgrade string
}

// seed creates the orgs, 16 at a time, through the store as the API would.
func seed(tb testing.TB, s *ddb.Store, subs []subscriber) []string {
	tb.Helper()
	ctx := context.Background()
	orgIDs := make([]string, len(subs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, sub := range subs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			email := fmt.Sprintf("owner%d@renewal.test", i)
			u, _, err := s.EnsureUser(ctx, auth.Principal{UserID: auth.UserID("https://issuer.test", email),
				Issuer: "https://issuer.test", Subject: email, Email: email, Name: "Owner"})
			if err != nil {
				tb.Error(err)
				return
			}
			o, err := s.CreateOrganization(ctx, u, ddb.NewOrganization{Name: fmt.Sprintf("Org %d", i)})
			if err == nil {
				_, _, err = s.EnsureWallet(ctx, o.ID, nil)
			}
			if err == nil {
				_, _, err = s.Post(ctx, o.ID, nil, credits.Posting{Kind: credits.TopUp, Amount: sub.balance, CreatedBy: u.ID}, nil)
			}
			for _, p := range []string{sub.plan, sub.downgrade} {
				if err == nil && p != "" {
					_, _, err = s.ChangePlan(ctx, o.ID, ddb.PlanChange{Plan: p, Period: month, Actor: u.ID}, nil)
				}
			}
			if err != nil {
				tb.Error(err)
			}
			orgIDs[i] = o.ID
		})
	}
	wg.Wait()
	if tb.Failed() {
		tb.FailNow()
	}
	return orgIDs
}

func charges(t *testing.T, s *ddb.Store, org string) int {
	t.Helper()
	es, _, err := s.ListEntries(context.Background(), org, ddb.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Kind == credits.Charge {
			n++
		}
	}
	return n
}

// TestRunsRenewEachPeriodOnce: two concurrent job runs, each redelivered
// ten times, charge every due subscription once for the period, start one
// grace, apply one downgrade and leave the free org alone.
func TestRunsRenewEachPeriodOnce(t *testing.T) {
	s, _, clock := newStore(t)
	orgIDs := seed(t, s, []subscriber{
		{balance: 5000, plan: "pro"}, {balance: 5000, plan: "pro"}, {balance: 25000, plan: "business"},
		{balance: 2500, plan: "pro"},                    // short at renewal
		{balance: 5000, plan: "pro", downgrade: "free"}, // scheduled downgrade
		{balance: 100}, // free
	})
	clock.Advance(month.After(start0).Sub(start0) + time.Minute)
	job := &renewal.Job{Store: s, Period: month, Now: clock.Now}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := map[string]int{}
	for range 2 {
		wg.Go(func() {
			for range 10 {
				r, err := job.Run(context.Background())
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for k, v := range r.Outcomes {
					total[k] += v
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if total[ddb.Renewed] != 3 || total[ddb.WentPastDue] != 1 || total[ddb.Downgraded] != 1 {
		t.Fatalf("outcomes %v", total)
	}
	for i, want := range []int{2, 2, 2, 1, 1, 0} {
		if got := charges(t, s, orgIDs[i]); got != want {
			t.Errorf("org %d: %d charges, want %d", i, got, want)
		}
	}
	if r, _ := job.Run(context.Background()); r.Due != 0 {
		t.Fatalf("still due after the runs: %+v", r)
	}
}

// BenchmarkRenewSubscriptions10k measures one run of the job over 10,000
// due pro subscriptions (bulk-loaded, not timed) and reports DynamoDB
// calls and wall time per org beside the outcome count.
func BenchmarkRenewSubscriptions10k(b *testing.B) {
	const n = 10_000
	s, counter, clock := newStore(b)
	end := month.After(start0)
	subs := make([]ddb.Subscriber, n)
	for i := range subs {
		subs[i] = ddb.Subscriber{Balance: int64(b.N+1) * 2000, Subscription: billing.Subscription{
			OrganizationID: ids.New(ids.Organization), Plan: "pro", Status: billing.Active,
			PeriodStart: start0, PeriodEnd: end, Version: 1}}
	}
	if err := s.PutSubscribers(context.Background(), subs); err != nil {
		b.Fatal(err)
	}
	job := &renewal.Job{Store: s, Period: month, Now: clock.Now}
	var renewed, calls float64
	var took time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		// Each iteration renews the next period of every org.
		clock.Advance(month.After(clock.Now()).Sub(clock.Now()) + time.Hour)
		counter.Reset()
		began := time.Now()
		b.StartTimer()
		r, err := job.Run(context.Background())
		b.StopTimer()
		took += time.Since(began)
		if err != nil || r.Outcomes[ddb.Renewed] != n {
			b.Fatalf("%+v %v", r, err)
		}
		renewed += float64(r.Outcomes[ddb.Renewed])
		calls += float64(counter.Total())
	}
	b.ReportMetric(calls/renewed, "ddb-calls/org")
	b.ReportMetric(float64(took.Microseconds())/renewed, "µs/org")
	b.ReportMetric(renewed/float64(b.N), "renewed/op")
}
