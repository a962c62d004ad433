package ddb

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/table"
)

// IdleApp is a running instance that the idle index shows last active
// before a cutoff. The index is eventually consistent, so it is a
// candidate only: StopIdleApps re-checks it on the item.
type IdleApp struct {
	OrganizationID string
	ID             string
	LastActiveAt   time.Time
	lastActive     string // as stored, for the stop's condition
}

// IdleApps pages through the running instances of one shard whose last
// access is strictly before cutoff, oldest first: a Query on GSI2, never a
// Scan, reading only the attributes the stop needs.
func (s *Store) IdleApps(ctx context.Context, shard int, cutoff time.Time, page Page) ([]IdleApp, Position, error) {
	q := onIndex(table.GSI2, runningPK(shard)).sortBefore(sortableStamp(cutoff)).
		only("PK", "SK", table.GSI2PK, table.GSI2SK, "organization_id", "id", "last_active_at")
	var out []IdleApp
	next, err := s.queryPage(ctx, q, page, func(item map[string]types.AttributeValue) error {
		var rec appRecord
		if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
			return err
		}
		out = append(out, IdleApp{OrganizationID: rec.OrgID, ID: rec.ID,
			LastActiveAt: parseStamp(rec.LastActiveAt), lastActive: rec.LastActiveAt})
		return nil
	})
	return out, next, err
}

// MaxIdleStopsPerTransaction is how many instances one TransactWriteItems
// stops: three actions each (the stop, its log entry and its activity
// event), 99 of the 100 actions one may hold.
const MaxIdleStopsPerTransaction = 33

// StopIdleApps stops idle candidates (stop_reason idle), each on condition
// that it is still running and last active exactly when the index said, and
// writes each one's stopped log entry with actor, MaxIdleStopsPerTransaction
// at a time. An instance accessed, stopped, restarted or uninstalled since
// the index was read fails its condition and is skipped: the concurrent
// change wins, and the rest of its transaction is sent again without it.
// It returns how many instances it stopped and how many it skipped.
func (s *Store) StopIdleApps(ctx context.Context, candidates []IdleApp, actor apps.Actor) (done, skipped int, err error) {
	for batch := range slices.Chunk(candidates, MaxIdleStopsPerTransaction) {
		n, k, err := s.stopIdleBatch(ctx, batch, actor)
		done, skipped = done+n, skipped+k
		if err != nil {
			return done, skipped, err
		}
	}
	return done, skipped, nil
}

func (s *Store) stopIdleBatch(ctx context.Context, pending []IdleApp, actor apps.Actor) (done, skipped int, err error) {
	for len(pending) > 0 {
		now := s.now()
		t := s.txn()
		for _, a := range pending {
			t.update(appKey(a.OrganizationID, a.ID), stopExpr(apps.StopIdle, now),
				attrIs("status", apps.Running).and(attrIs("last_active_at", a.lastActive)), idleSkip{a.ID}).
				logApp(apps.Instance{ID: a.ID, OrganizationID: a.OrganizationID}, apps.StoppedEvent, apps.StopIdle, nil, nil, actor, now)
		}
		failed, err := t.runAll(ctx)
		if len(failed) == 0 {
			if err != nil {
				return done, skipped, err
			}
			return done + len(pending), skipped, nil
		}
		// The instances that changed since the index was read are
		// skipped; the rest go again in a transaction of their own.
		changed := map[string]bool{}
		for _, f := range failed {
			var sk idleSkip
			if !errors.As(f, &sk) {
				return done, skipped, f
			}
			changed[sk.appID] = true
		}
		skipped += len(changed)
		pending = slices.DeleteFunc(slices.Clone(pending), func(a IdleApp) bool { return changed[a.ID] })
	}
	return done, skipped, nil
}

// idleSkip: an idle candidate changed since the index was read.
type idleSkip struct{ appID string }

func (idleSkip) Error() string { return "ddb: idle candidate changed" }

// PutApps writes instances exactly as given, 25 per BatchWriteItem, with no
// condition, no counter and no log: a bulk load for fixtures and benchmarks
// (the idle job over 10,000 instances), never a path a request takes.
func (s *Store) PutApps(ctx context.Context, instances []apps.Instance) error {
	reqs := make([]types.WriteRequest, len(instances))
	for i, in := range instances {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: marshal(newAppRecord(in))}}
	}
	return s.batchWrite(ctx, reqs)
}
