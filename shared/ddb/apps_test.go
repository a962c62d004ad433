package ddb_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
)

// newStore is a store over a fresh table, with its calls counted.
func newStore(t *testing.T) (*ddb.Store, *ddbtest.Counter) {
	t.Helper()
	_, name := ddbtest.NewTable(t)
	calls := &ddbtest.Counter{}
	return ddb.New(ddbtest.NewCountingClient(t, calls), name), calls
}

// newOrg makes a user and an org they own, on the free plan (one app).
func newOrg(t *testing.T, s *ddb.Store, email string) (orgID string, owner orgs.Member) {
	t.Helper()
	ctx := context.Background()
	u, _, err := s.EnsureUser(ctx, auth.Principal{UserID: auth.UserID("https://issuer.test", email),
		Issuer: "https://issuer.test", Subject: email, Email: email, Name: "Owner"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.CreateOrganization(ctx, u, ddb.NewOrganization{Name: "Apps " + email})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMember(ctx, o.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID, m
}

func install(t *testing.T, s *ddb.Store, by orgs.Member) apps.Instance {
	t.Helper()
	i, err := s.InstallApp(context.Background(), ddb.NewApp{By: by, TemplateID: "chat-assistant", Name: "Helper",
		Env: map[string]string{"LLM_API_KEY": "sk-secret", "MODEL": "gpt-4o-mini"}, Visibility: apps.VisibleToOrganization,
		TrialDays: 30})
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	return i
}

// running lists the ids of every running instance in the idle index,
// whatever its last access (the cutoff is far in the future).
func running(t *testing.T, s *ddb.Store) []string {
	t.Helper()
	var out []string
	for shard := range ddb.RunningShards {
		page := ddb.Page{Limit: 100}
		for {
			idle, next, err := s.IdleApps(context.Background(), shard, time.Now().Add(24*time.Hour), page)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range idle {
				out = append(out, a.ID)
			}
			if next == nil {
				break
			}
			page.After = next
		}
	}
	slices.Sort(out)
	return out
}

func events(t *testing.T, s *ddb.Store, org, app string) []apps.Event {
	t.Helper()
	var out []apps.Event
	page := ddb.Page{Limit: 2}
	for {
		got, next, err := s.ListAppEvents(context.Background(), org, app, page)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
		if next == nil {
			return out
		}
		page.After = next
	}
}

func TestInstallAppQuota(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	org, by := newOrg(t, s, "quota@apps.test")

	// Free plan: room for one. Ten concurrent installs leave exactly one.
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.InstallApp(ctx, ddb.NewApp{By: by, TemplateID: "team-wiki", Name: fmt.Sprint("Wiki ", i),
				Env: map[string]string{}, Visibility: apps.VisibleToOrganization})
		})
	}
	wg.Wait()
	ok, over := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ddb.ErrQuotaExceeded):
			over++
		default:
			t.Fatalf("install: %v", err)
		}
	}
	if ok != 1 || over != n-1 {
		t.Fatalf("%d installed, %d over quota; want 1 and %d", ok, over, n-1)
	}
	o, err := s.GetOrganization(ctx, org)
	if err != nil || o.Counts.Apps != 1 {
		t.Fatalf("app_count = %d (%v), want 1", o.Counts.Apps, err)
	}

	t.Run("UninstallFreesRoom", func(t *testing.T) {
		list, _, err := s.ListApps(ctx, org, "", ddb.Page{Limit: 10})
		if err != nil || len(list) != 1 {
			t.Fatalf("list = %v, %v", list, err)
		}
		if err := s.UninstallApp(ctx, by, list[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.UninstallApp(ctx, by, list[0]); !errors.Is(err, ddb.ErrNotFound) {
			t.Fatalf("second uninstall: %v, want not found", err)
		}
		if _, err := s.GetApp(ctx, org, list[0].ID); !errors.Is(err, ddb.ErrNotFound) {
			t.Fatalf("uninstalled app still there: %v", err)
		}
		if got := running(t, s); len(got) != 0 {
			t.Fatalf("uninstalled app still in the idle index: %v", got)
		}
		install(t, s, by)
		if o, _ := s.GetOrganization(ctx, org); o.Counts.Apps != 1 {
			t.Fatalf("app_count = %d, want 1", o.Counts.Apps)
		}
	})
	t.Run("ErrUnknownOrg", func(t *testing.T) {
		stranger := by
		stranger.OrganizationID = "org_01jbz8k6w3m4t5v6x7y8z9a0bc"
		_, err := s.InstallApp(ctx, ddb.NewApp{By: stranger, TemplateID: "team-wiki", Name: "W"})
		if !errors.Is(err, ddb.ErrNotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
}

func TestAppLifecycle(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	org, by := newOrg(t, s, "life@apps.test")
	owner := apps.ActorOf(by.UserID)
	i := install(t, s, by)
	if i.Status != apps.Running || i.Health() != apps.Healthy || i.Version != 1 {
		t.Fatalf("installed %+v", i)
	}
	if d := i.TrialEndsAt.Sub(i.CreatedAt); d != 30*24*time.Hour {
		t.Fatalf("trial of %v, want 30 days", d)
	}
	if got := running(t, s); !slices.Equal(got, []string{i.ID}) {
		t.Fatalf("idle index = %v, want the new instance", got)
	}

	// Traffic moves last_active_at, not the version.
	accessed, err := s.AccessApp(ctx, org, i.ID, owner, false)
	if err != nil || accessed.Version != 1 || !accessed.LastActiveAt.After(i.LastActiveAt) {
		t.Fatalf("access: %+v, %v", accessed, err)
	}

	stopped, err := s.StopApp(ctx, by, i.ID)
	if err != nil || stopped.Status != apps.Stopped || stopped.StopReason != apps.StopManual || stopped.Version != 2 {
		t.Fatalf("stop: %+v, %v", stopped, err)
	}
	if got := running(t, s); len(got) != 0 {
		t.Fatalf("a stopped instance is in the idle index: %v", got)
	}
	again, err := s.StopApp(ctx, by, i.ID)
	if err != nil || again.Version != 2 {
		t.Fatalf("stopping a stopped instance changed it: %+v, %v", again, err)
	}

	// Settings change while stopped, then an access starts it with them intact.
	model := "gpt-4o"
	updated, err := s.UpdateApp(ctx, by, stopped, ddb.AppPatch{Env: map[string]string{"LLM_API_KEY": "sk-secret", "MODEL": model},
		Changes: []string{"env.MODEL"}}, 2)
	if err != nil || updated.Version != 3 {
		t.Fatalf("update: %+v, %v", updated, err)
	}
	if _, err := s.UpdateApp(ctx, by, stopped, ddb.AppPatch{Name: &model, Changes: []string{"name"}}, 0); !errors.Is(err, ddb.ErrVersionConflict) {
		t.Fatalf("update from a stale read: %v, want version_conflict", err)
	}
	if _, err := s.UpdateApp(ctx, by, updated, ddb.AppPatch{Name: &model, Changes: []string{"name"}}, 2); !errors.Is(err, ddb.ErrVersionConflict) {
		t.Fatalf("update with a stale If-Match: %v, want version_conflict", err)
	}
	woke, err := s.AccessApp(ctx, org, i.ID, owner, false)
	if err != nil || woke.Status != apps.Running || woke.StopReason != "" || !woke.StoppedAt.IsZero() || woke.Version != 4 {
		t.Fatalf("access of a stopped instance: %+v, %v", woke, err)
	}
	want := map[string]string{"LLM_API_KEY": "sk-secret", "MODEL": model}
	if got, _ := s.GetApp(ctx, org, i.ID); !maps.Equal(got.Env, want) || got.Name != "Helper" || got.Status != apps.Running {
		t.Fatalf("after waking: %+v", got)
	}
	if got := running(t, s); !slices.Equal(got, []string{i.ID}) {
		t.Fatalf("a started instance is not back in the idle index: %v", got)
	}

	restarted, err := s.RestartApp(ctx, by, i.ID)
	if err != nil || restarted.Status != apps.Running || restarted.Version != 5 {
		t.Fatalf("restart: %+v, %v", restarted, err)
	}

	// The log tells the story, newest first, with the actor of each step.
	var story []string
	for _, e := range events(t, s, org, i.ID) {
		story = append(story, e.Kind+":"+e.Reason)
		if e.Actor != owner || e.AppID != i.ID || e.At.IsZero() {
			t.Errorf("event %+v", e)
		}
	}
	wantStory := []string{"restarted:", "started:access", "settings_changed:", "stopped:manual", "installed:"}
	if !slices.Equal(story, wantStory) {
		t.Fatalf("log = %v, want %v", story, wantStory)
	}

	t.Run("ErrNotFound", func(t *testing.T) {
		other := "app_01jbz8k6w3m4t5v6x7y8z9a0bc"
		for name, f := range map[string]func() error{
			"access":  func() error { _, err := s.AccessApp(ctx, org, other, owner, true); return err },
			"stop":    func() error { _, err := s.StopApp(ctx, by, other); return err },
			"restart": func() error { _, err := s.RestartApp(ctx, by, other); return err },
		} {
			if err := f(); !errors.Is(err, ddb.ErrNotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
	})
}

func TestPrivateAppAccess(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	org, by := newOrg(t, s, "private@apps.test")
	owner := apps.ActorOf(by.UserID)
	i := install(t, s, by)
	private := apps.Private
	i, err := s.UpdateApp(ctx, by, i, ddb.AppPatch{Visibility: &private, Changes: []string{"access.visibility"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	member := apps.ActorOf("usr_01jbz8k6w3m4t5v6x7y8z9a0bc")
	if _, err := s.AccessApp(ctx, org, i.ID, member, false); !errors.Is(err, ddb.ErrPrivateApp) {
		t.Fatalf("member using a private app: %v, want forbidden", err)
	}
	if _, err := s.StopApp(ctx, by, i.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccessApp(ctx, org, i.ID, member, false); !errors.Is(err, ddb.ErrPrivateApp) {
		t.Fatalf("member waking a private app: %v, want forbidden", err)
	}
	if got, _ := s.GetApp(ctx, org, i.ID); got.Status != apps.Stopped {
		t.Fatalf("a refused access started the app: %+v", got)
	}
	if got, err := s.AccessApp(ctx, org, i.ID, owner, true); err != nil || got.Status != apps.Running {
		t.Fatalf("manager waking a private app: %+v, %v", got, err)
	}
}

// TestIdleStopLosesToAccess: an access that lands between the job's read
// of the index and its stop wins; the stop is skipped, and the rest of the
// batch is stopped.
func TestIdleStopLosesToAccess(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	long := time.Now().Add(-13 * time.Hour)
	seed := make([]apps.Instance, 3)
	for k := range seed {
		seed[k] = seedInstance("org_01jbz8k6w3m4t5v6x7y8z9a0bc", long)
	}
	if err := s.PutApps(ctx, seed); err != nil {
		t.Fatal(err)
	}
	var idle []ddb.IdleApp
	for shard := range ddb.RunningShards {
		got, _, err := s.IdleApps(ctx, shard, time.Now().Add(-12*time.Hour), ddb.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, got...)
	}
	if len(idle) != 3 {
		t.Fatalf("%d idle candidates, want 3", len(idle))
	}
	user := apps.ActorOf("usr_01jbz8k6w3m4t5v6x7y8z9a0bc")
	if _, err := s.AccessApp(ctx, seed[1].OrganizationID, seed[1].ID, user, false); err != nil {
		t.Fatal(err)
	}
	job := apps.ScheduleActor("stop-idle-apps")
	stopped, skipped, err := s.StopIdleApps(ctx, idle, job)
	if err != nil || stopped != 2 || skipped != 1 {
		t.Fatalf("stopped %d, skipped %d (%v); want 2 and 1", stopped, skipped, err)
	}
	for k, in := range seed {
		got, err := s.GetApp(ctx, in.OrganizationID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantStatus, wantReason := apps.Stopped, apps.StopIdle
		if k == 1 {
			wantStatus, wantReason = apps.Running, ""
		}
		if got.Status != wantStatus || got.StopReason != wantReason {
			t.Errorf("instance %d: %s/%s, want %s/%s", k, got.Status, got.StopReason, wantStatus, wantReason)
		}
		log := events(t, s, in.OrganizationID, in.ID)
		if k != 1 && (len(log) != 1 || log[0].Kind != apps.StoppedEvent || log[0].Reason != apps.StopIdle || log[0].Actor != job) {
			t.Errorf("instance %d log: %+v", k, log)
		}
	}
	// Again: every candidate has changed, so nothing moves.
	if stopped, skipped, err := s.StopIdleApps(ctx, idle, job); err != nil || stopped != 0 || skipped != 3 {
		t.Fatalf("replay stopped %d, skipped %d (%v); want 0 and 3", stopped, skipped, err)
	}
}

func seedInstance(org string, lastActive time.Time) apps.Instance {
	return apps.Instance{ID: newAppID(), OrganizationID: org, TemplateID: "kanban-board", Name: "Board",
		Status: apps.Running, Env: map[string]string{"BOARD_TITLE": "Team board", "WIP_LIMIT": "5"},
		Access: apps.Access{Visibility: apps.VisibleToOrganization}, CreatedBy: "usr_01jbz8k6w3m4t5v6x7y8z9a0bc",
		CreatedAt: lastActive, UpdatedAt: lastActive, StartedAt: lastActive, LastActiveAt: lastActive, Version: 1}
}

func newAppID() string { return ids.New(ids.App) }
