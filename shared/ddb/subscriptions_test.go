package ddb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/testkit"
)

var (
	month  = billing.Period{}
	start0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

// billingOrg is an org with a wallet holding balance, on a store whose
// clock the test moves.
func billingOrg(t *testing.T, balance int64) (*ddb.Store, *testkit.Clock, string) {
	t.Helper()
	s, _ := newStore(t)
	clock := testkit.NewClock(start0)
	s.Now = clock.Now
	org, _ := newOrg(t, s, "owner@billing.test")
	if _, _, err := s.EnsureWallet(context.Background(), org, nil); err != nil {
		t.Fatal(err)
	}
	if balance > 0 {
		topUp(t, s, org, balance)
	}
	return s, clock, org
}

func topUp(t *testing.T, s *ddb.Store, org string, amount int64) {
	t.Helper()
	if _, _, err := s.Post(context.Background(), org, nil, credits.Posting{Kind: credits.TopUp, Amount: amount, CreatedBy: "usr_t"}, nil); err != nil {
		t.Fatal(err)
	}
}

func mustChange(t *testing.T, s *ddb.Store, org, plan string) ddb.PlanChanged {
	t.Helper()
	got, _, err := s.ChangePlan(context.Background(), org, ddb.PlanChange{Plan: plan, Period: month, Actor: "usr_t"}, nil)
	if err != nil {
		t.Fatalf("change to %s: %v", plan, err)
	}
	return got
}

// money is the wallet's balance, the ledger's sum and its charges.
func money(t *testing.T, s *ddb.Store, org string) (balance, sum int64, charges []int64) {
	t.Helper()
	ctx := context.Background()
	w, err := s.GetWallet(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	var pos ddb.Position
	for {
		es, next, err := s.ListEntries(ctx, org, ddb.Page{Limit: 100, After: pos})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			sum += e.Delta()
			if e.Kind == credits.Charge {
				charges = append(charges, e.Amount)
			}
		}
		if next == nil {
			return w.Balance, sum, charges
		}
		pos = next
	}
}

func orgPlan(t *testing.T, s *ddb.Store, org string) string {
	t.Helper()
	o, err := s.GetOrganization(context.Background(), org)
	if err != nil {
		t.Fatal(err)
	}
	return o.Plan
}

func TestChangePlan(t *testing.T) {
	t.Run("UpgradeFromFreeChargesAWholePeriod", func(t *testing.T) {
		s, _, org := billingOrg(t, 5000)
		got := mustChange(t, s, org, "pro")
		if got.Charge == nil || got.Charge.Amount != 2000 || got.Subscription.Plan != "pro" ||
			!got.Subscription.PeriodStart.Equal(start0) || !got.Subscription.PeriodEnd.Equal(month.After(start0)) {
			t.Fatalf("got %+v charge %+v", got.Subscription, got.Charge)
		}
		if b, sum, _ := money(t, s, org); b != 3000 || sum != b {
			t.Fatalf("balance %d, ledger sum %d", b, sum)
		}
		if p := orgPlan(t, s, org); p != "pro" {
			t.Fatalf("org plan %q", p)
		}
	})
	t.Run("UpgradeMidPeriodIsProrated", func(t *testing.T) {
		s, clock, org := billingOrg(t, 20000)
		mustChange(t, s, org, "pro")
		clock.Advance(month.After(start0).Sub(start0) / 2)
		got := mustChange(t, s, org, "business")
		if got.Charge == nil || got.Charge.Amount != 4000 || !got.Subscription.PeriodEnd.Equal(month.After(start0)) {
			t.Fatalf("got %+v charge %+v", got.Subscription, got.Charge)
		}
	})
	t.Run("ErrShortMovesNothing", func(t *testing.T) {
		s, _, org := billingOrg(t, 1500)
		_, _, err := s.ChangePlan(context.Background(), org, ddb.PlanChange{Plan: "pro", Period: month}, nil)
		var short ddb.ShortError
		if !errors.As(err, &short) || short.Required != 2000 || short.Balance != 1500 {
			t.Fatalf("got %v", err)
		}
		if b, sum, charges := money(t, s, org); b != 1500 || sum != 1500 || len(charges) != 0 {
			t.Fatalf("moved: balance %d sum %d charges %v", b, sum, charges)
		}
		sub, _, _ := s.GetSubscription(context.Background(), org)
		if sub.Plan != "free" || orgPlan(t, s, org) != "free" {
			t.Fatalf("plan changed: %+v", sub)
		}
	})
	t.Run("ErrEveryViolationListed", func(t *testing.T) {
		s, _, org := billingOrg(t, 5000)
		mustChange(t, s, org, "pro")
		setCounters(t, s, org, map[string]int{"seat_count": 9, "project_count": 4, "app_count": 2, "role_count": 7})
		_, _, err := s.ChangePlan(context.Background(), org, ddb.PlanChange{Plan: "free", Period: month}, nil)
		var pl ddb.PlanLimitsError
		want := []billing.Measure{measure("members", 9, 5), measure("projects", 4, 3), measure("apps", 2, 1), measure("roles", 7, 3)}
		if !errors.As(err, &pl) || !slices.Equal(pl.Violations, want) {
			t.Fatalf("got %v %+v", err, pl.Violations)
		}
	})
	t.Run("DowngradeIsScheduledThenCancelled", func(t *testing.T) {
		s, _, org := billingOrg(t, 5000)
		mustChange(t, s, org, "pro")
		got := mustChange(t, s, org, "free")
		if got.Charge != nil || got.Subscription.Plan != "pro" || got.Subscription.PendingPlan != "free" ||
			!got.Subscription.PendingPlanAt.Equal(month.After(start0)) || orgPlan(t, s, org) != "pro" {
			t.Fatalf("got %+v", got.Subscription)
		}
		if got := mustChange(t, s, org, "pro"); got.Subscription.PendingPlan != "" {
			t.Fatalf("not cancelled: %+v", got.Subscription)
		}
	})
	t.Run("SameIdempotencyKeyChargesOnce", func(t *testing.T) {
		s, _, org := billingOrg(t, 50000)
		const k = 16
		var wg sync.WaitGroup
		var mu sync.Mutex
		replays := 0
		for range k {
			wg.Go(func() {
				got, replayed, err := s.ChangePlan(context.Background(), org, ddb.PlanChange{Plan: "business", Period: month},
					&ddb.Idempotency{Key: "up-1", RequestHash: "h"})
				if err != nil || got.Subscription.Plan != "business" || got.Charge == nil || got.Charge.Amount != 10000 {
					t.Errorf("got %+v %v", got, err)
				}
				mu.Lock()
				replays += map[bool]int{true: 1}[replayed]
				mu.Unlock()
			})
		}
		wg.Wait()
		if _, _, charges := money(t, s, org); len(charges) != 1 || replays != k-1 {
			t.Fatalf("charges %v, replays %d", charges, replays)
		}
		if _, _, err := s.ChangePlan(context.Background(), org, ddb.PlanChange{Plan: "pro", Period: month},
			&ddb.Idempotency{Key: "up-1", RequestHash: "other"}); !errors.Is(err, ddb.ErrIdempotencyMismatch) {
			t.Fatalf("another request under the key: %v", err)
		}
	})
	t.Run("ConcurrentChangesOneWins", func(t *testing.T) {
		s, _, org := billingOrg(t, 500000)
		var wg sync.WaitGroup
		var mu sync.Mutex
		outcomes := map[string]int{}
		for i := range 12 {
			plan := []string{"pro", "business", "enterprise"}[i%3]
			wg.Go(func() {
				_, _, err := s.ChangePlan(context.Background(), org, ddb.PlanChange{Plan: plan, Period: month}, nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					outcomes["ok"]++
				case errors.Is(err, ddb.ErrSubscriptionChanged):
					outcomes["conflict"]++
				default:
					t.Errorf("%s: %v", plan, err)
				}
			})
		}
		wg.Wait()
		b, sum, charges := money(t, s, org)
		if outcomes["ok"] < 1 || outcomes["conflict"] < 1 || b != sum || b < 0 {
			t.Fatalf("outcomes %v, balance %d sum %d charges %v", outcomes, b, sum, charges)
		}
	})
}

// setCounters writes org counters behind the store's back (usage the test
// needs without creating it).
func setCounters(t *testing.T, s *ddb.Store, org string, counters map[string]int) {
	t.Helper()
	u := "SET "
	names, values := map[string]string{}, map[string]types.AttributeValue{}
	i := 0
	for k, v := range counters {
		if i > 0 {
			u += ", "
		}
		n, p := fmt.Sprintf("#n%d", i), fmt.Sprintf(":v%d", i)
		u += n + " = " + p
		names[n], values[p] = k, &types.AttributeValueMemberN{Value: fmt.Sprint(v)}
		i++
	}
	_, err := s.DB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &s.Table,
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ORG#" + org},
			"SK": &types.AttributeValueMemberS{Value: "ORG"}},
		UpdateExpression: aws.String(u), ExpressionAttributeNames: names, ExpressionAttributeValues: values})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRenew(t *testing.T) {
	ctx := context.Background()
	end := month.After(start0)
	t.Run("RedeliveredAndConcurrentRunsChargeOnce", func(t *testing.T) {
		s, clock, org := billingOrg(t, 5000)
		mustChange(t, s, org, "pro")
		clock.Advance(end.Sub(start0) + time.Minute)
		due, err := s.DueRenewals(ctx, clock.Now(), 31*24*time.Hour)
		if err != nil || len(due) != 1 || due[0].OrganizationID != org || !due[0].DueAt.Equal(end) {
			t.Fatalf("due %+v %v", due, err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		outcomes := map[string]int{}
		for range 20 { // ten redeliveries in each of two concurrent runs
			wg.Go(func() {
				o, err := s.Renew(ctx, org, clock.Now(), month)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				outcomes[o]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if outcomes[ddb.Renewed] != 1 || outcomes[ddb.NotDue] != 19 {
			t.Fatalf("outcomes %v", outcomes)
		}
		if b, sum, charges := money(t, s, org); !slices.Equal(charges, []int64{2000, 2000}) || b != 1000 || sum != b {
			t.Fatalf("balance %d sum %d charges %v", b, sum, charges)
		}
		sub, _, _ := s.GetSubscription(ctx, org)
		if !sub.PeriodStart.Equal(end) || !sub.PeriodEnd.Equal(month.After(end)) || sub.Status != billing.Active {
			t.Fatalf("sub %+v", sub)
		}
		if due, _ := s.DueRenewals(ctx, clock.Now(), 31*24*time.Hour); len(due) != 0 {
			t.Fatalf("still due: %+v", due)
		}
	})
	t.Run("PendingDowngradeApplies", func(t *testing.T) {
		s, clock, org := billingOrg(t, 5000)
		mustChange(t, s, org, "pro")
		mustChange(t, s, org, "free")
		clock.Advance(end.Sub(start0))
		if o, err := s.Renew(ctx, org, clock.Now(), month); o != ddb.Downgraded || err != nil {
			t.Fatalf("%s %v", o, err)
		}
		sub, _, _ := s.GetSubscription(ctx, org)
		if sub.Plan != "free" || sub.Status != billing.Active || orgPlan(t, s, org) != "free" {
			t.Fatalf("sub %+v", sub)
		}
		if _, _, charges := money(t, s, org); len(charges) != 1 {
			t.Fatalf("charges %v", charges)
		}
	})
	t.Run("PastDueThenOverLimitAcrossGrace", func(t *testing.T) {
		s, clock, org := billingOrg(t, 2500)
		mustChange(t, s, org, "pro")
		setCounters(t, s, org, map[string]int{"project_count": 7})
		clock.Advance(end.Sub(start0))
		if o, err := s.Renew(ctx, org, clock.Now(), month); o != ddb.WentPastDue || err != nil {
			t.Fatalf("%s %v", o, err)
		}
		sub, _, _ := s.GetSubscription(ctx, org)
		if sub.Status != billing.PastDue || !sub.GraceEndsAt.Equal(end.Add(billing.Grace)) || sub.Plan != "pro" {
			t.Fatalf("sub %+v", sub)
		}
		clock.Advance(billing.Grace - time.Second)
		if o, _ := s.Renew(ctx, org, clock.Now(), month); o != ddb.NotDue {
			t.Fatalf("inside the grace: %s", o)
		}
		clock.Advance(time.Second)
		if o, err := s.Renew(ctx, org, clock.Now(), month); o != ddb.FellBack || err != nil {
			t.Fatalf("%s %v", o, err)
		}
		sub, usage, _ := s.GetSubscription(ctx, org)
		if sub.Status != billing.OverLimit || sub.Plan != "free" || orgPlan(t, s, org) != "free" || usage.Projects != 7 {
			t.Fatalf("sub %+v usage %+v", sub, usage)
		}
		if b, sum, charges := money(t, s, org); b != 500 || sum != b || len(charges) != 1 {
			t.Fatalf("balance %d sum %d charges %v", b, sum, charges)
		}
	})
	t.Run("TopUpInGraceSettles", func(t *testing.T) {
		s, clock, org := billingOrg(t, 2500)
		mustChange(t, s, org, "pro")
		clock.Advance(end.Sub(start0) + time.Hour)
		if o, _ := s.Renew(ctx, org, clock.Now(), month); o != ddb.WentPastDue {
			t.Fatalf("got %s", o)
		}
		if ok, err := s.SettlePastDue(ctx, org, month); ok || err != nil {
			t.Fatalf("settled while short: %v %v", ok, err)
		}
		topUp(t, s, org, 3000)
		if ok, err := s.SettlePastDue(ctx, org, month); !ok || err != nil {
			t.Fatalf("not settled: %v %v", ok, err)
		}
		sub, _, _ := s.GetSubscription(ctx, org)
		if sub.Status != billing.Active || !sub.PeriodStart.Equal(end) || !sub.GraceEndsAt.IsZero() {
			t.Fatalf("sub %+v", sub)
		}
		if b, _, charges := money(t, s, org); b != 1500 || len(charges) != 2 {
			t.Fatalf("balance %d charges %v", b, charges)
		}
		if ok, _ := s.SettlePastDue(ctx, org, month); ok {
			t.Fatal("settled twice")
		}
	})
}

// TestConcurrentDebitsNeverOverdraw: charges, plan upgrades, renewals and
// settlements racing on one wallet never take it below zero, and the
// ledger always adds up to the balance.
func TestConcurrentDebitsNeverOverdraw(t *testing.T) {
	ctx := context.Background()
	s, clock, org := billingOrg(t, 30000)
	mustChange(t, s, org, "pro")
	app := installPaid(t, s, org, billing.Monthly, 700, 0)
	clock.Advance(month.After(start0).Sub(start0) + time.Minute)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			var err error
			switch i % 5 {
			case 0, 1:
				_, _, err = s.Post(ctx, org, nil, credits.Posting{Kind: credits.Charge, Amount: int64(300 + i), Description: "x", CreatedBy: "usr_t"}, nil)
			case 2:
				_, err = s.Renew(ctx, org, clock.Now(), month)
			case 3:
				_, _, err = s.ChangePlan(ctx, org, ddb.PlanChange{Plan: "business", Period: month}, nil)
			case 4:
				_, err = s.RenewApp(ctx, org, app.ID, clock.Now(), month)
			}
			if err != nil && !errors.Is(err, ddb.ErrInsufficientCredits) && !errors.Is(err, ddb.ErrSubscriptionChanged) &&
				!errors.Is(err, ddb.ErrPastDue) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b, sum, _ := money(t, s, org)
	if b < 0 || b != sum {
		t.Fatalf("balance %d, ledger sum %d", b, sum)
	}
}

func measure(resource string, usage, limit int) billing.Measure {
	return billing.Measure{Resource: resource, Usage: usage, Limit: limit}
}
