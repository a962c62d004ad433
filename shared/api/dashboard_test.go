package api_test

import (
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/ddbtest"
)

type dashboardBody struct {
	Organization struct {
		ID   string `json:"id"`
		Plan string `json:"plan"`
	} `json:"organization"`
	Counts struct {
		Members struct {
			Used  int
			Limit *int
		} `json:"members"`
		Projects struct {
			Used  int
			Limit *int
		} `json:"projects"`
		APIKeys struct {
			Used  int
			Limit *int
		} `json:"api_keys"`
		Apps struct {
			Used  int
			Limit *int
		} `json:"apps"`
	} `json:"counts"`
	Warnings []struct {
		Code     string  `json:"code"`
		Resource *string `json:"resource"`
	} `json:"warnings"`
	RecentActivity []struct {
		ID string `json:"id"`
	} `json:"recent_activity"`
	RunningApps struct {
		Count int `json:"count"`
		Data  []struct {
			ID string `json:"id"`
		} `json:"data"`
	} `json:"running_apps"`
	Wallet *struct {
		Balance int64 `json:"balance"`
	} `json:"wallet"`
	Subscription *struct {
		Plan string `json:"plan"`
	} `json:"subscription"`
}

func (d dashboardBody) warned(code, resource string) bool {
	for _, w := range d.Warnings {
		if w.Code == code && (resource == "" || (w.Resource != nil && *w.Resource == resource)) {
			return true
		}
	}
	return false
}

// TestDashboard: one request answers what the lists answer, its reads go
// out in parallel, and a role sees only what it may read.
func TestDashboard(t *testing.T) {
	faults := &ddbtest.Faults{}
	e := newFaultEnv(t, faults)
	const owner, mate = "owner@dash.test", "mate@dash.test"
	org, _ := e.newOrg(t, owner, "Dash")
	o := "/organizations/" + org
	for _, name := range []string{"A", "B", "C"} {
		e.must(t, 201, owner, "POST", o+"/projects", map[string]any{"name": name})
	}
	e.createKey(t, owner, org, map[string]any{"name": "CI", "permissions": []string{"organization:read"}})
	e.must(t, 201, owner, "POST", o+"/wallet", nil)
	e.must(t, 201, owner, "POST", o+"/wallet/top-ups", map[string]any{"amount": 40})
	app := e.installChat(t, owner, org, nil).Str(t, "id")
	e.addMember(t, org, mate, "member")

	e.calls.Reset()
	d := as[dashboardBody](t, e.must(t, 200, owner, "GET", o+"/dashboard", nil))
	calls := e.calls.Total()

	t.Run("MatchesTheLists", func(t *testing.T) {
		orgBody := e.must(t, 200, owner, "GET", o, nil).JSON(t)
		if d.Organization.ID != org || d.Counts.Projects.Used != 3 || d.Counts.APIKeys.Used != 1 || d.Counts.Apps.Used != 1 ||
			float64(d.Counts.Members.Used) != orgBody["member_count"].(float64)+orgBody["pending_invitation_count"].(float64) {
			t.Errorf("counts %+v, org %v", d.Counts, orgBody)
		}
		activity := e.must(t, 200, owner, "GET", o+"/activity?limit=5", nil).Data(t)
		if len(d.RecentActivity) != 5 {
			t.Fatalf("recent activity: %d events, want 5", len(d.RecentActivity))
		}
		for i, ev := range activity {
			if d.RecentActivity[i].ID != ev["id"] {
				t.Errorf("recent activity[%d] = %s, the log's = %v", i, d.RecentActivity[i].ID, ev["id"])
			}
		}
		if d.RunningApps.Count != 1 || d.RunningApps.Data[0].ID != app {
			t.Errorf("running apps %+v", d.RunningApps)
		}
		if d.Wallet == nil || d.Wallet.Balance != 40 || d.Subscription == nil || d.Subscription.Plan != "free" {
			t.Errorf("wallet %+v, subscription %+v", d.Wallet, d.Subscription)
		}
	})
	t.Run("Warnings", func(t *testing.T) {
		if !d.warned("quota_reached", "projects") {
			t.Errorf("all projects used but no quota_reached warning: %+v", d.Warnings)
		}
	})
	t.Run("OneRequestParallelReads", func(t *testing.T) {
		// Admission, then the wallet, subscription, activity and apps.
		if calls > 6 {
			t.Errorf("the dashboard made %d DynamoDB calls, want at most 6: %v", calls, e.calls.Counts())
		}
		for _, op := range []string{"GetItem", "Query", "BatchGetItem"} {
			faults.Before(op, func() { time.Sleep(40 * time.Millisecond) })
		}
		e.must(t, 200, owner, "GET", o+"/dashboard", nil) // admission, before the parallel part
		e.calls.Reset()
		e.must(t, 200, owner, "GET", o+"/dashboard", nil)
		if got := e.calls.MostAtOnce(); got < 2 {
			t.Errorf("at most %d DynamoDB calls were under way at once: the dashboard's reads are not parallel", got)
		}
	})
	t.Run("RoleSeesWhatItMayRead", func(t *testing.T) {
		m := as[dashboardBody](t, e.must(t, 200, mate, "GET", o+"/dashboard", nil))
		if m.Wallet != nil || m.Subscription != nil || m.warned("wallet_missing", "") || m.warned("low_balance", "") {
			t.Errorf("a member without billing:read sees wallet %+v, subscription %+v, warnings %+v", m.Wallet, m.Subscription, m.Warnings)
		}
		if len(m.RecentActivity) != 5 || m.RunningApps.Count != 1 {
			t.Errorf("a member sees %d events, %d apps", len(m.RecentActivity), m.RunningApps.Count)
		}
	})
}

