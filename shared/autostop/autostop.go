// Package autostop is the stop-idle-apps job: run on a schedule, it stops
// every running app instance with no access for the idle timeout
// (APP_IDLE_TIMEOUT), so orgs stop paying for apps nobody uses. The next
// access starts such an instance again with nothing lost.
//
// The work list is the store's sparse, sharded index of running instances
// ordered by last access: the job queries each shard for entries older than
// now minus the timeout (never a Scan) and stops them in conditional
// batches, with a bounded number of batches in flight. A stop loses to an
// access that lands first. Stopped instances leave the index, so the job
// keeps no cursor between runs: a run that stops early, before its Lambda
// deadline or on a transient DynamoDB fault, leaves the rest in the index
// for the next run, and running it twice stops nothing twice.
package autostop

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/ddb"
)

// Name is the job's function name and the actor of its log entries.
const Name = "stop-idle-apps"

// DefaultIdleTimeout is APP_IDLE_TIMEOUT's default.
const DefaultIdleTimeout = 12 * time.Hour

// Defaults for what a Job leaves zero.
const (
	DefaultConcurrency = 8
	DefaultMargin      = 10 * time.Second
	DefaultPageSize    = 10 * ddb.MaxIdleStopsPerTransaction
)

// Job stops idle instances. Build it once per process.
type Job struct {
	Store *ddb.Store
	// IdleTimeout is how long an instance may go without access.
	IdleTimeout time.Duration
	// Now is the clock the idle cutoff is measured on (time.Now when nil).
	Now func() time.Time
	// WallClock is what the context's deadline is compared with
	// (time.Now when nil). It is apart from Now so a test may move the
	// idle clock without moving the deadline, or the other way round.
	WallClock func() time.Time
	// Concurrency bounds the stop transactions in flight.
	Concurrency int
	// Margin is how long before the context's deadline the job stops
	// starting new work, so in-flight batches finish and the run reports.
	Margin time.Duration
	// PageSize is how many index entries one Query reads.
	PageSize int
}

// Result is what one run did.
type Result struct {
	Found    int  // idle candidates read from the index
	Stopped  int  // instances this run stopped
	Skipped  int  // candidates a concurrent change won (accessed, stopped, removed)
	Deferred int  // candidates read but left for the next run (deadline, transient faults)
	Complete bool // false when the run stopped early; the next run resumes
}

// Handle is the Lambda handler: one run, logged. An error fails the
// invocation (and EventBridge retries it); work done before it stays done.
func (j *Job) Handle(ctx context.Context, _ events.EventBridgeEvent) error {
	began := time.Now()
	r, err := j.Run(ctx)
	attrs := []any{"found", r.Found, "stopped", r.Stopped, "skipped", r.Skipped, "deferred", r.Deferred,
		"complete", r.Complete, "idle_timeout", j.IdleTimeout.String(), "took", time.Since(began).String()}
	if err != nil {
		slog.ErrorContext(ctx, Name+" failed", append(attrs, "err", err)...)
		return err
	}
	slog.InfoContext(ctx, Name, attrs...)
	return nil
}

// Run stops every instance idle longer than IdleTimeout at the time it
// starts, unless the deadline comes first.
func (j *Job) Run(ctx context.Context) (Result, error) {
	timeout := j.IdleTimeout
	if timeout <= 0 {
		timeout = DefaultIdleTimeout
	}
	cutoff := j.now().Add(-timeout)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		found, stopped, skipped, deferred atomic.Int64
		early                             atomic.Bool
		errMu                             sync.Mutex
		errs                              []error
	)
	fail := func(err error) {
		if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			// The run is ending (the caller's deadline, or a failure
			// already recorded): an interrupted call is not a new failure.
			early.Store(true)
			return
		}
		errMu.Lock()
		errs = append(errs, err)
		errMu.Unlock()
		cancel()
	}
	// setBack leaves work for the next run when DynamoDB is briefly
	// unable to serve (throttling, lock timeouts, 5xx): the run goes on
	// with the rest and reports itself incomplete rather than failed.
	setBack := func(err error, left int) bool {
		if !ddb.Transient(err) || ctx.Err() != nil {
			return false
		}
		deferred.Add(int64(left))
		early.Store(true)
		slog.WarnContext(ctx, Name+": work deferred to the next run", "deferred", left, "err", err)
		return true
	}
	// more reports whether there is time to start more work.
	more := func() bool {
		if ctx.Err() != nil || !j.timeLeft(ctx) {
			early.Store(true)
			return false
		}
		return true
	}

	batches := make(chan []ddb.IdleApp)
	var workers sync.WaitGroup
	for range j.concurrency() {
		workers.Go(func() {
			for b := range batches {
				if !more() {
					deferred.Add(int64(len(b)))
					continue
				}
				n, k, err := j.Store.StopIdleApps(ctx, b, apps.ScheduleActor(Name))
				stopped.Add(int64(n))
				skipped.Add(int64(k))
				if err != nil && !setBack(err, len(b)-n-k) {
					deferred.Add(int64(len(b) - n - k))
					fail(err)
				}
			}
		})
	}

	// One reader per shard; the unbuffered channel makes them wait for the
	// workers, so reading never runs far ahead of stopping.
	var readers sync.WaitGroup
	for shard := range ddb.RunningShards {
		readers.Go(func() {
			page := ddb.Page{Limit: j.pageSize()}
			for more() {
				idle, next, err := j.Store.IdleApps(ctx, shard, cutoff, page)
				if err != nil {
					if !setBack(err, 0) {
						fail(err)
					}
					return
				}
				found.Add(int64(len(idle)))
				for len(idle) > 0 {
					n := min(len(idle), ddb.MaxIdleStopsPerTransaction)
					if !more() {
						deferred.Add(int64(len(idle)))
						return
					}
					select {
					case batches <- idle[:n]:
						idle = idle[n:]
					case <-ctx.Done():
						deferred.Add(int64(len(idle)))
						return
					}
				}
				if next == nil {
					return
				}
				page.After = next
			}
		})
	}
	readers.Wait()
	close(batches)
	workers.Wait()

	r := Result{Found: int(found.Load()), Stopped: int(stopped.Load()), Skipped: int(skipped.Load()),
		Deferred: int(deferred.Load()), Complete: !early.Load() && len(errs) == 0}
	return r, errors.Join(errs...)
}

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// timeLeft reports whether the run is still short of its deadline minus
// the margin. Without a deadline (the local scheduler) there is no limit.
func (j *Job) timeLeft(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return true
	}
	margin := j.Margin
	if margin <= 0 {
		margin = DefaultMargin
	}
	clock := j.WallClock
	if clock == nil {
		clock = time.Now
	}
	return clock().Before(deadline.Add(-margin))
}

func (j *Job) pageSize() int {
	if j.PageSize > 0 {
		return j.PageSize
	}
	return DefaultPageSize
}

func (j *Job) concurrency() int {
	if j.Concurrency > 0 {
		return j.Concurrency
	}
	return DefaultConcurrency
}
