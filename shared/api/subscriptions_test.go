package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/ddb"
)

type subscriptionBody struct {
	Plan               string  `json:"plan"`
	Status             string  `json:"status"`
	Price              int64   `json:"price"`
	CurrentPeriodStart *string `json:"current_period_start"`
	CurrentPeriodEnd   *string `json:"current_period_end"`
	PendingPlan        *string `json:"pending_plan"`
	GraceEndsAt        *string `json:"grace_ends_at"`
	LastChargeID       *string `json:"last_charge_id"`
	Warnings           []struct {
		Resource string `json:"resource"`
		Usage    int    `json:"usage"`
		Limit    int    `json:"limit"`
	} `json:"warnings"`
}

type violationsBody struct {
	Code       string `json:"code"`
	Required   int64  `json:"required"`
	Balance    int64  `json:"balance"`
	Shortfall  int64  `json:"shortfall"`
	Violations []struct {
		Resource string `json:"resource"`
		Usage    int    `json:"usage"`
		Limit    int    `json:"limit"`
	} `json:"violations"`
}

func TestListPlansNeedsNoAuth(t *testing.T) {
	e := newEnv(t)
	r := e.must(t, 200, "", "GET", "/plans", nil)
	l := as[struct {
		Data []struct {
			ID    string `json:"id"`
			Price int64  `json:"price"`
		} `json:"data"`
	}](t, r)
	if len(l.Data) != 4 || l.Data[1].ID != "pro" || l.Data[1].Price != 2000 {
		t.Fatalf("plans %+v", l.Data)
	}
}

func TestSubscription(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	sub := "/organizations/" + org + "/subscription"
	topUp := func(n int) {
		f.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": n})
	}

	got := as[subscriptionBody](t, f.must(t, 200, owner, "GET", sub, nil))
	if got.Plan != "free" || got.Status != "active" || got.CurrentPeriodEnd != nil || got.Price != 0 {
		t.Fatalf("a new org's subscription: %+v", got)
	}

	t.Run("ErrShortMovesNothing", func(t *testing.T) {
		topUp(1500)
		r := f.must(t, 402, owner, "PUT", sub, map[string]any{"plan": "pro"})
		if p := as[violationsBody](t, r); p.Code != "insufficient_credits" || p.Required != 2000 || p.Balance != 1500 || p.Shortfall != 500 {
			t.Fatalf("402: %s", r.Raw)
		}
		if b := f.balance(t, org); b != 1500 {
			t.Fatalf("balance %d", b)
		}
	})
	t.Run("UpgradeOnceUnderOneKey", func(t *testing.T) {
		topUp(1000)
		for i := range 3 {
			r := f.must(t, 200, owner, "PUT", sub, map[string]any{"plan": "pro"}, "Idempotency-Key", "upgrade-1")
			if got := as[subscriptionBody](t, r); got.Plan != "pro" || got.LastChargeID == nil || got.CurrentPeriodEnd == nil {
				t.Fatalf("upgrade: %s", r.Raw)
			}
			if replayed := r.Header.Get("Idempotent-Replayed") == "true"; replayed != (i > 0) {
				t.Fatalf("call %d replayed %v", i, replayed)
			}
		}
		if b := f.balance(t, org); b != 500 {
			t.Fatalf("balance %d, want 500", b)
		}
		if sum, _ := f.ledgerSum(t, org); sum != 500 {
			t.Fatalf("ledger sum %d", sum)
		}
		if o := f.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t); o["plan"] != "pro" {
			t.Fatalf("org plan %v", o["plan"])
		}
	})
	t.Run("ErrDowngradeListsViolations", func(t *testing.T) {
		for i := range 4 {
			f.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": fmt.Sprintf("P%d", i)})
		}
		r := f.must(t, 409, owner, "PUT", sub, map[string]any{"plan": "free"})
		p := as[violationsBody](t, r)
		if p.Code != "plan_limits_exceeded" || len(p.Violations) != 1 || p.Violations[0].Resource != "projects" ||
			p.Violations[0].Usage != 4 || p.Violations[0].Limit != 3 {
			t.Fatalf("409: %s", r.Raw)
		}
	})
	t.Run("DowngradeScheduled", func(t *testing.T) {
		list := f.must(t, 200, owner, "GET", "/organizations/"+org+"/projects", nil).Data(t)
		f.must(t, 204, owner, "DELETE", "/organizations/"+org+"/projects/"+list[0]["id"].(string), nil)
		got := as[subscriptionBody](t, f.must(t, 200, owner, "PUT", sub, map[string]any{"plan": "free"}))
		if got.Plan != "pro" || got.PendingPlan == nil || *got.PendingPlan != "free" {
			t.Fatalf("downgrade: %+v", got)
		}
		// 3 of free's 3 projects: the warning shows before the limit bites.
		o := as[subscriptionBody](t, f.must(t, 200, owner, "GET", sub, nil))
		if len(o.Warnings) != 0 { // on pro, 3 of 50
			t.Fatalf("warnings on pro: %+v", o.Warnings)
		}
		f.must(t, 200, owner, "PUT", sub, map[string]any{"plan": "pro"}) // cancel
	})
	t.Run("ErrBadPlan", func(t *testing.T) {
		f.must(t, 400, owner, "PUT", sub, map[string]any{"plan": "platinum"})
		f.must(t, 400, owner, "PUT", sub, map[string]any{})
	})
}

