package ddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/orgs"
)

// App billing. A paid install has a billing item beside the instance
// (ORG#<org> / APPBILL#<app>) holding how it pays (monthly, annual,
// one_time, lifetime), its price and when it is next charged: at the
// trial's end, then each period (once only for one_time and lifetime).
// While a charge is due the item sits in the renewal index (GSI2; the
// instance's own GSI2 keys are the running index), so the renewal job
// finds it with the subscriptions. A charge is one transaction with the
// billing item (conditioned on its version), the wallet, the ledger entry
// and, when the app was stopped unpaid, its start and log entry. A short
// wallet stops the instance (stop_reason unpaid), env and settings kept;
// the charge is tried again by the next top-up and daily by the job.

// Billing item statuses.
const (
	AppTrial  = "trial"  // installed, the first charge due at the trial's end
	AppActive = "active" // paid up; a recurring option is due again
	AppUnpaid = "unpaid" // a charge failed; the instance is stopped
	AppPaid   = "paid"   // one_time or lifetime, paid: never charged again
)

// AppRetry is how long after a failed charge the job tries again (a top-up
// tries at once).
const AppRetry = 24 * time.Hour

type appBillingRecord struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	GSI2PK       string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK       string `dynamodbav:"GSI2SK,omitempty"`
	Type         string `dynamodbav:"type"`
	OrgID        string `dynamodbav:"organization_id"`
	AppID        string `dynamodbav:"app_id"`
	TemplateID   string `dynamodbav:"template_id"`
	Billing      string `dynamodbav:"billing"`
	Price        int64  `dynamodbav:"price"`
	Status       string `dynamodbav:"status"`
	DueAt        string `dynamodbav:"due_at,omitempty"` // the next charge; "" once paid for good
	RetryAt      string `dynamodbav:"retry_at,omitempty"`
	LastChargeID string `dynamodbav:"last_charge_id,omitempty"`
	Version      int64  `dynamodbav:"version"`
}

func appBillingKey(org, app string) map[string]types.AttributeValue {
	return key(orgPK(org), appBillingSK(app))
}

// indexed puts the item in the renewal index at its next action: the
// retry of an unpaid charge, else the due charge; none once paid.
func (r appBillingRecord) indexed() appBillingRecord {
	r.GSI2PK, r.GSI2SK = "", ""
	at := r.DueAt
	if r.Status == AppUnpaid {
		at = r.RetryAt
	}
	if at != "" && r.Status != AppPaid {
		t := parseStamp(at)
		r.GSI2PK, r.GSI2SK = renewalPK(t), renewalSK(t, r.OrgID)+"#"+r.AppID
	}
	return r
}

// newAppBilling is the billing item of a paid install.
func newAppBilling(i apps.Instance, option string, price int64, now time.Time) appBillingRecord {
	due, status := now, AppActive
	if !i.TrialEndsAt.IsZero() {
		due, status = i.TrialEndsAt, AppTrial
	}
	return appBillingRecord{PK: orgPK(i.OrganizationID), SK: appBillingSK(i.ID), Type: TypeAppBilling,
		OrgID: i.OrganizationID, AppID: i.ID, TemplateID: i.TemplateID, Billing: option, Price: price,
		Status: status, DueAt: stamp(due), Version: 1}.indexed()
}

// RenewApp charges an installed app's due charge at now: a recurring
// option is then due again a period on (from the due time, or from now
// when the charge had failed: nothing ran meanwhile), a one-time one never
// again. A short wallet stops the instance unpaid. It returns Renewed,
// WentPastDue (stopped unpaid) or NotDue (nothing due, or a concurrent run
// did it).
func (s *Store) RenewApp(ctx context.Context, orgID, appID string, now time.Time, period billing.Period) (string, error) {
	return s.renewApp(ctx, orgID, appID, now, period, false)
}

