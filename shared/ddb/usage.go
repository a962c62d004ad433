package ddb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/usage"
)

// Monthly usage (ORG#<org>#USAGE / <yyyy-mm>) is written only by the usage
// stream consumer, from the stream records of writes the product makes
// anyway. Each record is counted once: its event id (unique per stream
// record, the same on every redelivery) is put as a guard item in the same
// transaction as the counters' ADD, so a redelivered record cancels its
// transaction and adds nothing. The transaction also checks that the org
// is active, so the records of an org's purge never bring its usage back.

// ErrAlreadyCounted: a stream record's guard exists; it was counted before.
var ErrAlreadyCounted = errors.New("ddb: the stream record was counted before")

// CountedBefore is CountUsage's ErrAlreadyCounted: the stream records that
// were counted before. Nothing was added; the others may be sent again.
type CountedBefore struct{ EventIDs []string }

func (e *CountedBefore) Error() string {
	return fmt.Sprintf("ddb: %d of the stream records were counted before", len(e.EventIDs))
}

func (e *CountedBefore) Is(target error) bool { return target == ErrAlreadyCounted }

// guardTaken: the guard of the stream record exists.
type guardTaken struct{ eventID string }

func (guardTaken) Error() string { return "ddb: the stream record was counted before" }

// MaxUsageEvents is the most stream records CountUsage takes at once (a
// transaction holds 100 actions: the guards, the counters, the org check).
const MaxUsageEvents = 98

// usageGuardTTL outlives every redelivery: a stream keeps records 24
// hours, and the event source mapping gives up on older ones sooner.
const usageGuardTTL = 48 * time.Hour

// usageExpiry keeps a month a year and a month past its end: analytics
// reads at most twelve months back.
func usageExpiry(month string) (int64, error) {
	end, err := usage.MonthEnd(month)
	if err != nil {
		return 0, err
	}
	return end.AddDate(1, 1, 0).Unix(), nil
}

// The counters of a month item, by attribute.
var usageAttrs = []struct {
	attr string
	of   func(*usage.Counts) *int64
}{
	{"projects_created", func(c *usage.Counts) *int64 { return &c.ProjectsCreated }},
	{"projects_deleted", func(c *usage.Counts) *int64 { return &c.ProjectsDeleted }},
	{"members_joined", func(c *usage.Counts) *int64 { return &c.MembersJoined }},
	{"credits_spent", func(c *usage.Counts) *int64 { return &c.CreditsSpent }},
	{"requests_standard", func(c *usage.Counts) *int64 { return &c.StandardRequests }},
	{"requests_ai_agent", func(c *usage.Counts) *int64 { return &c.AgentRequests }},
	{"rejected_rate_limited", func(c *usage.Counts) *int64 { return &c.RateLimited }},
	{"rejected_invalid", func(c *usage.Counts) *int64 { return &c.Invalid }},
	{"rejected_budget", func(c *usage.Counts) *int64 { return &c.Budget }},
	{"active_api_keys", func(c *usage.Counts) *int64 { return &c.ActiveAPIKeys }},
}

// usageCounterAttrs are the counter attributes of a month item.
func usageCounterAttrs() []string {
	out := make([]string, len(usageAttrs))
	for i, a := range usageAttrs {
		out[i] = a.attr
	}
	return out
}

// monthUpdate adds c to a month item, creating it with its type and expiry.
func monthUpdate(orgID, month string, c usage.Counts) (*update, error) {
	ttl, err := usageExpiry(month)
	if err != nil {
		return nil, err
	}
	u := newUpdate().setValue("type", TypeUsageMonth).setValue("organization_id", orgID).
		setValue("month", month).setValue("ttl", ttl)
	for _, a := range usageAttrs {
		if v := *a.of(&c); v != 0 {
			u.add(v, a.attr)
		}
	}
	return u, nil
}

