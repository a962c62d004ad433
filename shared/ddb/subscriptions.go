package ddb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/plans"
)

// Subscriptions. An org that never subscribed has no subscription item and
// is on free. Every change of plan is one transaction holding the
// subscription (conditioned on the version read), the org item's plan and
// limits (so quota conditions see the new limits at once) and, when money
// moves, the wallet's update and its ledger entry. While a renewal is due
// the item sits on GSI2 under the day it is due, so the renewal job finds
// due subscriptions by Query, never by Scan.

type subscriptionRecord struct {
	PK            string `dynamodbav:"PK"`
	SK            string `dynamodbav:"SK"`
	GSI2PK        string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK        string `dynamodbav:"GSI2SK,omitempty"`
	Type          string `dynamodbav:"type"`
	OrgID         string `dynamodbav:"organization_id"`
	Plan          string `dynamodbav:"plan"`
	Status        string `dynamodbav:"status"`
	PeriodStart   string `dynamodbav:"current_period_start,omitempty"`
	PeriodEnd     string `dynamodbav:"current_period_end,omitempty"`
	PendingPlan   string `dynamodbav:"pending_plan,omitempty"`
	PendingPlanAt string `dynamodbav:"pending_plan_at,omitempty"`
	GraceEndsAt   string `dynamodbav:"grace_ends_at,omitempty"`
	LastChargeID  string `dynamodbav:"last_charge_id,omitempty"`
	UpdatedAt     string `dynamodbav:"updated_at"`
	Version       int64  `dynamodbav:"version"`
}

func newSubscriptionRecord(sub billing.Subscription, now time.Time) subscriptionRecord {
	r := subscriptionRecord{PK: orgPK(sub.OrganizationID), SK: subscriptionSK, Type: TypeSubscription,
		OrgID: sub.OrganizationID, Plan: sub.Plan, Status: sub.Status,
		PeriodStart: stampOrEmpty(sub.PeriodStart), PeriodEnd: stampOrEmpty(sub.PeriodEnd),
		PendingPlan: sub.PendingPlan, PendingPlanAt: stampOrEmpty(sub.PendingPlanAt),
		GraceEndsAt: stampOrEmpty(sub.GraceEndsAt), LastChargeID: sub.LastChargeID,
		UpdatedAt: stamp(now), Version: sub.Version}
	if due := sub.DueAt(); !due.IsZero() {
		r.GSI2PK, r.GSI2SK = renewalPK(due), renewalSK(due, sub.OrganizationID)
	}
	return r
}

func (r subscriptionRecord) subscription() billing.Subscription {
	return billing.Subscription{OrganizationID: r.OrgID, Plan: r.Plan, Status: r.Status,
		PeriodStart: parseStamp(r.PeriodStart), PeriodEnd: parseStamp(r.PeriodEnd),
		PendingPlan: r.PendingPlan, PendingPlanAt: parseStamp(r.PendingPlanAt),
		GraceEndsAt: parseStamp(r.GraceEndsAt), LastChargeID: r.LastChargeID, Version: r.Version}
}

// usage is what the org item counts of each limited resource.
func (r orgRecord) usage() billing.Usage {
	return billing.Usage{Members: r.SeatCount, Projects: r.ProjectCount, APIKeys: r.APIKeyCount, Apps: r.AppCount,
		Roles: r.RoleCount}
}

// UsageOf is an org's usage of its plan's limited resources.
func UsageOf(o orgs.Organization) billing.Usage {
	return billing.Usage{Members: o.Counts.Seats(), Projects: o.Counts.Projects, APIKeys: o.Counts.APIKeys,
		Apps: o.Counts.Apps, Roles: o.Counts.Roles}
}

// billingState is an org's subscription and org item, read together.
type billingState struct {
	org  orgRecord
	sub  billing.Subscription // billing.Free when the org never subscribed
	idem *idempotencyRecord   // the Idempotency-Key's first request, when seen
}

// readBilling reads the org, its subscription and (with an Idempotency-Key)
// the key's guard in one consistent batch. ErrNotFound when the org is gone
// or deleting.
func (s *Store) readBilling(ctx context.Context, orgID string, idem *Idempotency) (billingState, error) {
	found, err := s.getMany(ctx, billingKeys(orgID, idem), true)
	if err != nil {
		return billingState{}, err
	}
	return found.billing(orgID, idem)
}

