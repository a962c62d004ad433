package ddb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/apikeys"
)

// Rate limits are fixed windows counted in items of their own partition
// (RL#<key> / <policy>#<window start>): one conditional ADD per request,
// `n < quota`, so concurrent requests against room for L admit exactly L.
// A key with two policies (an AI agent's minute and day) counts both in
// one transaction, so a request refused by one is counted by neither.

// Window is one policy's count after a request: how many the window has
// left and when it resets.
type Window struct {
	Policy    apikeys.Policy
	Remaining int64
	Reset     time.Time
}

// RateLimited is a request refused by one or more of its policies.
type RateLimited struct {
	Violated []apikeys.Policy
	Windows  []Window
}

func (e *RateLimited) Error() string { return "ddb: rate limited" }

// windowFull: a request's window was full, as an action's failure.
type windowFull struct{ policy apikeys.Policy }

func (windowFull) Error() string { return "ddb: window full" }

// CountRequest counts one request of key k against each policy at now. It
// returns every window's state, or *RateLimited (with the windows as they
// stand) when any policy is exhausted, counting nothing then. One policy
// costs one UpdateItem; two cost a transaction and a read of the counts.
func (s *Store) CountRequest(ctx context.Context, k apikeys.Key, policies []apikeys.Policy, now time.Time) ([]Window, error) {
	keyID := k.ID
	windows := make([]Window, len(policies))
	count := func(i int) (map[string]types.AttributeValue, *update, cond) {
		p := policies[i]
		start := p.WindowStart(now)
		windows[i] = Window{Policy: p, Reset: start.Add(p.Window)}
		u := windowUpdate(k, i, start.Add(p.Window)).add(1, "n")
		room := absent("n").or(func(e *expr) string { return e.name("n") + " < " + e.value(num(p.Quota)) })
		return key(rateWindowPK(keyID), rateWindowSK(p.Name, start)), u, room
	}
	if len(policies) == 1 {
		var out struct {
			N int64 `dynamodbav:"n"`
		}
		k, u, room := count(0)
		err := s.updateItem(ctx, k, u, room, windowFull{policies[0]}, &out)
		if errors.As(err, new(windowFull)) {
			return windows, &RateLimited{Violated: policies, Windows: windows}
		}
		if err != nil {
			return windows, err
		}
		windows[0].Remaining = max(policies[0].Quota-out.N, 0)
		return windows, nil
	}
	t := s.txn()
	for i, p := range policies {
		k, u, room := count(i)
		t.update(k, u, room, windowFull{p})
	}
	failed, err := t.runAll(ctx)
	if len(failed) > 0 {
		limited := &RateLimited{Windows: windows}
		for _, f := range failed {
			var full windowFull
			if !errors.As(f, &full) {
				return windows, f
			}
			limited.Violated = append(limited.Violated, full.policy)
		}
		return windows, limited
	}
	if err != nil {
		return windows, err
	}
	return s.windowsAfter(ctx, keyID, windows)
}

// windowsAfter reads the windows' counts (eventually consistent: the
// remaining figures are advisory, the limit itself is exact).
func (s *Store) windowsAfter(ctx context.Context, keyID string, windows []Window) ([]Window, error) {
	keys := make([]map[string]types.AttributeValue, len(windows))
	for i, w := range windows {
		keys[i] = key(rateWindowPK(keyID), rateWindowSK(w.Policy.Name, w.Reset.Add(-w.Policy.Window)))
	}
	found, err := s.getMany(ctx, keys, false)
	if err != nil {
		return windows, err
	}
	for i, w := range windows {
		var c struct {
			N int64 `dynamodbav:"n"`
		}
		if ok, err := found.decode(keys[i], &c); ok && err == nil {
			windows[i].Remaining = max(w.Policy.Quota-c.N, 0)
		}
	}
	return windows, nil
}

// windowUpdate is the update of a key's window of its i-th policy ending
// at end. The first policy's window (every key's minute) is the key's
// metered window: it names the key's org and type, and the usage stream
// consumer counts admitted and refused requests from its changes alone,
// so an agent key's request, counted in two windows, is one request.
func windowUpdate(k apikeys.Key, i int, end time.Time) *update {
	u := newUpdate().setValue("type", TypeRateWindow).setValue("ttl", end.Add(time.Hour).Unix())
	if i == 0 {
		u.setValue("organization_id", k.OrganizationID).setValue("key_type", k.Type)
	}
	return u
}

// CountRefusal records, on the key's metered window, one request refused
// for its rate limits (429): the usage consumer's only source for them, one
// UpdateItem per refused request. The window's count of admitted requests
// is left as it is.
func (s *Store) CountRefusal(ctx context.Context, k apikeys.Key, policies []apikeys.Policy, now time.Time) error {
	if len(policies) == 0 {
		return nil
	}
	p := policies[0]
	start := p.WindowStart(now)
	return s.updateItem(ctx, key(rateWindowPK(k.ID), rateWindowSK(p.Name, start)),
		windowUpdate(k, 0, start.Add(p.Window)).add(1, "limited"), nil, nil, nil)
}
