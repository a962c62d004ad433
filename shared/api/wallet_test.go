package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/orgplane/orgplane/shared/credits"
)

// walletOrg creates an org whose wallet the create-wallet consumer opened.
func walletOrg(t *testing.T, f *flowEnv) string {
	t.Helper()
	org, _ := f.newOrg(t, owner, "Acme")
	f.deliver(t)
	return org
}

func (f *flowEnv) balance(t *testing.T, org string) int64 {
	t.Helper()
	w := f.must(t, 200, owner, "GET", "/organizations/"+org+"/wallet", nil).JSON(t)
	return int64(w["balance"].(float64))
}

// ledgerSum adds up every ledger entry's delta, paging through the list.
func (f *flowEnv) ledgerSum(t *testing.T, org string) (int64, int) {
	t.Helper()
	return f.env.ledgerSum(t, owner, org)
}

// ledgerSum is the sum of org's ledger deltas and their number, as email
// reads them.
func (e *env) ledgerSum(t *testing.T, email, org string) (int64, int) {
	t.Helper()
	var sum int64
	n := 0
	path := "/organizations/" + org + "/wallet/transactions?limit=7"
	for {
		r := e.must(t, 200, email, "GET", path, nil)
		var l struct {
			Data []struct {
				Delta int64 `json:"delta"`
			} `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		mustJSON(t, r.Raw, &l)
		for _, e := range l.Data {
			sum += e.Delta
			n++
		}
		if l.NextCursor == nil {
			return sum, n
		}
		path = "/organizations/" + org + "/wallet/transactions?limit=7&cursor=" + *l.NextCursor
	}
}

func TestWalletOpens(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	path := "/organizations/" + org + "/wallet"

	// Before the stream runs, the wallet is missing.
	if w := f.must(t, 200, owner, "GET", path, nil).JSON(t); w["status"] != "missing" || w["balance"] != 0.0 {
		t.Fatalf("before the stream: %v", w)
	}
	if o := f.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t); o["wallet_status"] != "missing" {
		t.Fatalf("org before the stream: %v", o["wallet_status"])
	}
	if r := f.call(t, owner, "POST", path+"/top-ups", map[string]any{"amount": 5}); r.Status != 409 {
		t.Fatalf("a top-up without a wallet: %d %s", r.Status, r.Raw)
	}
	f.deliver(t)
	w := f.must(t, 200, owner, "GET", path, nil)
	if j := w.JSON(t); j["status"] != "active" || j["balance"] != 0.0 || j["currency"] != "credits" || w.Header.Get("ETag") != `"1"` {
		t.Fatalf("after the stream: %v %v", j, w.Header.Get("ETag"))
	}
	if o := f.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t); o["wallet_status"] != "active" {
		t.Fatalf("org after the stream: %v", o["wallet_status"])
	}
	// POST returns the existing wallet; redelivering the stream changes nothing.
	f.must(t, 200, owner, "POST", path, nil)

	t.Run("OpenWhenMissing", func(t *testing.T) {
		other, _ := f.newOrg(t, owner, "Other") // its record is not delivered yet
		p := "/organizations/" + other + "/wallet"
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for range 5 {
			wg.Go(func() {
				s := f.call(t, owner, "POST", p, nil).Status
				mu.Lock()
				statuses[s]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[201] != 1 || statuses[200] != 4 {
			t.Fatalf("concurrent opens: %v, want one 201 and four 200", statuses)
		}
		f.must(t, 201, owner, "POST", p+"/top-ups", map[string]any{"amount": 10})
		f.deliver(t) // the late create-wallet record must not reset it
		if b := f.balance(t, other); b != 10 {
			t.Fatalf("balance %d after the late record, want 10", b)
		}
	})
}

func TestWalletTopUpAndCharge(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	path := "/organizations/" + org + "/wallet/"

	top := f.must(t, 201, owner, "POST", path+"top-ups", map[string]any{"amount": 100, "reference": "inv-2025-001"}).JSON(t)
	if top["type"] != "top_up" || top["amount"] != 100.0 || top["delta"] != 100.0 || top["reference"] != "inv-2025-001" || top["created_by"] != userID(owner) {
		t.Fatalf("top-up %v", top)
	}
	ch := f.must(t, 201, owner, "POST", path+"charges", map[string]any{"amount": 30, "description": "GPU hours"}).JSON(t)
	if ch["type"] != "charge" || ch["delta"] != -30.0 || ch["description"] != "GPU hours" {
		t.Fatalf("charge %v", ch)
	}
	if b := f.balance(t, org); b != 70 {
		t.Fatalf("balance %d, want 70", b)
	}
	r := f.call(t, owner, "POST", path+"charges", map[string]any{"amount": 71, "description": "too much"})
	if r.Status != 402 || r.Code(t) != "insufficient_credits" {
		t.Fatalf("overdraft: %d %s", r.Status, r.Raw)
	}
	f.must(t, 201, owner, "POST", path+"charges", map[string]any{"amount": 70, "description": "all of it"})
	list := f.must(t, 200, owner, "GET", path+"transactions", nil).Data(t)
	if len(list) != 3 || list[0]["description"] != "all of it" || list[1]["id"] != ch["id"] || list[2]["id"] != top["id"] {
		t.Fatalf("ledger (newest first) %v", list)
	}
	if b := f.balance(t, org); b != 0 {
		t.Fatalf("balance %d, want 0", b)
	}
}

// TestConcurrentCharges: ten charges of 10 against a balance of 45 —
// four land, the balance never goes negative and the ledger adds up.
func TestConcurrentCharges(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	path := "/organizations/" + org + "/wallet/"
	f.must(t, 201, owner, "POST", path+"top-ups", map[string]any{"amount": 45})

	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 10 {
		wg.Go(func() {
			r := f.call(t, owner, "POST", path+"charges", map[string]any{"amount": 10, "description": fmt.Sprintf("job %d", i)})
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[201] != 4 || statuses[402] != 6 {
		t.Fatalf("statuses %v, want four 201 and six 402", statuses)
	}
	b := f.balance(t, org)
	sum, n := f.ledgerSum(t, org)
	if b != 5 || sum != b || n != 5 {
		t.Fatalf("balance %d, ledger sum %d over %d entries; want 5, 5, 5", b, sum, n)
	}
}

func TestIdempotency(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	path := "/organizations/" + org + "/wallet/"
	f.must(t, 201, owner, "POST", path+"top-ups", map[string]any{"amount": 100})

	t.Run("SameKeySameBody", func(t *testing.T) {
		first := f.must(t, 201, owner, "POST", path+"charges", map[string]any{"amount": 25, "description": "seat"}, "Idempotency-Key", "k-1")
		again := f.must(t, 201, owner, "POST", path+"charges", `{ "description": "seat", "amount": 25 }`, "Idempotency-Key", "k-1")
		if first.Str(t, "id") != again.Str(t, "id") || again.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first %s\nagain %s (%v)", first.Raw, again.Raw, again.Header)
		}
		if b := f.balance(t, org); b != 75 {
			t.Fatalf("balance %d, want 75: the repeat moved money", b)
		}
	})
	t.Run("ErrSameKeyOtherBody", func(t *testing.T) {
		r := f.call(t, owner, "POST", path+"charges", map[string]any{"amount": 26, "description": "seat"}, "Idempotency-Key", "k-1")
		if r.Status != 409 || r.Code(t) != "idempotency_mismatch" {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		r = f.call(t, owner, "POST", path+"top-ups", map[string]any{"amount": 25}, "Idempotency-Key", "k-1")
		if r.Status != 409 || r.Code(t) != "idempotency_mismatch" {
			t.Fatalf("the key on another route: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("ConcurrentRepeats", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[string]int{}
		for range 10 {
			wg.Go(func() {
				r := f.call(t, owner, "POST", path+"top-ups", map[string]any{"amount": 5}, "Idempotency-Key", "k-2")
				if r.Status != 201 {
					t.Errorf("%d %s", r.Status, r.Raw)
					return
				}
				mu.Lock()
				ids[r.Str(t, "id")]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(ids) != 1 {
			t.Fatalf("ten repeats made entries %v, want one", ids)
		}
		if b := f.balance(t, org); b != 80 {
			t.Fatalf("balance %d, want 80", b)
		}
	})
	t.Run("FailedRequestsAreNotRemembered", func(t *testing.T) {
		if r := f.call(t, owner, "POST", path+"charges", map[string]any{"amount": 500, "description": "big"}, "Idempotency-Key", "k-3"); r.Status != 402 {
			t.Fatalf("%d", r.Status)
		}
		f.must(t, 201, owner, "POST", path+"top-ups", map[string]any{"amount": 500})
		f.must(t, 201, owner, "POST", path+"charges", map[string]any{"amount": 500, "description": "big"}, "Idempotency-Key", "k-3")
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		for _, k := range []string{strings.Repeat("k", 256), "tab\there", "ünïcode"} {
			if r := f.call(t, owner, "POST", path+"top-ups", map[string]any{"amount": 1}, "Idempotency-Key", k); r.Status != 400 {
				t.Errorf("key %q: %d %s", k, r.Status, r.Raw)
			}
		}
	})
	sum, _ := f.ledgerSum(t, org)
	if b := f.balance(t, org); sum != b {
		t.Fatalf("ledger sum %d, balance %d", sum, b)
	}
}

func TestWalletPermissions(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	const admin, member = "ada@example.com", "max@example.com"
	f.join(t, owner, org, admin, "admin")
	f.join(t, owner, org, member, "member")
	path := "/organizations/" + org + "/wallet"
	f.must(t, 201, owner, "POST", path+"/top-ups", map[string]any{"amount": 50})

	cases := []struct {
		name, who, method, path string
		body                    any
		want                    int
	}{
		{"AdminReads", admin, "GET", path, nil, 200},
		{"AdminLists", admin, "GET", path + "/transactions", nil, 200},
		{"AdminCharges", admin, "POST", path + "/charges", map[string]any{"amount": 5, "description": "x"}, 201},
		{"ErrAdminTopsUp", admin, "POST", path + "/top-ups", map[string]any{"amount": 5}, 403},
		{"ErrAdminOpens", admin, "POST", path, nil, 403},
		{"ErrMemberReads", member, "GET", path, nil, 403},
		{"ErrMemberCharges", member, "POST", path + "/charges", map[string]any{"amount": 5, "description": "x"}, 403},
		{"ErrNonMemberReads", eve, "GET", path, nil, 404},
		{"ErrNonMemberTopsUp", eve, "POST", path + "/top-ups", map[string]any{"amount": 5}, 404},
		{"ErrNonMemberLists", eve, "GET", path + "/transactions", nil, 404},
		{"ErrNoToken", "", "GET", path, nil, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := f.call(t, c.who, c.method, c.path, c.body); r.Status != c.want {
				t.Fatalf("got %d, want %d: %s", r.Status, c.want, r.Raw)
			}
		})
	}
	if b := f.balance(t, org); b != 45 {
		t.Fatalf("balance %d, want 45", b)
	}
}

func TestWalletBadInput(t *testing.T) {
	f := newFlowEnv(t)
	org := walletOrg(t, f)
	path := "/organizations/" + org + "/wallet/"
	for name, body := range map[string]string{
		"Float":         `{"amount": 1.5, "description": "x"}`,
		"WholeFloat":    `{"amount": 10.0, "description": "x"}`,
		"Exponent":      `{"amount": 1e3, "description": "x"}`,
		"String":        `{"amount": "10", "description": "x"}`,
		"Zero":          `{"amount": 0, "description": "x"}`,
		"Negative":      `{"amount": -5, "description": "x"}`,
		"TooBig":        `{"amount": 1000000000001, "description": "x"}`,
		"Overflow":      `{"amount": 99999999999999999999, "description": "x"}`,
		"Null":          `{"amount": null, "description": "x"}`,
		"Missing":       `{"description": "x"}`,
		"Bool":          `{"amount": true, "description": "x"}`,
		"NoDescription": `{"amount": 5}`,
		"BlankDesc":     `{"amount": 5, "description": "   "}`,
		"ServerField":   `{"amount": 5, "description": "x", "balance": 100}`,
	} {
		t.Run(name, func(t *testing.T) {
			if r := f.call(t, owner, "POST", path+"charges", body); r.Status != 400 {
				t.Fatalf("got %d: %s", r.Status, r.Raw)
			}
		})
	}
	for name, body := range map[string]string{
		"TopUpFloat":     `{"amount": 0.5}`,
		"TopUpReference": `{"amount": 5, "reference": ""}`,
		"TopUpUnknown":   `{"amount": 5, "currency": "usd"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if r := f.call(t, owner, "POST", path+"top-ups", body); r.Status != 400 {
				t.Fatalf("got %d: %s", r.Status, r.Raw)
			}
		})
	}
	if sum, n := f.ledgerSum(t, org); n != 0 || sum != 0 {
		t.Fatalf("bad input moved money: %d entries, sum %d", n, sum)
	}
	t.Run("ErrAboveMaxBalance", func(t *testing.T) {
		// The store takes any amount; fill the wallet to the ceiling there.
		if _, _, err := f.store.Post(context.Background(), org, nil, credits.Posting{Kind: credits.TopUp, Amount: credits.MaxBalance, CreatedBy: userID(owner)}, nil); err != nil {
			t.Fatal(err)
		}
		if r := f.call(t, owner, "POST", path+"top-ups", map[string]any{"amount": 1}); r.Status != 409 {
			t.Fatalf("a top-up above the ceiling: %d %s", r.Status, r.Raw)
		}
		if b := f.balance(t, org); b != credits.MaxBalance {
			t.Fatalf("balance %d", b)
		}
	})
}