// renewApp is RenewApp; settle tries an unpaid charge before its retry time.
func (s *Store) renewApp(ctx context.Context, orgID, appID string, now time.Time, period billing.Period, settle bool) (string, error) {
	found, err := s.getMany(ctx, []map[string]types.AttributeValue{appBillingKey(orgID, appID), appKey(orgID, appID), orgKey(orgID)}, true)
	if err != nil {
		return "", err
	}
	var b appBillingRecord
	var a appRecord
	var o orgRecord
	okB, err1 := found.decode(appBillingKey(orgID, appID), &b)
	okA, err2 := found.decode(appKey(orgID, appID), &a)
	okO, err3 := found.decode(orgKey(orgID), &o)
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", err
	}
	if !okB || !okA || !okO || o.Status != orgs.OrgActive || b.Status == AppPaid {
		return NotDue, nil
	}
	at := b.DueAt
	if b.Status == AppUnpaid {
		at = b.RetryAt
	}
	if parseStamp(at).After(now) && !(settle && b.Status == AppUnpaid) {
		return NotDue, nil
	}
	inst := a.instance()
	e := newCharge(orgID, b.Price, fmt.Sprintf("App %s (%s), %s", inst.Name, b.TemplateID, b.Billing), RenewalActor, s.now())
	next := b
	next.Status, next.RetryAt, next.LastChargeID, next.Version = AppActive, "", e.ID, b.Version+1
	from := parseStamp(b.DueAt)
	if b.Status == AppUnpaid {
		from = now
	}
	if due := period.NextCharge(b.Billing, from); due.IsZero() {
		next.Status, next.DueAt = AppPaid, ""
	} else {
		next.DueAt = stamp(due)
	}
	t := s.txn().put(marshal(next.indexed()), versionIs(b.Version), ErrSubscriptionChanged).charge(e).
		check(orgKey(orgID), orgActive, ErrNotFound)
	actor := apps.ScheduleActor(renewalJob)
	t.record(event(orgID, activity.System(renewalJob), activity.AppCharged, appTarget(inst),
		activity.Target{Type: activity.TargetLedgerEntry, ID: e.ID, Name: e.Description}).With(activity.Changes{}.
		Note("charged", nil, e.Amount)))
	if inst.Status == apps.Stopped && inst.StopReason == apps.StopUnpaid {
		t.update(appKey(orgID, appID), startExpr(appID, s.now()), versionIs(inst.Version), ErrSubscriptionChanged).
			logApp(inst, apps.Started, apps.StartedByPayment, nil, nil, actor, s.now())
	}
	err = t.run(ctx)
	var short ShortError
	switch {
	case err == nil:
		return Renewed, nil
	case errors.As(err, &short), errors.Is(err, ErrNoWallet):
	case errors.Is(err, ErrSubscriptionChanged), errors.Is(err, ErrNotFound):
		return NotDue, nil
	default:
		return "", err
	}
	if b.Status == AppUnpaid {
		// Still short: try again tomorrow (a top-up tries at once).
		retry := b
		retry.RetryAt, retry.Version = stamp(now.Add(AppRetry)), b.Version+1
		err = s.txn().put(marshal(retry.indexed()), versionIs(b.Version), ErrSubscriptionChanged).run(ctx)
		return NotDue, ignoreChanged(err)
	}
	unpaid := b
	unpaid.Status, unpaid.RetryAt, unpaid.Version = AppUnpaid, stamp(now.Add(AppRetry)), b.Version+1
	t = s.txn().put(marshal(unpaid.indexed()), versionIs(b.Version), ErrSubscriptionChanged).
		record(event(orgID, activity.System(renewalJob), activity.AppUnpaid, appTarget(inst)).With(activity.Changes{}.
			Note("billing_status", b.Status, AppUnpaid)))
	if inst.StopReason != apps.StopUnpaid {
		t.update(appKey(orgID, appID), stopExpr(apps.StopUnpaid, s.now()), versionIs(inst.Version), ErrSubscriptionChanged).
			logApp(inst, apps.StoppedEvent, apps.StopUnpaid, nil, nil, actor, s.now())
	}
	if err := ignoreChanged(t.run(ctx)); err != nil {
		return "", err
	}
	return WentPastDue, nil
}

func ignoreChanged(err error) error {
	if errors.Is(err, ErrSubscriptionChanged) {
		return nil
	}
	return err
}

// SettleUnpaidApps tries the failed charges of an org's unpaid apps now
// (a top-up's follow-up) and returns how many it paid.
func (s *Store) SettleUnpaidApps(ctx context.Context, orgID string, period billing.Period) (int, error) {
	q := inPartition(orgPK(orgID), appBillingSK("")).where(attrIs("status", AppUnpaid)).only("app_id")
	var unpaid []string
	if _, err := s.queryPage(ctx, q, Page{Limit: 100}, func(it map[string]types.AttributeValue) error {
		unpaid = append(unpaid, item(it).str("app_id"))
		return nil
	}); err != nil {
		return 0, err
	}
	paid := 0
	for _, app := range unpaid {
		// The retry time is the job's cadence, not a bar to paying now.
		outcome, err := s.renewApp(ctx, orgID, app, s.now(), period, true)
		if err != nil {
			return paid, err
		}
		if outcome == Renewed {
			paid++
		}
	}
	return paid, nil
}
