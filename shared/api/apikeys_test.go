package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgplane/orgplane/shared/testkit"
)

type keyBody struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	Prefix         string   `json:"prefix"`
	LastFour       string   `json:"last_four"`
	ProjectID      *string  `json:"project_id"`
	Permissions    []string `json:"permissions"`
	Status         string   `json:"status"`
	LastUsedAt     *string  `json:"last_used_at"`
	GraceExpiresAt *string  `json:"grace_expires_at"`
	Secret         string   `json:"secret"`
}

func keysPath(org string) string { return "/organizations/" + org + "/api-keys" }

// bearer is the header pair that authenticates with an API key secret.
func bearer(secret string) []string { return []string{"Authorization", "Bearer " + secret} }

func (e *env) createKey(t *testing.T, actor, org string, body map[string]any) keyBody {
	t.Helper()
	return as[keyBody](t, e.must(t, 201, actor, "POST", keysPath(org), body))
}

// TestAPIKeyLifecycle: create (secret once), use, list without the
// secret, narrow, revoke (refused on the very next request).
func TestAPIKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@keys.test"
	org, _ := e.newOrg(t, owner, "Keys")
	k := e.createKey(t, owner, org, map[string]any{"name": "CI", "permissions": []string{"organization:read", "projects:read", "projects:create"}})
	if !regexp.MustCompile(`^opk_[0-9A-Za-z]{36}$`).MatchString(k.Secret) || k.Prefix != k.Secret[:8] || k.LastFour != k.Secret[len(k.Secret)-4:] || k.Status != "active" {
		t.Fatalf("created %+v", k)
	}
	r := e.must(t, 201, "", "POST", "/organizations/"+org+"/projects", map[string]any{"name": "By key"}, bearer(k.Secret)...)
	if r.Str(t, "created_by") != k.ID {
		t.Errorf("project created_by %q, want the key %s", r.Str(t, "created_by"), k.ID)
	}
	if r.Header.Get("RateLimit-Policy") != `"minute";q=60;w=60` || !strings.HasPrefix(r.Header.Get("RateLimit"), `"minute";r=`) {
		t.Errorf("rate limit fields %q / %q", r.Header.Get("RateLimit-Policy"), r.Header.Get("RateLimit"))
	}
	listed := as[struct{ Data []keyBody }](t, e.must(t, 200, owner, "GET", keysPath(org), nil)).Data
	if len(listed) != 1 || listed[0].Secret != "" || listed[0].LastUsedAt == nil || strings.Contains(string(e.must(t, 200, owner, "GET", keysPath(org), nil).Raw), k.Secret) {
		t.Fatalf("list %+v", listed)
	}
	e.must(t, 403, "", "POST", "/organizations/"+org+"/api-keys", map[string]any{"name": "x", "permissions": []string{}}, bearer(k.Secret)...)
	e.must(t, 403, "", "GET", "/me", nil, bearer(k.Secret)...)
	e.must(t, 200, "", "GET", "/permissions", nil, bearer(k.Secret)...)

	e.must(t, 400, owner, "PATCH", keysPath(org)+"/"+k.ID, map[string]any{"permissions": []string{"organization:read", "members:read"}})
	e.must(t, 200, owner, "PATCH", keysPath(org)+"/"+k.ID, map[string]any{"permissions": []string{"organization:read", "projects:read"}})
	if r := e.call(t, "", "POST", "/organizations/"+org+"/projects", map[string]any{"name": "No more"}, bearer(k.Secret)...); r.Status != 403 || r.Code(t) != "insufficient_scope" {
		t.Fatalf("after narrowing: %d %s", r.Status, r.Raw)
	}

	e.must(t, 204, owner, "DELETE", keysPath(org)+"/"+k.ID, map[string]any{"reason": "leaked"})
	if r := e.call(t, "", "GET", "/organizations/"+org, nil, bearer(k.Secret)...); r.Status != 401 || r.Code(t) != "api_key_revoked" {
		t.Fatalf("the next request after revoking: %d %s", r.Status, r.Raw)
	}
	e.must(t, 204, owner, "DELETE", keysPath(org)+"/"+k.ID, nil) // idempotent
	if got := as[keyBody](t, e.must(t, 200, owner, "GET", keysPath(org)+"/"+k.ID, nil)); got.Status != "revoked" {
		t.Fatalf("after revoking: %+v", got)
	}
}

