// Package renewal is the renew-subscriptions job: run on a schedule, it
// finds the subscriptions whose period (or grace) has ended, and the
// installed apps whose trial or period has, through the
// store's per-day renewal index (a Query per day, never a Scan) and does
// what each one is due: charge the next period from the wallet, apply a
// scheduled downgrade, start the grace of a short wallet, or put a lapsed
// org on free; charge an app, or stop it unpaid. Every step is one transaction conditioned on the
// subscription as read, so redelivered and overlapping runs charge each
// period exactly once; the job keeps no state between runs.
package renewal

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/ddb"
)

// Name is the job's function name.
const Name = "renew-subscriptions"

// Defaults for what a Job leaves zero.
const (
	DefaultConcurrency = 8
	// DefaultLookback is how many days back the index is read: a
	// subscription left due by runs that failed for this long is still
	// found.
	DefaultLookback = 35 * 24 * time.Hour
)

// Job renews subscriptions. Build it once per process.
type Job struct {
	Store       *ddb.Store
	Period      billing.Period
	Now         func() time.Time // time.Now when nil
	Concurrency int
	Lookback    time.Duration
}

// Result counts what one run did, by outcome (ddb.Renewed, ddb.WentPastDue,
// …); Failed counts subscriptions left for the next run by an error.
type Result struct {
	Due      int
	Outcomes map[string]int
	Failed   int
}

// Handle is the Lambda handler: one run, logged. An error fails the
// invocation (EventBridge retries it); what was done stays done.
func (j *Job) Handle(ctx context.Context, _ events.EventBridgeEvent) error {
	began := time.Now()
	r, err := j.Run(ctx)
	attrs := []any{"due", r.Due, "outcomes", r.Outcomes, "failed", r.Failed, "took", time.Since(began).String()}
	if err != nil {
		slog.ErrorContext(ctx, Name+" failed", append(attrs, "err", err)...)
		return err
	}
	slog.InfoContext(ctx, Name, attrs...)
	return nil
}

// Run renews everything due at the time it starts.
func (j *Job) Run(ctx context.Context) (Result, error) {
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	at := now().UTC()
	lookback := j.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	due, err := j.Store.DueRenewals(ctx, at, lookback)
	if err != nil {
		return Result{Outcomes: map[string]int{}}, err
	}
	r := Result{Due: len(due), Outcomes: map[string]int{}}
	work := make(chan ddb.DueRenewal)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	workers := j.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	for range max(1, min(workers, len(due))) {
		wg.Go(func() {
			for d := range work {
				renew := j.Store.Renew
				if d.AppID != "" {
					renew = func(ctx context.Context, org string, at time.Time, p billing.Period) (string, error) {
						return j.Store.RenewApp(ctx, org, d.AppID, at, p)
					}
				}
				outcome, err := renew(ctx, d.OrganizationID, at, j.Period)
				mu.Lock()
				if err != nil {
					r.Failed++
					errs = append(errs, err)
				} else {
					r.Outcomes[outcome]++
				}
				mu.Unlock()
			}
		})
	}
	for _, d := range due {
		work <- d
	}
	close(work)
	wg.Wait()
	return r, errors.Join(errs...)
}