// CountUsage adds c to the org's month, once for the stream records
// eventIDs together: *CountedBefore (ErrAlreadyCounted) naming the ones
// counted before, when any was (nothing is added then: send the others
// again), ErrNotFound when the org is gone or being deleted.
func (s *Store) CountUsage(ctx context.Context, orgID, month string, eventIDs []string, c usage.Counts) error {
	if len(eventIDs) == 0 || len(eventIDs) > MaxUsageEvents {
		return fmt.Errorf("ddb: CountUsage takes 1 to %d stream records, not %d", MaxUsageEvents, len(eventIDs))
	}
	u, err := monthUpdate(orgID, month, c)
	if err != nil {
		return err
	}
	t := s.txn()
	expires := s.now().Add(usageGuardTTL).Unix()
	for _, id := range eventIDs {
		t.put(marshal(usageGuard{PK: usageGuardPK(id), SK: usageGuardSK, Type: TypeUsageGuard, TTL: expires}), notExists, guardTaken{id})
	}
	failed, err := t.update(key(usagePK(orgID), month), u, nil, nil).
		check(orgKey(orgID), orgActive, ErrNotFound).
		runAll(ctx)
	if len(failed) == 0 {
		return err
	}
	before := &CountedBefore{}
	for _, f := range failed {
		var g guardTaken
		if !errors.As(f, &g) {
			return f // the org is gone: nothing to count, whatever else
		}
		before.EventIDs = append(before.EventIDs, g.eventID)
	}
	return before
}

type usageGuard struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	TTL  int64  `dynamodbav:"ttl"`
}

// CountActiveKey counts keyID among the org's active keys of the month,
// once however often it is called: a mark item per key and month is put
// in the same transaction as the count. The mark is looked up first
// (eventually consistent: a stale miss only costs a transaction that
// fails its condition), so the many windows of a busy key cost one read
// each. ErrNotFound when the org is gone or being deleted.
func (s *Store) CountActiveKey(ctx context.Context, orgID, month, keyID string) error {
	mark := key(usagePK(orgID), activeKeySK(month, keyID))
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: mark, ProjectionExpression: aws.String("PK")})
	if err != nil || out.Item != nil {
		return err
	}
	u, err := monthUpdate(orgID, month, usage.Counts{ActiveAPIKeys: 1})
	if err != nil {
		return err
	}
	end, _ := usage.MonthEnd(month) // valid: monthUpdate parsed it
	it := key(usagePK(orgID), activeKeySK(month, keyID))
	it["type"] = str(TypeActiveKeyMark)
	it["ttl"] = num(end.Add(usageGuardTTL).Unix())
	err = s.txn().put(it, notExists, ErrAlreadyCounted).
		update(key(usagePK(orgID), month), u, nil, nil).
		check(orgKey(orgID), orgActive, ErrNotFound).
		run(ctx)
	if errors.Is(err, ErrAlreadyCounted) {
		return nil
	}
	return err
}