// TestTamperedKeyCostsNothing: a malformed key or a bad checksum is 401
// api_key_invalid with no DynamoDB call at all.
func TestTamperedKeyCostsNothing(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@tamper.test"
	org, _ := e.newOrg(t, owner, "Tamper")
	k := e.createKey(t, owner, org, map[string]any{"name": "K", "permissions": []string{"organization:read"}})
	flip := func(s string, i int) string {
		c := byte('a')
		if s[i] == 'a' {
			c = 'b'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	for name, secret := range map[string]string{
		"Checksum": flip(k.Secret, len(k.Secret)-1), "Body": flip(k.Secret, 10), "Short": k.Secret[:20], "Symbol": "opk_" + strings.Repeat("!", 36),
	} {
		t.Run(name, func(t *testing.T) {
			e.calls.Reset()
			r := e.call(t, "", "GET", "/organizations/"+org, nil, bearer(secret)...)
			if r.Status != 401 || r.Code(t) != "api_key_invalid" || e.calls.Total() != 0 {
				t.Fatalf("%d %s after %d DynamoDB calls", r.Status, r.Raw, e.calls.Total())
			}
		})
	}
	t.Run("Unknown", func(t *testing.T) {
		other := e.createKey(t, owner, org, map[string]any{"name": "Gone", "permissions": []string{}})
		e.must(t, 204, owner, "DELETE", keysPath(org)+"/"+other.ID, nil)
		// A well-formed secret nobody holds.
		if r := e.call(t, "", "GET", "/organizations/"+org, nil, bearer(flip(other.Secret[:len(other.Secret)-6], 8)+other.Secret[len(other.Secret)-6:])...); r.Status != 401 || r.Code(t) != "api_key_invalid" {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
	})
}

// TestKeyScope: a key acts in its own org only, a project key on its own
// project only; both get the 404 a stranger gets elsewhere.
func TestKeyScope(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@scope.test"
	a, _ := e.newOrg(t, owner, "A")
	b, _ := e.newOrg(t, owner, "B")
	p1 := e.must(t, 201, owner, "POST", "/organizations/"+a+"/projects", map[string]any{"name": "P1"}).Str(t, "id")
	p2 := e.must(t, 201, owner, "POST", "/organizations/"+a+"/projects", map[string]any{"name": "P2"}).Str(t, "id")
	orgKey := e.createKey(t, owner, a, map[string]any{"name": "Org", "permissions": []string{"organization:read", "projects:read"}})
	prjKey := e.createKey(t, owner, a, map[string]any{"name": "Project", "project_id": p1, "permissions": []string{"projects:read", "projects:manage"}})

	e.must(t, 200, "", "GET", "/organizations/"+a, nil, bearer(orgKey.Secret)...)
	e.must(t, 404, "", "GET", "/organizations/"+b, nil, bearer(orgKey.Secret)...)
	e.must(t, 200, "", "GET", "/organizations/"+a+"/projects/"+p1, nil, bearer(prjKey.Secret)...)
	e.must(t, 200, "", "PATCH", "/organizations/"+a+"/projects/"+p1, map[string]any{"description": "by key"}, bearer(prjKey.Secret)...)
	e.must(t, 404, "", "GET", "/organizations/"+a+"/projects/"+p2, nil, bearer(prjKey.Secret)...)
	e.must(t, 404, "", "GET", "/organizations/"+a+"/projects", nil, bearer(prjKey.Secret)...)
	e.must(t, 404, "", "GET", "/organizations/"+a, nil, bearer(prjKey.Secret)...)
	e.must(t, 404, "", "GET", "/organizations/"+b+"/projects/"+p1, nil, bearer(prjKey.Secret)...)
	if got := e.must(t, 200, owner, "GET", "/organizations/"+a+"/projects?has_api_keys=true", nil).Data(t); len(got) != 1 || got[0]["id"] != p1 {
		t.Fatalf("has_api_keys=true lists %v", got)
	}
	e.must(t, 400, owner, "POST", keysPath(b), map[string]any{"name": "X", "project_id": p1, "permissions": []string{}})

	// The project goes; revoking its key still works and writes no stub.
	e.must(t, 204, owner, "DELETE", "/organizations/"+a+"/projects/"+p1, nil)
	e.must(t, 204, owner, "DELETE", keysPath(a)+"/"+prjKey.ID, nil)
	e.must(t, 404, owner, "GET", "/organizations/"+a+"/projects/"+p1, nil)
	if n := len(e.must(t, 200, owner, "GET", "/organizations/"+a+"/projects", nil).Data(t)); n != 1 {
		t.Fatalf("%d projects listed after the delete, want 1", n)
	}
}

// TestKeyNeverHoldsMoreThanItsCreator: 403 permission_not_held, and an
// AI agent key's ceiling, expiry and agent fields.
func TestKeyNeverHoldsMoreThanItsCreator(t *testing.T) {
	e := newEnv(t)
	const owner, admin = "owner@ceiling.test", "admin@ceiling.test"
	org, _ := e.newOrg(t, owner, "Ceiling")
	e.addMember(t, org, admin, "admin")
	r := e.call(t, admin, "POST", keysPath(org), map[string]any{"name": "Biller", "permissions": []string{"billing:read", "billing:manage"}})
	if r.Status != 403 || r.Code(t) != "permission_not_held" || !strings.Contains(string(r.Raw), `"unheld_permissions":["billing:manage"]`) {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	agent := map[string]any{"name": "Helper", "vendor": "Example AI"}
	for name, body := range map[string]map[string]any{
		"AgentManagesKeys": {"name": "A", "type": "ai_agent", "agent": agent, "permissions": []string{"api_keys:manage"}},
		"AgentNoAgent":     {"name": "A", "type": "ai_agent", "permissions": []string{}},
		"AgentTooLong":     {"name": "A", "type": "ai_agent", "agent": agent, "permissions": []string{}, "expires_at": time.Now().Add(91 * 24 * time.Hour).Format(time.RFC3339)},
		"StandardBudget":   {"name": "A", "permissions": []string{}, "credit_budget": map[string]any{"amount": 5, "period": "day"}},
		"PastExpiry":       {"name": "A", "permissions": []string{}, "expires_at": "2020-01-01T00:00:00Z"},
	} {
		t.Run(name, func(t *testing.T) { e.must(t, 400, owner, "POST", keysPath(org), body) })
	}
	k := e.createKey(t, owner, org, map[string]any{"name": "Agent", "type": "ai_agent", "agent": agent, "permissions": []string{"organization:read"}})
	if !strings.HasPrefix(k.Secret, "opa_") {
		t.Fatalf("agent secret %q", k.Secret)
	}
	got := e.must(t, 200, "", "GET", "/organizations/"+org, nil, bearer(k.Secret)...)
	if got.Header.Get("RateLimit-Policy") != `"minute";q=12;w=60, "day";q=2000;w=86400` {
		t.Errorf("agent policies %q", got.Header.Get("RateLimit-Policy"))
	}
	e.must(t, 403, "", "POST", rolesPath(org), map[string]any{"name": "R", "level": 20, "permissions": []string{}}, bearer(k.Secret)...)
	e.must(t, 403, "", "POST", keysPath(org), map[string]any{"name": "K", "permissions": []string{}}, bearer(k.Secret)...)
}

// TestAgentBudgetUnderConcurrency: 12 concurrent charges of 10 (the free
// plan's per-minute quota for an agent key) with a budget of 55 a day:
// exactly 5 land, the rest are 402 agent_budget_exceeded, and the ledger
// holds exactly those five.
func TestAgentBudgetUnderConcurrency(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	f.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": 1000})
	k := f.createKey(t, owner, org, map[string]any{"name": "Spender", "type": "ai_agent", "agent": map[string]any{"name": "Bot"},
		"permissions": []string{"credits:spend"}, "credit_budget": map[string]any{"amount": 55, "period": "day"}})
	var wg sync.WaitGroup
	statuses := make([]int, 12)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = f.call(t, "", "POST", "/organizations/"+org+"/wallet/charges", map[string]any{"amount": 10, "description": "work"}, bearer(k.Secret)...).Status
		})
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, s := range statuses {
		switch s {
		case 201:
			ok++
		case 402:
			refused++
		default:
			t.Errorf("status %d", s)
		}
	}
	if ok != 5 || refused != 7 || f.balance(t, org) != 950 {
		t.Fatalf("%d charged, %d refused, balance %d; want 5, 7, 950 (statuses %v)", ok, refused, f.balance(t, org), statuses)
	}
	if sum, n := f.ledgerSum(t, org); sum != 950 || n != 6 {
		t.Fatalf("ledger sums to %d over %d entries", sum, n)
	}
}

// TestRateLimitIsExact: 50 concurrent requests with an AI agent key (12 a
// minute on the free plan) admit exactly 12; the rest are 429 with
// RFC 8941 fields, Retry-After and violated_policies.
func TestRateLimitIsExact(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 11, 29, 12, 0, 5, 0, time.UTC))
	e := newEnvAt(t, clock.Now)
	const owner = "owner@limit.test"
	org, _ := e.newOrg(t, owner, "Limit")
	k := e.createKey(t, owner, org, map[string]any{"name": "Bot", "type": "ai_agent", "agent": map[string]any{"name": "Bot"},
		"permissions": []string{"organization:read"}})
	var wg sync.WaitGroup
	res := make([]resp, 50)
	for i := range res {
		wg.Go(func() { res[i] = e.call(t, "", "GET", "/organizations/"+org, nil, bearer(k.Secret)...) })
	}
	wg.Wait()
	item := regexp.MustCompile(`^"(minute|day)";r=(\d+);t=(\d+)$`)
	admitted := 0
	for _, r := range res {
		for _, part := range strings.Split(r.Header.Get("RateLimit"), ", ") {
			if !item.MatchString(part) {
				t.Fatalf("RateLimit %q is not an RFC 8941 list of policy items", r.Header.Get("RateLimit"))
			}
		}
		switch r.Status {
		case 200:
			admitted++
		case 429:
			body := as[struct {
				Code     string   `json:"code"`
				Violated []string `json:"violated_policies"`
			}](t, r)
			secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if body.Code != "rate_limited" || !slices.Equal(body.Violated, []string{"minute"}) || err != nil || secs < 1 || secs > 55 {
				t.Fatalf("429: %s Retry-After %q", r.Raw, r.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("status %d %s", r.Status, r.Raw)
		}
	}
	if admitted != 12 {
		t.Fatalf("%d requests admitted against a quota of 12", admitted)
	}
	clock.Advance(time.Minute) // a new window
	e.must(t, 200, "", "GET", "/organizations/"+org, nil, bearer(k.Secret)...)
}

// TestRotationGrace: the old secret works until grace end and not a
// second after; the new one works throughout.
func TestRotationGrace(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvAt(t, clock.Now)
	const owner = "owner@rotate.test"
	org, _ := e.newOrg(t, owner, "Rotate")
	k := e.createKey(t, owner, org, map[string]any{"name": "Rolling", "permissions": []string{"organization:read"}})
	next := as[keyBody](t, e.must(t, 200, owner, "POST", keysPath(org)+"/"+k.ID+"/rotate", map[string]any{"grace_period_seconds": 3600}))
	if next.ID != k.ID || next.Secret == k.Secret || next.GraceExpiresAt == nil || next.Status != "rotating" {
		t.Fatalf("rotated %+v", next)
	}
	clock.Advance(time.Hour - time.Second)
	e.must(t, 200, "", "GET", "/organizations/"+org, nil, bearer(k.Secret)...)
	clock.Advance(2 * time.Second)
	if r := e.call(t, "", "GET", "/organizations/"+org, nil, bearer(k.Secret)...); r.Status != 401 || r.Code(t) != "api_key_expired" {
		t.Fatalf("old secret after grace: %d %s", r.Status, r.Raw)
	}
	e.must(t, 200, "", "GET", "/organizations/"+org, nil, bearer(next.Secret)...)
	now := as[keyBody](t, e.must(t, 200, owner, "POST", keysPath(org)+"/"+k.ID+"/rotate", map[string]any{"grace_period_seconds": 0}))
	if r := e.call(t, "", "GET", "/organizations/"+org, nil, bearer(next.Secret)...); r.Status != 401 {
		t.Fatalf("a secret rotated with no grace still works: %d", r.Status)
	}
	e.must(t, 200, "", "GET", "/organizations/"+org, nil, bearer(now.Secret)...)
}

// TestNoSecretInTheTable: after creating, using and rotating keys, no
// issued secret appears anywhere in the table.
func TestNoSecretInTheTable(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@dump.test"
	org, _ := e.newOrg(t, owner, "Dump")
	var secrets []string
	for i := range 3 {
		k := e.createKey(t, owner, org, map[string]any{"name": fmt.Sprintf("K%d", i), "permissions": []string{"organization:read"}})
		e.must(t, 200, "", "GET", "/organizations/"+org, nil, bearer(k.Secret)...)
		r := as[keyBody](t, e.must(t, 200, owner, "POST", keysPath(org)+"/"+k.ID+"/rotate", nil))
		secrets = append(secrets, k.Secret, r.Secret)
	}
	out, err := e.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: &e.store.Table})
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &rows); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(rows)
	dump := string(raw)
	for _, s := range secrets {
		if strings.Contains(dump, s) || strings.Contains(dump, s[4:]) {
			t.Fatalf("the table holds an issued secret")
		}
	}
	if len(out.Items) == 0 {
		t.Fatal("empty dump")
	}
}