// TestNotifications: choices are the member's own, an owner cannot mute
// billing or security, and billing mail honours them.
func TestNotifications(t *testing.T) {
	e := newEnv(t)
	const owner, mate = "owner@notify.test", "mate@notify.test"
	org, _ := e.newOrg(t, owner, "Notify")
	e.addMember(t, org, mate, "member")
	path := "/organizations/" + org + "/members/me/notifications"
	type body struct {
		Email  map[string]bool `json:"email"`
		Locked []string        `json:"locked"`
	}

	t.Run("DefaultsOn", func(t *testing.T) {
		got := as[body](t, e.must(t, 200, mate, "GET", path, nil))
		if len(got.Email) != 5 || !got.Email["billing"] || !got.Email["app_status"] || len(got.Locked) != 0 {
			t.Errorf("a member's defaults: %+v", got)
		}
	})
	t.Run("SetIsPerMember", func(t *testing.T) {
		got := as[body](t, e.must(t, 200, mate, "PUT", path, map[string]any{"email": map[string]any{"app_status": false, "billing": false}}))
		if got.Email["app_status"] || got.Email["billing"] || !got.Email["security"] {
			t.Errorf("after muting: %+v", got)
		}
		if o := as[body](t, e.must(t, 200, owner, "GET", path, nil)); !o.Email["app_status"] {
			t.Errorf("the owner's choices moved with the member's: %+v", o)
		}
	})
	t.Run("ErrOwnerMutesBilling", func(t *testing.T) {
		for _, cat := range []string{"billing", "security"} {
			r := e.call(t, owner, "PUT", path, map[string]any{"email": map[string]any{cat: false}})
			if r.Status != 400 {
				t.Errorf("an owner muting %s → %d, want 400", cat, r.Status)
			}
		}
		got := as[body](t, e.must(t, 200, owner, "PUT", path, map[string]any{"email": map[string]any{"low_balance": false}}))
		if got.Email["low_balance"] || !got.Email["billing"] || len(got.Locked) != 2 {
			t.Errorf("an owner's choices: %+v", got)
		}
	})
	t.Run("ErrBadBody", func(t *testing.T) {
		for _, b := range []any{map[string]any{}, map[string]any{"email": map[string]any{"sms": true}},
			map[string]any{"email": map[string]any{"billing": "no"}}, map[string]any{"email": map[string]any{"billing": nil}}} {
			if r := e.call(t, mate, "PUT", path, b); r.Status != 400 {
				t.Errorf("PUT %v → %d, want 400", b, r.Status)
			}
		}
	})
	t.Run("ErrStaleIfMatch", func(t *testing.T) {
		if r := e.call(t, mate, "PUT", path, map[string]any{"email": map[string]any{}}, "If-Match", `"1"`); r.Status != 412 {
			t.Errorf("a stale If-Match → %d, want 412", r.Status)
		}
	})
	t.Run("ErrAPIKey", func(t *testing.T) {
		k := e.createKey(t, owner, org, map[string]any{"name": "K", "permissions": []string{"organization:read"}})
		if r := e.call(t, "", "GET", path, nil, bearer(k.Secret)...); r.Status != 403 {
			t.Errorf("an API key reading notifications → %d, want 403", r.Status)
		}
	})
}

