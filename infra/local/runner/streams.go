// Package runner stands in, on one machine, for the AWS machinery that
// invokes Orgplane's trigger functions: Streams plays the Lambda event
// source mappings that feed DynamoDB stream batches to the stream
// consumers, and Scheduler plays the EventBridge rules that run the
// scheduled jobs. Both take their function lists and handler constructors
// as parameters, so the local stack passes triggers.StreamConsumers and
// triggers.Schedules and tests pass their own.
package runner

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/orgplane/orgplane/shared/tablestream"
	"github.com/orgplane/orgplane/shared/triggers"
)

// Defaults for what Streams leaves zero.
const (
	DefaultPoll       = 250 * time.Millisecond
	DefaultRetryDelay = 500 * time.Millisecond
	maxBackoff        = 5 * time.Second
	// readLimit is the most records one read takes from each shard.
	readLimit = 1000
)

// Streams feeds a table's stream to stream consumers as Lambda event
// source mappings do. Each consumer reads the stream on its own (its own
// tablestream.Reader, so its own shard positions): a consumer that fails
// or hangs never holds up another. Per consumer it:
//   - reads every shard in order, a child shard only after its parent;
//   - passes only the records its filters match (the mapping's filter
//     criteria, from the same definition);
//   - invokes its handler with up to Batch() records, as an
//     events.DynamoDBEvent, under a deadline of the function's Timeout();
//   - on reported BatchItemFailures retries from the first failed record
//     (the whole batch when the handler returns an error or panics), up to
//     Retries() times, then logs the records it drops: the local
//     on-failure destination is that log line;
//   - drops records older than RecordAge() the same way.
type Streams struct {
	DB            *dynamodb.Client
	StreamsClient *dynamodbstreams.Client
	Table         string
	Consumers     []triggers.StreamConsumer
	// Handler builds a consumer's handler once (App.Stream in the local stack).
	Handler func(triggers.StreamConsumer) triggers.StreamHandler
	// FromLatest starts the shards that exist when Run starts at LATEST,
	// skipping the history of a table that was there before (a persisted
	// database); otherwise reading starts at TRIM_HORIZON. Shards that
	// appear later are read from their start either way.
	FromLatest bool
	// Poll is the pause between empty reads; RetryDelay the first pause
	// before retrying a failed batch (doubling after each retry).
	Poll, RetryDelay time.Duration
	Log              *slog.Logger
	// Now is the clock for record ages; time.Now when nil.
	Now func() time.Time

	readyOnce sync.Once
	ready     chan struct{}
}

// Ready is closed once every consumer has read the stream once, and so
// holds a position in every shard: from then on, a write to the table
// reaches the consumers even with FromLatest.
func (s *Streams) Ready() <-chan struct{} {
	s.readyOnce.Do(func() { s.ready = make(chan struct{}) })
	return s.ready
}

// Run feeds the consumers until ctx ends. Errors reading the stream are
// logged and retried; Run returns nil when ctx ends.
func (s *Streams) Run(ctx context.Context) error {
	s.Ready()
	if s.DB == nil || s.StreamsClient == nil || s.Table == "" || s.Handler == nil {
		return errors.New("runner: Streams needs DB, StreamsClient, Table and Handler")
	}
	var wg, starting sync.WaitGroup
	for _, c := range s.Consumers {
		m := &mapping{
			s:       s,
			c:       c,
			handler: s.Handler(c),
			log:     s.logger().With("consumer", c.Name),
		}
		starting.Add(1)
		wg.Go(func() { m.run(ctx, sync.OnceFunc(starting.Done)) })
	}
	go func() {
		starting.Wait()
		close(s.ready)
	}()
	wg.Wait()
	return nil
}

// mapping is one consumer's event source mapping.
type mapping struct {
	s       *Streams
	c       triggers.StreamConsumer
	handler triggers.StreamHandler
	log     *slog.Logger
}

// run reads the stream and delivers what the filter matches until ctx
// ends, calling started once the first read has positioned it.
func (m *mapping) run(ctx context.Context, started func()) {
	defer started() // even when ctx ends first, so Ready's waiters never hang
	var reader *tablestream.Reader
	wait := m.s.poll()
	for ctx.Err() == nil {
		var recs []events.DynamoDBEventRecord
		var err error
		if reader == nil {
			reader, err = tablestream.NewReader(ctx, m.s.DB, m.s.StreamsClient, m.s.Table, m.s.FromLatest)
		}
		if err == nil {
			recs, err = reader.Read(ctx, readLimit)
		}
		if err == nil {
			started()
		}
		// Records read before an error are delivered all the same.
		if m.deliverAll(ctx, recs) != nil || ctx.Err() != nil {
			return
		}
		if err != nil {
			m.log.Warn("stream consumer: reading the stream failed; retrying", "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return
			}
			wait = backoff(wait)
			continue
		}
		wait = m.s.poll()
		if len(recs) == 0 && !sleep(ctx, wait) {
			return
		}
	}
}

// deliverAll delivers the records the filter matches, in batches of up to
// Batch(). It returns an error only when ctx ends.
func (m *mapping) deliverAll(ctx context.Context, recs []events.DynamoDBEventRecord) error {
	var matched []events.DynamoDBEventRecord
	for _, rec := range recs {
		if m.c.Match(rec) {
			matched = append(matched, rec)
		}
	}
	for batch := range slices.Chunk(matched, m.c.Batch()) {
		if err := m.deliver(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

func (s *Streams) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Streams) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Streams) poll() time.Duration {
	if s.Poll > 0 {
		return s.Poll
	}
	return DefaultPoll
}

func (s *Streams) retryDelay() time.Duration {
	if s.RetryDelay > 0 {
		return s.RetryDelay
	}
	return DefaultRetryDelay
}

// sleep waits d or until ctx ends, reporting whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff doubles d up to maxBackoff.
func backoff(d time.Duration) time.Duration {
	return min(2*d, maxBackoff)
}