// UsageMonths reads the org's stored months from first to last ("2006-01",
// inclusive) in one Query, oldest first; months with nothing counted have
// no item.
func (s *Store) UsageMonths(ctx context.Context, orgID, first, last string) ([]usage.Usage, error) {
	q := inPartition(usagePK(orgID), "").sortBetween(first, last)
	q.consistent = false // counters trail the stream anyway
	p := dynamodb.NewQueryPaginator(s.DB, q.input(s.Table))
	var out []usage.Usage
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			u := usage.Usage{Month: item(it).str("SK")}
			for _, a := range usageAttrs {
				if v, ok := it[a.attr].(*types.AttributeValueMemberN); ok {
					n, err := strconv.ParseInt(v.Value, 10, 64)
					if err != nil {
						return nil, fmt.Errorf("ddb: usage %s %s: %w", u.Month, a.attr, err)
					}
					*a.of(&u.Counts) = n
				}
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// usageImage is what the usage rules read of a changed item; each item
// type fills its own fields.
type usageImage struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	OrgID     string `dynamodbav:"organization_id"`
	CreatedAt string `dynamodbav:"created_at"` // project, ledger entry
	JoinedAt  string `dynamodbav:"joined_at"`  // member
	Kind      string `dynamodbav:"kind"`       // ledger entry
	Amount    int64  `dynamodbav:"amount"`     // ledger entry
	KeyType   string `dynamodbav:"key_type"`   // metered rate window
	N         int64  `dynamodbav:"n"`          // rate window: admitted requests
	Limited   int64  `dynamodbav:"limited"`    // rate window: refused requests
	Refused   int64  `dynamodbav:"refused"`    // key spend: refused charges
}

// UsageChangeOf decodes what one stream record says about its org's usage:
// event is the record's event name, at its time, oldImg and newImg its
// images (nil when absent). ok is false for a record the counters do not follow.
// The item's org is the one its key names, never another.
func UsageChangeOf(event string, at time.Time, oldImg, newImg map[string]types.AttributeValue) (usage.Change, bool, error) {
	img := newImg
	if event == usage.Remove {
		img = oldImg
	}
	var r, before usageImage
	if err := attributevalue.UnmarshalMap(img, &r); err != nil {
		return usage.Change{}, false, fmt.Errorf("ddb: usage image: %w", err)
	}
	if oldImg != nil && event == usage.Modify {
		if err := attributevalue.UnmarshalMap(oldImg, &before); err != nil {
			return usage.Change{}, false, fmt.Errorf("ddb: usage old image: %w", err)
		}
	}
	c := usage.Change{Event: event, OrgID: r.OrgID, At: at.UTC()}
	var wantPK string
	switch r.Type {
	case TypeProject:
		c.Kind, wantPK = usage.Project, orgPK(r.OrgID)
		if event == usage.Insert {
			c.At = parseStamp(r.CreatedAt)
		}
	case TypeMember:
		c.Kind, wantPK, c.At = usage.Member, orgPK(r.OrgID), parseStamp(r.JoinedAt)
	case TypeLedgerEntry:
		if r.Kind != credits.Charge {
			return usage.Change{}, false, nil
		}
		c.Kind, wantPK, c.At, c.Charged = usage.LedgerEntry, ledgerPK(r.OrgID), parseStamp(r.CreatedAt), r.Amount
	case TypeRateWindow:
		if r.OrgID == "" {
			return usage.Change{}, false, nil // not the key's metered window
		}
		start, ok := rateWindowStart(r.SK)
		if !ok {
			return usage.Change{}, false, fmt.Errorf("ddb: rate window %q: no window start", r.SK)
		}
		c.Kind, c.At = usage.RateWindow, start
		c.KeyID, c.KeyType = strings.TrimPrefix(r.PK, rateWindowPK("")), r.KeyType
		c.Admitted, c.Refused = r.N-before.N, r.Limited-before.Limited
		if c.KeyType != apikeys.Standard && c.KeyType != apikeys.AIAgent {
			return usage.Change{}, false, fmt.Errorf("ddb: rate window of key %s: key type %q", c.KeyID, c.KeyType)
		}
		wantPK = rateWindowPK(c.KeyID)
	case TypeKeySpend:
		// ORG#<org> / KEYSPEND#<key>#<yyyy-mm-dd>
		c.Kind, c.OrgID = usage.KeySpend, strings.TrimPrefix(r.PK, orgPK(""))
		keyID, period, ok := keySpendOf(r.SK)
		if !ok {
			return usage.Change{}, false, fmt.Errorf("ddb: key spend %q: no period", r.SK)
		}
		c.KeyID, c.At, c.Refused = keyID, period, r.Refused-before.Refused
		wantPK = r.PK
	default:
		return usage.Change{}, false, nil
	}
	if !ids.Valid(ids.Organization, c.OrgID) || r.PK != wantPK {
		return usage.Change{}, false, fmt.Errorf("ddb: %s item %s/%s: not an item of org %q", r.Type, r.PK, r.SK, c.OrgID)
	}
	if c.At.IsZero() {
		return usage.Change{}, false, fmt.Errorf("ddb: %s item %s/%s: no time", r.Type, r.PK, r.SK)
	}
	return c, true, nil
}