// billingKeys are the items readBilling reads.
func billingKeys(orgID string, idem *Idempotency) []map[string]types.AttributeValue {
	keys := []map[string]types.AttributeValue{orgKey(orgID), subscriptionKey(orgID)}
	if idem != nil {
		keys = append(keys, key(ledgerPK(orgID), idempotencySK(hashKey(idem.Key))))
	}
	return keys
}

// billing decodes what billingKeys named from a batch read.
func (found batch) billing(orgID string, idem *Idempotency) (billingState, error) {
	keys := billingKeys(orgID, idem)
	var st billingState
	ok, err := found.decode(orgKey(orgID), &st.org)
	switch {
	case err != nil:
		return billingState{}, err
	case !ok || st.org.Status != orgs.OrgActive:
		return billingState{}, ErrNotFound
	}
	var rec subscriptionRecord
	if ok, err := found.decode(subscriptionKey(orgID), &rec); err != nil {
		return billingState{}, err
	} else if ok {
		st.sub = rec.subscription()
	} else {
		st.sub = billing.Free(orgID)
		st.sub.Plan = st.org.Plan
	}
	if idem != nil {
		var first idempotencyRecord
		if ok, err := found.decode(keys[2], &first); err != nil {
			return billingState{}, err
		} else if ok {
			st.idem = &first
		}
	}
	return st, nil
}

// GetSubscription reads an org's subscription (free when it never
// subscribed) and its usage, in one consistent read.
func (s *Store) GetSubscription(ctx context.Context, orgID string) (billing.Subscription, billing.Usage, error) {
	st, err := s.readBilling(ctx, orgID, nil)
	return st.sub, st.org.usage(), err
}

// PlanChange is a request to move an org to another plan.
type PlanChange struct {
	Plan   string
	Period billing.Period // the length of a new period
	Actor  string         // who asked (the ledger's created_by)
	// By is the member who asked, recorded in the activity log and held
	// in their role; nil when the system changes the plan.
	By *orgs.Member
}

// PlanChanged is what a plan change did.
type PlanChanged struct {
	Subscription billing.Subscription
	Usage        billing.Usage
	// Charge is the upgrade's prorated charge; nil when nothing was charged.
	Charge *credits.Entry
}

// planChangeRecord is an Idempotency-Key's guard for a plan change: the
// request's hash and its first result. It shares the ledger partition's
// key space with the wallet's postings, so one key names one request.
type planChangeRecord struct {
	PK           string             `dynamodbav:"PK"`
	SK           string             `dynamodbav:"SK"`
	Type         string             `dynamodbav:"type"`
	RequestHash  string             `dynamodbav:"request_hash"`
	Subscription subscriptionRecord `dynamodbav:"subscription"`
	Charge       *ledgerRecord      `dynamodbav:"charge,omitempty"`
	CreatedAt    string             `dynamodbav:"created_at"`
	TTL          int64              `dynamodbav:"ttl"`
}

