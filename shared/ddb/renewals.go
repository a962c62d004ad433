package ddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/plans"
	"github.com/orgplane/orgplane/shared/table"
)

// Renewals. Each step of a subscription's life after its period ends is one
// transaction conditioned on the subscription's version as read, so of any
// number of runs, redeliveries and top-ups acting on the same period,
// exactly one charges it; the others find the version moved and skip.

// RenewalActor is the ledger's created_by for charges nobody asked for.
const RenewalActor = "system"

// renewalJob is the scheduled job that renews subscriptions and app
// charges, as the activity log names it.
const renewalJob = "renew-subscriptions"

// DueRenewal is a subscription the renewal index shows due. The index is
// eventually consistent: Renew re-reads the item before acting.
type DueRenewal struct {
	OrganizationID string
	AppID          string // set for an installed app's charge (RenewApp), else the subscription's
	DueAt          time.Time
}

// DueRenewals lists the subscriptions due at or before now, from the
// per-day partitions of the renewal index covering the lookback window
// before now (Query per day, never a Scan). A subscription stays in the
// index until it is renewed, so a run that missed some days finds them.
func (s *Store) DueRenewals(ctx context.Context, now time.Time, lookback time.Duration) ([]DueRenewal, error) {
	var out []DueRenewal
	upTo := sortableStamp(now.Add(time.Nanosecond))
	for day := now.Add(-lookback).UTC().Truncate(24 * time.Hour); !day.After(now); day = day.Add(24 * time.Hour) {
		q := onIndex(table.GSI2, renewalPK(day)).sortBefore(upTo).only("organization_id", "app_id", "GSI2SK")
		in := q.input(s.Table)
		for {
			res, err := s.DB.Query(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, it := range res.Items {
				var r struct {
					OrgID string `dynamodbav:"organization_id"`
					AppID string `dynamodbav:"app_id"`
					SK    string `dynamodbav:"GSI2SK"`
				}
				if err := attributevalue.UnmarshalMap(it, &r); err != nil {
					return nil, err
				}
				due, _ := time.Parse("2006-01-02T15:04:05.000000000Z", r.SK[:min(len(r.SK), 30)])
				out = append(out, DueRenewal{OrganizationID: r.OrgID, AppID: r.AppID, DueAt: due})
			}
			if len(res.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = res.LastEvaluatedKey
		}
	}
	return out, nil
}

// Renewal outcomes.
const (
	Renewed     = "renewed"    // the next period was charged
	Downgraded  = "downgraded" // a scheduled move to free took effect
	WentPastDue = "past_due"   // the wallet was short: grace began
	FellBack    = "fell_back"  // the grace ended unpaid: back on free
	NotDue      = "not_due"    // nothing to do (another run did it, or not yet)
)

// Renew does what is due on an org's subscription at now: charges the next
// period (at the pending plan's price when a downgrade is scheduled),
// applies a downgrade to free, moves a short wallet's subscription to
// past_due with billing.Grace to pay (period.GraceEnd), and once the grace ends unpaid puts
// the org on free (over_limit when its usage exceeds free's limits;
// nothing is deleted). It returns what it did; NotDue when nothing was due
// or a concurrent run did it first.
func (s *Store) Renew(ctx context.Context, orgID string, now time.Time, period billing.Period) (string, error) {
	st, err := s.readBilling(ctx, orgID, nil)
	if errors.Is(err, ErrNotFound) {
		return NotDue, nil // deleted meanwhile; its items go with it
	}
	if err != nil {
		return "", err
	}
	sub := st.sub
	if due := sub.DueAt(); due.IsZero() || due.After(now) {
		return NotDue, nil
	}
	outcome, err := s.renewPeriod(ctx, st, now, period)
	var short ShortError
	switch {
	case errors.As(err, &short) || errors.Is(err, ErrNoWallet):
		if sub.Status == billing.PastDue {
			if now.Before(sub.GraceEndsAt) {
				return NotDue, nil
			}
			outcome, err = FellBack, s.fallBack(ctx, st, now)
		} else {
			next := sub
			next.Status, next.GraceEndsAt, next.Version = billing.PastDue, period.GraceEnd(sub.PeriodEnd), sub.Version+1
			outcome, err = WentPastDue, s.txn().putSubscription(newSubscriptionRecord(next, now), sub.Version).
				check(orgKey(orgID), orgActive, ErrNotFound).
				record(event(orgID, activity.System(renewalJob), activity.SubscriptionPastDue, subscriptionTarget(orgID, next)).
					With(activity.Changes{}.Note("status", sub.Status, next.Status))).
				run(ctx)
		}
	}
	if errors.Is(err, ErrSubscriptionChanged) || errors.Is(err, ErrNotFound) {
		return NotDue, nil
	}
	return outcome, err
}

// renewPeriod charges the period that follows the subscription's, at the
// next plan's price, and moves it on; a next plan that is free is a
// downgrade that charges nothing.
func (s *Store) renewPeriod(ctx context.Context, st billingState, now time.Time, period billing.Period) (string, error) {
	sub := st.sub
	plan, _ := plans.Get(sub.NextPlan())
	if plan.Price == 0 {
		return Downgraded, s.fallBack(ctx, st, now)
	}
	next := sub
	next.Plan, next.Status, next.PendingPlan, next.PendingPlanAt, next.GraceEndsAt = plan.ID, billing.Active, "", time.Time{}, time.Time{}
	next.PeriodStart, next.PeriodEnd = sub.PeriodEnd, period.After(sub.PeriodEnd)
	e := newCharge(sub.OrganizationID, plan.Price, fmt.Sprintf("Plan %s: period %s to %s", plan.ID,
		next.PeriodStart.UTC().Format(time.RFC3339), next.PeriodEnd.UTC().Format(time.RFC3339)), RenewalActor, now)
	next.LastChargeID, next.Version = e.ID, sub.Version+1
	err := s.txn().putSubscription(newSubscriptionRecord(next, now), sub.Version).
		charge(e).
		update(orgKey(sub.OrganizationID), planOnOrg(newUpdate().setValue("updated_at", stamp(now)), plan), orgActive, ErrNotFound).
		record(event(sub.OrganizationID, activity.System(renewalJob), activity.SubscriptionRenewed, subscriptionTarget(sub.OrganizationID, next)).
			With(activity.Changes{}.Note("plan", sub.Plan, next.Plan).Note("status", sub.Status, next.Status).
				Note("period_end", stamp(sub.PeriodEnd), stamp(next.PeriodEnd)).Note("charged", nil, e.Amount))).
		run(ctx)
	return Renewed, err
}

// fallBack puts the org on free: its limits become free's, its usage stays
// as it is. Usage above them makes the subscription over_limit, which
// refuses creates until the org upgrades or removes enough.
func (s *Store) fallBack(ctx context.Context, st billingState, now time.Time) error {
	sub := st.sub
	free, _ := plans.Get(plans.Free)
	next := billing.Free(sub.OrganizationID)
	next.LastChargeID, next.Version = sub.LastChargeID, sub.Version+1
	if len(billing.Violations(st.org.usage(), free.Limits)) > 0 {
		next.Status = billing.OverLimit
	}
	return s.txn().putSubscription(newSubscriptionRecord(next, now), sub.Version).
		update(orgKey(sub.OrganizationID), planOnOrg(newUpdate().setValue("updated_at", stamp(now)), free), orgActive, ErrNotFound).
		record(event(sub.OrganizationID, activity.System(renewalJob), activity.SubscriptionChanged, subscriptionTarget(sub.OrganizationID, next)).
			With(activity.Changes{}.Note("plan", sub.Plan, next.Plan).Note("status", sub.Status, next.Status))).
		run(ctx)
}

// SettlePastDue charges a past-due subscription's overdue period now (a
// top-up's follow-up) and reports whether it did. A wallet still short, a
// subscription that is not past due, or a renewal run that settled it
// first leave it as it is.
func (s *Store) SettlePastDue(ctx context.Context, orgID string, period billing.Period) (bool, error) {
	st, err := s.readBilling(ctx, orgID, nil)
	if err != nil || st.sub.Status != billing.PastDue {
		return false, err
	}
	_, err = s.renewPeriod(ctx, st, s.now(), period)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrInsufficientCredits), errors.Is(err, ErrNoWallet), errors.Is(err, ErrSubscriptionChanged):
		return false, nil
	}
	return false, err
}
