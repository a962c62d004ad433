package ddb_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/testkit"
)

func allActivity(t *testing.T, s *ddb.Store, org string, f activity.Filter) []activity.Event {
	t.Helper()
	var out []activity.Event
	page := ddb.Page{Limit: 50}
	for {
		es, next, err := s.ListActivity(context.Background(), org, f, page)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, es...)
		if next == nil {
			return out
		}
		page.After = next
	}
}

// TestActivityExactlyOncePerChange races creates against a quota and
// faults against the transactions: every change that landed has exactly
// one event and every one that failed has none.
func TestActivityExactlyOncePerChange(t *testing.T) {
	ctx := context.Background()
	t.Run("ConcurrentCreatesAgainstAQuota", func(t *testing.T) {
		s, _ := newStore(t)
		org, owner := newOrg(t, s, "race@activity.test")
		const n = 12 // the free plan has room for 3 projects
		var wg sync.WaitGroup
		created := make([]string, n)
		for i := range n {
			wg.Go(func() {
				p, err := s.CreateProject(ctx, owner, fmt.Sprint("P", i), "")
				if err == nil {
					created[i] = p.ID
				} else if !errors.Is(err, ddb.ErrQuotaExceeded) {
					t.Errorf("create: %v", err)
				}
			})
		}
		wg.Wait()
		events := allActivity(t, s, org, activity.Filter{Action: "project.*"})
		landed := map[string]bool{}
		for _, id := range created {
			if id != "" {
				landed[id] = true
			}
		}
		if len(landed) != 3 || len(events) != 3 {
			t.Fatalf("%d projects landed, %d project events; want 3 and 3", len(landed), len(events))
		}
		for _, ev := range events {
			if !landed[ev.Targets[0].ID] {
				t.Errorf("an event for a project that did not land: %+v", ev)
			}
		}
	})
	t.Run("FaultsLeaveNoEvent", func(t *testing.T) {
		faults := &ddbtest.Faults{}
		db, table := ddbtest.NewTable(t)
		s := ddb.New(ddbtest.NewFaultyClient(t, faults, &ddbtest.Counter{}), table)
		clean := ddb.New(db, table)
		org, owner := newOrg(t, clean, "faults@activity.test")
		faults.Add(ddbtest.Rule{Op: "TransactWriteItems", Fault: ddbtest.ServerError})
		for _, name := range []string{"Faulted", "Faulted again"} {
			if _, err := s.CreateProject(ctx, owner, name, ""); err == nil {
				t.Fatal("a faulted create succeeded")
			}
		}
		p, err := clean.CreateProject(ctx, owner, "Landed", "")
		if err != nil {
			t.Fatal(err)
		}
		events := allActivity(t, clean, org, activity.Filter{Action: "project.*"})
		if len(events) != 1 || events[0].Targets[0].ID != p.ID {
			t.Fatalf("project events after a faulted and a landed create: %+v", events)
		}
	})
}

// TestActivityRetention: an event older than 400 days is hidden before
// the table's TTL removes it, and carries that TTL.
func TestActivityRetention(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	clk := testkit.NewClock(time.Date(2025, 1, 31, 23, 59, 59, 0, time.UTC))
	s.Now = clk.Now
	org, owner := newOrg(t, s, "old@activity.test")
	if _, err := s.CreateProject(ctx, owner, "Old", ""); err != nil {
		t.Fatal(err)
	}
	if got := allActivity(t, s, org, activity.Filter{}); len(got) != 2 {
		t.Fatalf("fresh: %d events, want 2 (org created, project created)", len(got))
	}
	clk.Advance(activity.Retention - time.Minute)
	if got := allActivity(t, s, org, activity.Filter{}); len(got) != 2 {
		t.Fatalf("a minute before the end of retention: %d events, want 2", len(got))
	}
	clk.Advance(2 * time.Minute)
	if got := allActivity(t, s, org, activity.Filter{}); len(got) != 0 {
		t.Fatalf("past retention: %d events shown, want none", len(got))
	}
}