// TestLapsedSubscription follows a paid org whose wallet runs dry: past
// due at renewal, settled by a top-up once, and the next time left unpaid
// through the grace to free, over its limits: creates refused with
// over_limit, everything else working, nothing deleted.
func TestLapsedSubscription(t *testing.T) {
	f := newFlowEnv(t)
	ctx := context.Background()
	org := walletOrg(t, f)
	sub := "/organizations/" + org + "/subscription"
	projects := "/organizations/" + org + "/projects"
	f.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": 2000})
	first := as[subscriptionBody](t, f.must(t, 200, owner, "PUT", sub, map[string]any{"plan": "pro"}))
	for i := range 5 {
		f.must(t, 201, owner, "POST", projects, map[string]any{"name": fmt.Sprintf("P%d", i)})
	}
	end, _ := time.Parse(time.RFC3339, *first.CurrentPeriodEnd)
	f.clock.Advance(end.Sub(f.clock.Now()) + time.Second)
	if o, err := f.store.Renew(ctx, org, f.clock.Now(), billing.Period{}); o != ddb.WentPastDue || err != nil {
		t.Fatalf("renewal: %s %v", o, err)
	}
	if got := as[subscriptionBody](t, f.must(t, 200, owner, "GET", sub, nil)); got.Status != "past_due" || got.GraceEndsAt == nil {
		t.Fatalf("after a short renewal: %+v", got)
	}

	t.Run("TopUpInGraceSettles", func(t *testing.T) {
		f.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": 2500})
		got := as[subscriptionBody](t, f.must(t, 200, owner, "GET", sub, nil))
		if got.Status != "active" || got.GraceEndsAt != nil || f.balance(t, org) != 500 {
			t.Fatalf("after the top-up: %+v, balance %d", got, f.balance(t, org))
		}
	})
	t.Run("GraceEndsOverLimit", func(t *testing.T) {
		got := as[subscriptionBody](t, f.must(t, 200, owner, "GET", sub, nil))
		end, _ := time.Parse(time.RFC3339, *got.CurrentPeriodEnd)
		f.clock.Advance(end.Sub(f.clock.Now()) + time.Second)
		if o, _ := f.store.Renew(ctx, org, f.clock.Now(), billing.Period{}); o != ddb.WentPastDue {
			t.Fatalf("renewal: %s", o)
		}
		f.clock.Advance(billing.Grace)
		if o, _ := f.store.Renew(ctx, org, f.clock.Now(), billing.Period{}); o != ddb.FellBack {
			t.Fatalf("after the grace: %s", o)
		}
		got = as[subscriptionBody](t, f.must(t, 200, owner, "GET", sub, nil))
		if got.Status != "over_limit" || got.Plan != "free" {
			t.Fatalf("after the grace: %+v", got)
		}
		r := f.must(t, 409, owner, "POST", projects, map[string]any{"name": "One more"})
		if p := as[violationsBody](t, r); p.Code != "over_limit" || len(p.Violations) != 1 || p.Violations[0].Usage != 5 {
			t.Fatalf("create while over the limit: %s", r.Raw)
		}
		list := f.must(t, 200, owner, "GET", projects, nil).Data(t)
		if len(list) != 5 {
			t.Fatalf("%d projects, want all 5 kept", len(list))
		}
		f.must(t, 200, owner, "PATCH", projects+"/"+list[0]["id"].(string), map[string]any{"description": "still editable"})
		f.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": 1})
		for _, p := range list[:2] {
			f.must(t, 204, owner, "DELETE", projects+"/"+p["id"].(string), nil)
		}
		got = as[subscriptionBody](t, f.must(t, 200, owner, "GET", sub, nil))
		if got.Status != "active" || len(got.Warnings) != 1 || got.Warnings[0].Resource != "projects" {
			t.Fatalf("back within free's limits: %+v", got)
		}
		if o := f.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t); len(o["warnings"].([]any)) != 1 {
			t.Fatalf("org warnings: %v", o["warnings"])
		}
	})
}

// TestSeatsCannotLeak: an invitation takes its seat when sent and a
// member keeps theirs while inactive, so accepting an invitation and
// reactivating a member never pass the seat limit; the org warns at 80 %.
func TestSeatsCannotLeak(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	invites := "/organizations/" + org + "/invitations"
	_, token := f.invite(t, owner, org, "seat1@example.com", "")
	for _, email := range []string{"seat2@example.com", "seat3@example.com", "seat4@example.com"} {
		f.must(t, 201, owner, "POST", invites, map[string]any{"email": email})
	}
	if r := f.must(t, 409, owner, "POST", invites, map[string]any{"email": "seat5@example.com"}); r.Code(t) != "quota_exceeded" {
		t.Fatalf("a sixth seat: %s", r.Raw)
	}
	f.must(t, 200, "seat1@example.com", "POST", "/invitations/"+token+"/accept", nil)
	member := "/organizations/" + org + "/members/" + userID("seat1@example.com")
	f.must(t, 200, owner, "PATCH", member, map[string]any{"status": "inactive"})
	if r := f.must(t, 409, owner, "POST", invites, map[string]any{"email": "seat5@example.com"}); r.Code(t) != "quota_exceeded" {
		t.Fatalf("an inactive member's seat was given away: %s", r.Raw)
	}
	f.must(t, 200, owner, "PATCH", member, map[string]any{"status": "active"})
	o := as[struct {
		Warnings []struct {
			Resource string `json:"resource"`
			Usage    int    `json:"usage"`
			Limit    int    `json:"limit"`
		} `json:"warnings"`
	}](t, f.must(t, 200, owner, "GET", "/organizations/"+org, nil))
	if len(o.Warnings) != 1 || o.Warnings[0].Resource != "members" || o.Warnings[0].Usage != 5 || o.Warnings[0].Limit != 5 {
		t.Fatalf("warnings %+v", o.Warnings)
	}
}