// ChangePlan moves an org to another plan. A dearer plan applies at once:
// the prorated price of the rest of the period is charged in the same
// transaction as the plan change and the org's new limits (a free org
// starts a new period and pays it whole); a short wallet is ShortError and
// moves nothing. A cheaper plan is refused with PlanLimitsError when usage
// exceeds any of its limits, and otherwise scheduled for the period's end.
// Asking for the current plan cancels a scheduled downgrade. A concurrent
// change that lands first makes this one ErrSubscriptionChanged. With an
// Idempotency-Key a repeat returns the first result (replayed true).
func (s *Store) ChangePlan(ctx context.Context, orgID string, c PlanChange, idem *Idempotency) (PlanChanged, bool, error) {
	target, ok := plans.Get(c.Plan)
	if !ok {
		return PlanChanged{}, false, fmt.Errorf("ddb: unknown plan %q", c.Plan)
	}
	st, err := s.readBilling(ctx, orgID, idem)
	if err != nil {
		return PlanChanged{}, false, err
	}
	if st.idem != nil {
		return s.replayPlanChange(ctx, orgID, idem)
	}
	now := s.now()
	sub, usage := st.sub, st.org.usage()
	current := billing.Price(sub.Plan)
	next := sub
	next.Status, next.PendingPlan, next.PendingPlanAt = billing.Active, "", time.Time{}
	var charge *credits.Entry
	switch {
	case target.ID == sub.Plan && sub.PendingPlan == "":
		if idem != nil {
			// The batch read is not isolated from a transaction: it may have
			// seen this key's change land on the subscription but not yet
			// on the key's guard. Asked again, the guard is there.
			if replay, replayed, err := s.replayPlanChange(ctx, orgID, idem); !errors.Is(err, ErrNotFound) {
				return replay, replayed, err
			}
		}
		return PlanChanged{Subscription: sub, Usage: usage}, false, nil
	case target.ID == sub.Plan: // cancel the scheduled downgrade
		next.Status = sub.Status
	case sub.Status == billing.PastDue:
		return PlanChanged{}, false, ErrPastDue
	case target.Price < current:
		if v := billing.Violations(usage, target.Limits); len(v) > 0 {
			return PlanChanged{}, false, PlanLimitsError{Violations: v}
		}
		next.PendingPlan, next.PendingPlanAt = target.ID, sub.PeriodEnd
	default: // upgrade, at once
		next.Plan = target.ID
		amount := target.Price
		what := "period"
		if sub.PeriodEnd.IsZero() || current == 0 {
			next.PeriodStart, next.PeriodEnd = now, c.Period.After(now)
		} else {
			amount, what = billing.Prorate(current, target.Price, sub.PeriodStart, sub.PeriodEnd, now), "prorated"
		}
		if amount > 0 {
			e := newCharge(orgID, amount, fmt.Sprintf("Plan %s: upgrade from %s, %s to %s", target.ID, sub.Plan, what,
				next.PeriodEnd.UTC().Format(time.RFC3339)), c.Actor, now)
			charge = &e
			next.LastChargeID = e.ID
		}
	}
	next.Version = sub.Version + 1
	rec := newSubscriptionRecord(next, now)

	t := s.txn()
	if idem != nil {
		guard := planChangeRecord{PK: ledgerPK(orgID), SK: idempotencySK(hashKey(idem.Key)), Type: TypeIdempotencyKey,
			RequestHash: idem.RequestHash, Subscription: rec, CreatedAt: stamp(now), TTL: now.Add(IdempotencyRetention).Unix()}
		if charge != nil {
			l := newLedgerRecord(*charge)
			guard.Charge = &l
		}
		t.put(marshal(guard), notExists, errReplayed)
	}
	t.putSubscription(rec, sub.Version)
	if charge != nil {
		t.charge(*charge)
	}
	org := orgActive
	if next.PendingPlan != "" {
		// The usage checked above still fits when the downgrade lands.
		org = org.and(fits(target.Limits))
	}
	u := newUpdate().setValue("updated_at", stamp(now))
	if next.Plan != sub.Plan {
		planOnOrg(u, target)
	}
	t.update(orgKey(orgID), u, org, explained(func(old item) error {
		var r orgRecord
		if old == nil || unmarshalItem(old, &r) != nil || r.Status != orgs.OrgActive {
			return ErrNotFound
		}
		return PlanLimitsError{Violations: billing.Violations(r.usage(), target.Limits)}
	}))
	if c.By != nil {
		t.actorHolds(*c.By)
	}
	changes := activity.Changes{}.Note("plan", sub.Plan, next.Plan).Note("pending_plan", orNil(sub.PendingPlan), orNil(next.PendingPlan))
	if charge != nil {
		changes.Note("charged", nil, charge.Amount)
	}
	t.record(event(orgID, actorOrSystem(c.By, "billing"), activity.SubscriptionChanged, subscriptionTarget(orgID, next)).With(changes))
	switch err := t.run(ctx); {
	case errors.Is(err, errReplayed):
		return s.replayPlanChange(ctx, orgID, idem)
	case err != nil:
		return PlanChanged{}, false, err
	}
	return PlanChanged{Subscription: next, Usage: usage, Charge: charge}, false, nil
}

