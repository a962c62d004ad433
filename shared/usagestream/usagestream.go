// Package usagestream is the count-usage stream consumer: it folds the
// stream records of projects, memberships, ledger entries, API keys' rate
// windows and agent keys' spends into their org's monthly usage (package
// usage has the rules, ddb.Store.CountUsage the writes).
//
// Each record is counted exactly once, however often Lambda delivers it:
// its event id is written as a guard in the same transaction as the
// counters' ADD (ddb.ErrAlreadyCounted on a redelivery). To keep the
// transactions few, the records of a batch that fall in the same org and
// month are counted together in one transaction (their guards, one ADD);
// when some of them were counted before, that transaction adds nothing and
// names them, and the others are sent again together. A record that fails
// is reported in BatchItemFailures; the others still count.
package usagestream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/tablestream"
	"github.com/orgplane/orgplane/shared/usage"
)

// Name is the consumer's function name.
const Name = "count-usage"

// Consumer counts usage into the store.
type Consumer struct {
	Store *ddb.Store
	// Now stands in for a record's time when it carries none.
	Now func() time.Time
}

// counted is one record's share of its month.
type counted struct {
	rec    events.DynamoDBEventRecord
	change usage.Change
	counts usage.Counts
}

// group is the records of one org and month in a batch.
type group struct {
	org, month string
	recs       []counted
}

// Handler is the Lambda handler.
func (c *Consumer) Handler() func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		failed := map[string]bool{} // by sequence number
		fail := func(rec events.DynamoDBEventRecord, err error) {
			slog.ErrorContext(ctx, "stream record failed", "consumer", Name, "event_id", rec.EventID,
				"event", rec.EventName, "sequence_number", rec.Change.SequenceNumber, "err", err)
			failed[rec.Change.SequenceNumber] = true
		}
		var groups []*group
		index := map[[2]string]*group{}
		for _, rec := range ev.Records {
			cr, ok, err := c.decode(rec)
			switch {
			case err != nil:
				fail(rec, err)
				continue
			case !ok:
				continue
			}
			k := [2]string{cr.change.OrgID, usage.Month(cr.change.At)}
			g := index[k]
			if g == nil || len(g.recs) == ddb.MaxUsageEvents {
				g = &group{org: k[0], month: k[1]}
				index[k] = g
				groups = append(groups, g)
			}
			g.recs = append(g.recs, cr)
		}
		for _, g := range groups {
			for _, f := range c.count(ctx, g) {
				fail(f.rec, f.err)
			}
		}
		// Report failures in batch order, as tablestream.Each does.
		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for _, rec := range ev.Records {
			if failed[rec.Change.SequenceNumber] {
				resp.BatchItemFailures = append(resp.BatchItemFailures,
					events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			}
		}
		return resp, nil
	}
}

// decode reads what the record adds; ok is false when it adds nothing.
func (c *Consumer) decode(rec events.DynamoDBEventRecord) (cr counted, ok bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	oldImg, err := image(rec.Change.OldImage)
	if err != nil {
		return counted{}, false, err
	}
	newImg, err := image(rec.Change.NewImage)
	if err != nil {
		return counted{}, false, err
	}
	at := rec.Change.ApproximateCreationDateTime.Time
	if at.IsZero() {
		at = c.now()
	}
	ch, ok, err := ddb.UsageChangeOf(rec.EventName, at, oldImg, newImg)
	if err != nil || !ok {
		return counted{}, false, err
	}
	n := usage.Tally(ch)
	if n.IsZero() && !opensWindow(ch) {
		return counted{}, false, nil
	}
	return counted{rec: rec, change: ch, counts: n}, true, nil
}

// opensWindow: a window's INSERT that admitted a request is its key's
// first request in it, so the key is active in the window's month (a
// window a refusal opened does not make its key active).
func opensWindow(ch usage.Change) bool {
	return ch.Kind == usage.RateWindow && ch.Event == usage.Insert && ch.Admitted > 0
}

func image(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if img == nil {
		return nil, nil
	}
	return tablestream.Image(img)
}

type failure struct {
	rec events.DynamoDBEventRecord
	err error
}

// count counts a group in one transaction; records counted before (a
// redelivery) are dropped and the rest sent again, so a redelivered batch
// costs two transactions per org and month, not one per record. Then the
// keys whose window opened.
func (c *Consumer) count(ctx context.Context, g *group) []failure {
	var pending []counted
	for _, r := range g.recs {
		if !r.counts.IsZero() {
			pending = append(pending, r)
		}
	}
	for len(pending) > 0 {
		var sum usage.Counts
		ids := make([]string, len(pending))
		for i, r := range pending {
			sum, ids[i] = sum.Add(r.counts), r.rec.EventID
		}
		err := c.Store.CountUsage(ctx, g.org, g.month, ids, sum)
		if errors.Is(err, ddb.ErrNotFound) {
			return nil // the org is gone or being deleted: nothing to count
		}
		var before *ddb.CountedBefore
		n := len(pending)
		if errors.As(err, &before) {
			pending = slices.DeleteFunc(pending, func(r counted) bool { return slices.Contains(before.EventIDs, r.rec.EventID) })
		}
		if err == nil {
			break
		}
		if len(pending) == n { // not a redelivery, or one naming nothing of these
			fails := make([]failure, len(pending))
			for i, r := range pending {
				fails[i] = failure{r.rec, err}
			}
			return fails
		}
	}
	var fails []failure
	// Each key whose window opened is active in the month (counted once
	// per key and month, however often this runs).
	seen := map[string]bool{}
	for _, r := range g.recs {
		if !opensWindow(r.change) || seen[r.change.KeyID] {
			continue
		}
		seen[r.change.KeyID] = true
		err := c.Store.CountActiveKey(ctx, g.org, g.month, r.change.KeyID)
		if err != nil && !errors.Is(err, ddb.ErrNotFound) {
			fails = append(fails, failure{r.rec, err})
		}
	}
	return fails
}

func (c *Consumer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
