package ddb_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/orgs"
)

// ownerOf is the one member of a billing test's org.
func ownerOf(t *testing.T, s *ddb.Store, org string) orgs.Member {
	t.Helper()
	owners, _, err := s.ListMembers(context.Background(), org, ddb.MemberFilter{}, ddb.Page{Limit: 1})
	if err != nil || len(owners) != 1 {
		t.Fatalf("the org's owner: %v %v", owners, err)
	}
	return owners[0]
}

func installPaid(t *testing.T, s *ddb.Store, org, option string, price int64, trialDays int) apps.Instance {
	t.Helper()
	i, err := s.InstallApp(context.Background(), ddb.NewApp{By: ownerOf(t, s, org), TemplateID: "doc-summarizer", Name: "Docs",
		Env: map[string]string{"LLM_API_KEY": "sk-1"}, Visibility: apps.VisibleToOrganization, TrialDays: trialDays,
		Billing: option, Price: price, Period: month})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func logKinds(t *testing.T, s *ddb.Store, org, app string) []string {
	t.Helper()
	es, _, err := s.ListAppEvents(context.Background(), org, app, ddb.Page{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(es) - 1; i >= 0; i-- { // oldest first
		out = append(out, es[i].Kind+":"+es[i].Reason)
	}
	return out
}

func TestAppBilling(t *testing.T) {
	ctx := context.Background()
	t.Run("NothingDuringTrialThenChargedOnce", func(t *testing.T) {
		s, clock, org := billingOrg(t, 1000)
		i := installPaid(t, s, org, billing.Monthly, 200, 30)
		trialEnd := start0.AddDate(0, 0, 30)
		clock.Advance(trialEnd.Sub(start0) - time.Second)
		if o, _ := s.RenewApp(ctx, org, i.ID, clock.Now(), month); o != ddb.NotDue {
			t.Fatalf("during the trial: %s", o)
		}
		clock.Advance(time.Second)
		due, _ := s.DueRenewals(ctx, clock.Now(), 40*24*time.Hour)
		if len(due) != 1 || due[0].AppID != i.ID || !due[0].DueAt.Equal(trialEnd) {
			t.Fatalf("due %+v", due)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		outcomes := map[string]int{}
		for range 10 {
			wg.Go(func() {
				o, err := s.RenewApp(ctx, org, i.ID, clock.Now(), month)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				outcomes[o]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if b, sum, charges := money(t, s, org); outcomes[ddb.Renewed] != 1 || !slices.Equal(charges, []int64{200}) || b != 800 || sum != b {
			t.Fatalf("outcomes %v, charges %v, balance %d", outcomes, charges, b)
		}
		if due, _ := s.DueRenewals(ctx, clock.Now(), 40*24*time.Hour); len(due) != 0 {
			t.Fatalf("due again at once: %+v", due)
		}
		clock.Advance(month.After(trialEnd).Sub(trialEnd))
		if o, _ := s.RenewApp(ctx, org, i.ID, clock.Now(), month); o != ddb.Renewed {
			t.Fatalf("the next month: %s", o)
		}
	})
	t.Run("UnpaidStopsAndTopUpStarts", func(t *testing.T) {
		s, clock, org := billingOrg(t, 100)
		i := installPaid(t, s, org, billing.Monthly, 200, 0)
		clock.Advance(time.Minute)
		if o, err := s.RenewApp(ctx, org, i.ID, clock.Now(), month); o != ddb.WentPastDue || err != nil {
			t.Fatalf("%s %v", o, err)
		}
		got, _ := s.GetApp(ctx, org, i.ID)
		if got.Status != apps.Stopped || got.StopReason != apps.StopUnpaid || got.Env["LLM_API_KEY"] != "sk-1" {
			t.Fatalf("app %+v", got)
		}
		if _, err := s.AccessApp(ctx, org, i.ID, apps.ActorOf("usr_t"), true); !errors.Is(err, ddb.ErrAppUnpaid) {
			t.Fatalf("access while unpaid: %v", err)
		}
		if _, err := s.RestartApp(ctx, ownerOf(t, s, org), i.ID); !errors.Is(err, ddb.ErrAppUnpaid) {
			t.Fatalf("restart while unpaid: %v", err)
		}
		clock.Advance(time.Minute)
		topUp(t, s, org, 500)
		if n, err := s.SettleUnpaidApps(ctx, org, month); n != 1 || err != nil {
			t.Fatalf("settled %d %v", n, err)
		}
		got, _ = s.GetApp(ctx, org, i.ID)
		if got.Status != apps.Running || got.Env["LLM_API_KEY"] != "sk-1" {
			t.Fatalf("app after paying %+v", got)
		}
		want := []string{"installed:", "stopped:unpaid", "started:payment"}
		if kinds := logKinds(t, s, org, i.ID); !slices.Equal(kinds, want) {
			t.Fatalf("log %v, want %v", kinds, want)
		}
		if b, sum, charges := money(t, s, org); b != 400 || sum != b || len(charges) != 1 {
			t.Fatalf("balance %d charges %v", b, charges)
		}
	})
	t.Run("OneTimeChargedOnce", func(t *testing.T) {
		s, clock, org := billingOrg(t, 5000)
		i := installPaid(t, s, org, billing.OneTime, 3000, 0)
		for range 3 {
			s.RenewApp(ctx, org, i.ID, clock.Now(), month)
			clock.Advance(400 * 24 * time.Hour)
		}
		if _, _, charges := money(t, s, org); !slices.Equal(charges, []int64{3000}) {
			t.Fatalf("charges %v", charges)
		}
	})
	t.Run("UninstallEndsBilling", func(t *testing.T) {
		s, clock, org := billingOrg(t, 5000)
		i := installPaid(t, s, org, billing.Monthly, 200, 0)
		if err := s.UninstallApp(ctx, ownerOf(t, s, org), i); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.DueRenewals(ctx, clock.Now(), 40*24*time.Hour); len(due) != 0 {
			t.Fatalf("an uninstalled app is still billed: %+v", due)
		}
	})
}