// The subscription is named by its org (an org has one) and its plan.
func subscriptionTarget(orgID string, sub billing.Subscription) activity.Target {
	return activity.Target{Type: activity.TargetSubscription, ID: orgID, Name: sub.Plan}
}

// orNil is s, or nil when empty: an optional field as the API shows it.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// errReplayed: an Idempotency-Key's guard appeared while the request ran.
var errReplayed = errors.New("ddb: idempotency key seen before")

// replayPlanChange returns the first result of a plan change's
// Idempotency-Key, or ErrIdempotencyMismatch when it was another request.
func (s *Store) replayPlanChange(ctx context.Context, orgID string, idem *Idempotency) (PlanChanged, bool, error) {
	var first planChangeRecord
	if err := s.get(ctx, key(ledgerPK(orgID), idempotencySK(hashKey(idem.Key))), &first); err != nil {
		return PlanChanged{}, false, err
	}
	if first.RequestHash != idem.RequestHash || first.Type != TypeIdempotencyKey || first.Subscription.OrgID != orgID {
		return PlanChanged{}, false, ErrIdempotencyMismatch
	}
	out := PlanChanged{Subscription: first.Subscription.subscription()}
	if first.Charge != nil {
		e := first.Charge.entry()
		out.Charge = &e
	}
	st, err := s.readBilling(ctx, orgID, nil)
	if err != nil {
		return PlanChanged{}, false, err
	}
	out.Usage = st.org.usage()
	return out, true, nil
}

func newCharge(orgID string, amount int64, description, actor string, now time.Time) credits.Entry {
	return credits.Entry{ID: entryID(newLedgerULID(now)), OrganizationID: orgID, Kind: credits.Charge, Amount: amount,
		Description: description, CreatedBy: actor, CreatedAt: now}
}

// putSubscription writes the subscription as read at version read (0: it
// had no item), so of two concurrent changes one wins.
func (t *txn) putSubscription(rec subscriptionRecord, read int64) *txn {
	c := notExists
	if read > 0 {
		c = versionIs(read)
	}
	return t.put(marshal(rec), c, ErrSubscriptionChanged)
}

// charge adds a charge's balance change and its ledger entry to the
// transaction. A short wallet fails it with ShortError, holding the
// balance the transaction saw.
func (t *txn) charge(e credits.Entry) *txn {
	u := newUpdate().setValue("updated_at", stamp(e.CreatedAt)).add(-e.Amount, "balance").bump()
	return t.update(walletKey(e.OrganizationID), u, exists.and(atLeast("balance", e.Amount)), explained(func(old item) error {
		if old == nil {
			return ErrNoWallet
		}
		return ShortError{Required: e.Amount, Balance: old.int("balance")}
	})).put(marshal(newLedgerRecord(e)), notExists, nil)
}

// int is a number attribute of the item, 0 when absent.
func (i item) int(attr string) int64 {
	if v, ok := i[attr].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// planOnOrg sets the org item's plan and its limits (removing those the
// plan leaves unlimited).
func planOnOrg(u *update, p plans.Plan) *update {
	var r orgRecord
	r.setLimits(p.Limits)
	for _, l := range []struct {
		attr string
		v    *int
	}{{seats.limit, r.SeatLimit}, {projectRoom.limit, r.ProjectLimit}, {"api_key_limit", r.APIKeyLimit},
		{appRoom.limit, r.AppLimit}, {roleRoom.limit, r.RoleLimit}} {
		if l.v == nil {
			u.remove(l.attr)
		} else {
			u.setValue(l.attr, *l.v)
		}
	}
	return u.setValue("plan", p.ID)
}

// fits: the org's counters are within the limits.
func fits(l plans.Limits) cond {
	c := exists
	for _, m := range []struct {
		count string
		limit *int
	}{{seats.count, l.Members}, {projectRoom.count, l.Projects}, {"api_key_count", l.APIKeys},
		{appRoom.count, l.Apps}, {roleRoom.count, l.Roles}} {
		if m.limit != nil {
			c = c.and(atMost(m.count, int64(*m.limit)))
		}
	}
	return c
}
