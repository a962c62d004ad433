package api_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/ddb"
)

// TestAppBilledAfterTrial installs a paid app, lets its trial end with a
// short wallet (stopped unpaid, access refused with 402), and tops up: the
// top-up pays it and starts it, and the log and ledger tell the story.
func TestAppBilledAfterTrial(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	r := f.installChat(t, owner, org, map[string]any{"billing": "annual"})
	app := as[struct {
		ID          string  `json:"id"`
		Billing     *string `json:"billing"`
		TrialEndsAt *string `json:"trial_ends_at"`
	}](t, r)
	if app.Billing == nil || *app.Billing != "annual" || app.TrialEndsAt == nil {
		t.Fatalf("install: %s", r.Raw)
	}
	f.must(t, 400, owner, "POST", "/organizations/"+org+"/apps",
		map[string]any{"template_id": "chat-assistant", "env": map[string]any{"LLM_API_KEY": llmKey}, "billing": "weekly"})

	end, _ := time.Parse(time.RFC3339, *app.TrialEndsAt)
	f.clock.Advance(end.Sub(f.clock.Now()) + time.Second)
	if o, err := f.store.RenewApp(context.Background(), org, app.ID, f.clock.Now(), billing.Period{}); o != ddb.WentPastDue || err != nil {
		t.Fatalf("at the trial's end: %s %v", o, err)
	}
	if r := f.must(t, 402, owner, "POST", appPath(org, app.ID, "/access"), nil); r.Code(t) != "insufficient_credits" {
		t.Fatalf("access while unpaid: %s", r.Raw)
	}
	f.clock.Advance(time.Minute)
	f.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": 20000})
	if got := f.must(t, 200, owner, "GET", appPath(org, app.ID), nil).JSON(t); got["status"] != "running" {
		t.Fatalf("after the top-up: %v", got)
	}
	if story := f.appStory(t, owner, org, app.ID); !slices.Equal(story, []string{"started:payment", "stopped:unpaid", "installed:"}) {
		t.Fatalf("log %v", story)
	}
	if b := f.balance(t, org); b != 5000 { // the chat assistant costs 15000 a year
		t.Fatalf("balance %d", b)
	}
}
