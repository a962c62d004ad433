package ddb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/table"
)

// Lifecycle changes. Each is computed on the instance as read, written
// with a condition on its version (traffic does not move it) together with
// its log entry, and retried from a fresh read when a concurrent change
// wins, a few times.

const lifecycleAttempts = 5

// errAppChanged: the instance changed since it was read; read it again.
var errAppChanged = errors.New("ddb: app changed")

// StopApp stops a running instance of by's org by hand (stop_reason
// manual), with by held in their role. An instance already stopped is
// returned as it is.
func (s *Store) StopApp(ctx context.Context, by orgs.Member, appID string) (apps.Instance, error) {
	orgID, actor := by.OrganizationID, appActorOf(by)
	for range lifecycleAttempts {
		cur, err := s.GetApp(ctx, orgID, appID)
		if err != nil || cur.Status == apps.Stopped {
			return cur, err
		}
		now := s.now()
		err = s.txn().
			update(appKey(orgID, appID), stopExpr(apps.StopManual, now), versionIs(cur.Version), errAppChanged).
			logApp(cur, apps.StoppedEvent, apps.StopManual, nil, nil, actor, now).
			actorHolds(by).
			run(ctx)
		if !errors.Is(err, errAppChanged) {
			return stopped(cur, apps.StopManual, now), err
		}
	}
	return apps.Instance{}, ErrAppBusy
}

// RestartApp restarts a running instance (restarted) or starts a stopped
// one (started, reason restart), with by held in their role. Either way it
// counts as activity.
func (s *Store) RestartApp(ctx context.Context, by orgs.Member, appID string) (apps.Instance, error) {
	orgID, actor := by.OrganizationID, appActorOf(by)
	for range lifecycleAttempts {
		cur, err := s.GetApp(ctx, orgID, appID)
		if err != nil {
			return cur, err
		}
		if cur.StopReason == apps.StopUnpaid {
			return cur, ErrAppUnpaid
		}
		kind, reason := apps.Restarted, ""
		if cur.Status == apps.Stopped {
			kind, reason = apps.Started, apps.StartedByRestart
		}
		next, err := s.start(ctx, cur, versionIs(cur.Version), kind, reason, actor, &by)
		if !errors.Is(err, errAppChanged) {
			return next, err
		}
	}
	return apps.Instance{}, ErrAppBusy
}

// AccessApp records traffic to an instance: last_active_at moves to now
// (and the instance's GSI2 sort key with it), in one conditional
// UpdateItem while it runs. A stopped instance is started, with its env and
// settings as they were, and a started log entry. mayUsePrivate is whether
// the caller may use private instances.
//
// Against the idle job: the job stops an instance only if last_active_at
// is still the value it read, so an access that lands first makes the
// stop fail, and an access that lands after a stop starts the instance
// again. Either way the instance runs when AccessApp returns.
func (s *Store) AccessApp(ctx context.Context, orgID, appID string, actor apps.Actor, mayUsePrivate bool) (apps.Instance, error) {
	usable := attrIs("status", apps.Running)
	if !mayUsePrivate {
		usable = usable.and(notAttr("visibility", apps.Private))
	}
	for attempt := 0; attempt < 3*lifecycleAttempts; attempt++ {
		la := sortableStamp(s.now())
		touch := newUpdate().setValue("last_active_at", la).setValue(table.GSI2SK, runningSK(la, appID))
		var rec appRecord
		err := s.updateItem(ctx, appKey(orgID, appID), touch, usable, explained(func(old item) error { return appWas{old} }), &rec)
		if err == nil {
			return rec.instance(), nil
		}
		if txConflict(err) { // a stop of this instance is in flight
			backoff(attempt)
			continue
		}
		var was appWas
		if !errors.As(err, &was) {
			return apps.Instance{}, err
		}
		if was.item == nil {
			return apps.Instance{}, ErrNotFound
		}
		var cur appRecord
		if err := attributevalue.UnmarshalMap(was.item, &cur); err != nil {
			return apps.Instance{}, err
		}
		if !mayUsePrivate && cur.Visibility == apps.Private {
			return apps.Instance{}, ErrPrivateApp
		}
		if cur.Status != apps.Stopped {
			continue // it started meanwhile: record the access on it
		}
		if cur.StopReason == apps.StopUnpaid {
			return cur.instance(), ErrAppUnpaid
		}
		next, err := s.start(ctx, cur.instance(), versionIs(cur.Version).and(attrIs("status", apps.Stopped)),
			apps.Started, apps.StartedByAccess, actor, nil)
		if !errors.Is(err, errAppChanged) {
			return next, err
		}
	}
	return apps.Instance{}, ErrAppBusy
}

// appWas: an access found the instance not running (or private), as it was.
type appWas struct{ item item }

func (appWas) Error() string { return "ddb: app not running" }

// start writes cur running (started_at and last_active_at now, GSI2 keys
// back) on condition c, with a log entry of kind; errAppChanged when c
// fails. A restart holds its member (by) in their role; an access (by nil)
// is traffic, which any member who may read the app makes.
func (s *Store) start(ctx context.Context, cur apps.Instance, c cond, kind, reason string, actor apps.Actor, by *orgs.Member) (apps.Instance, error) {
	now := s.now()
	t := s.txn().
		update(appKey(cur.OrganizationID, cur.ID), startExpr(cur.ID, now), c, errAppChanged).
		logApp(cur, kind, reason, nil, nil, actor, now)
	if by != nil {
		t.actorHolds(*by)
	}
	err := t.run(ctx)
	return started(cur, now), err
}

// started and stopped are the lifecycle transitions on the domain value;
// startExpr and stopExpr write the same change to the item.
func started(i apps.Instance, now time.Time) apps.Instance {
	i.Status, i.StopReason, i.StoppedAt = apps.Running, "", time.Time{}
	i.StartedAt, i.LastActiveAt, i.UpdatedAt = now, now, now
	i.Version++
	return i
}

func stopped(i apps.Instance, reason string, now time.Time) apps.Instance {
	i.Status, i.StopReason, i.StoppedAt, i.UpdatedAt = apps.Stopped, reason, now, now
	i.Version++
	return i
}

func startExpr(appID string, now time.Time) *update {
	la := sortableStamp(now)
	return newUpdate().setValue("status", apps.Running).setValue("started_at", stamp(now)).
		setValue("last_active_at", la).setValue("updated_at", stamp(now)).
		setValue(table.GSI2PK, runningPK(shardOf(appID))).setValue(table.GSI2SK, runningSK(la, appID)).
		remove("stop_reason", "stopped_at").bump()
}

func stopExpr(reason string, now time.Time) *update {
	return newUpdate().setValue("status", apps.Stopped).setValue("stop_reason", reason).
		setValue("stopped_at", stamp(now)).setValue("updated_at", stamp(now)).
		remove(table.GSI2PK, table.GSI2SK). // out of the running index
		bump()
}

func txConflict(err error) bool {
	var e *types.TransactionConflictException
	return errors.As(err, &e)
}