// TestBillingDetails: Stripe's fields, validated, and billing:manage to
// change them.
func TestBillingDetails(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@bill.test"
	org, _ := e.newOrg(t, owner, "Bill")
	o := "/organizations/" + org
	details := map[string]any{"email": "ap@bill.test", "company_name": "Bill GmbH",
		"address": map[string]any{"line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"},
		"tax_id":  map[string]any{"type": "eu_vat", "value": "DE123456789"}}

	t.Run("OK", func(t *testing.T) {
		got := e.must(t, 200, owner, "PATCH", o, map[string]any{"billing": details}).JSON(t)
		b := got["billing"].(map[string]any)
		if b["email"] != "ap@bill.test" || got["billing_email"] != "ap@bill.test" || b["company_name"] != "Bill GmbH" ||
			b["address"].(map[string]any)["country"] != "DE" || b["tax_id"].(map[string]any)["value"] != "DE123456789" {
			t.Errorf("billing = %v", b)
		}
		if again := e.must(t, 200, owner, "GET", o, nil).JSON(t)["billing"]; again.(map[string]any)["company_name"] != "Bill GmbH" {
			t.Errorf("read back: %v", again)
		}
	})
	t.Run("NullClears", func(t *testing.T) {
		b := e.must(t, 200, owner, "PATCH", o, map[string]any{"billing": nil}).JSON(t)["billing"].(map[string]any)
		if b["address"] != nil || b["tax_id"] != nil || b["company_name"] != nil {
			t.Errorf("after null: %v", b)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		bad := []map[string]any{
			{"address": map[string]any{"line1": "x", "country": "XX"}},
			{"address": map[string]any{"line1": "x", "country": "de"}},
			{"address": map[string]any{"city": "Berlin"}},
			{"tax_id": map[string]any{"type": "vat", "value": "1"}},
			{"tax_id": map[string]any{"type": "eu_vat"}},
			{"email": "not-an-email"},
		}
		for _, b := range bad {
			if r := e.call(t, owner, "PATCH", o, map[string]any{"billing": b}); r.Status != 400 {
				t.Errorf("billing %v → %d, want 400", b, r.Status)
			}
		}
		if r := e.call(t, owner, "PATCH", o, map[string]any{"billing": map[string]any{"email": "a@b.test"}, "billing_email": "c@d.test"}); r.Status != 400 {
			t.Errorf("billing.email and billing_email together → %d, want 400", r.Status)
		}
	})
	t.Run("ErrVersionConflict", func(t *testing.T) {
		if r := e.call(t, owner, "PATCH", o, map[string]any{"billing": details}, "If-Match", `"1"`); r.Status != 412 {
			t.Errorf("a stale If-Match → %d, want 412", r.Status)
		}
	})
}
