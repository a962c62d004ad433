package runner

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/triggers"
)

// ErrUnknownSchedule is RunNow's answer for a name no schedule has.
var ErrUnknownSchedule = errors.New("runner: no such schedule")

// Scheduler runs scheduled jobs as EventBridge rate rules do: each job's
// handler is built once and invoked every rate with a "Scheduled Event",
// under the function's timeout. RunNow runs a job on demand through the
// same path (the local POST /dev/schedules/{name}/run). A job never runs
// twice at once, so an on-demand run waits for a scheduled one.
type Scheduler struct {
	Schedules []triggers.Schedule
	// Handler builds a job's handler (App.Schedule in the local stack).
	Handler func(triggers.Schedule) triggers.ScheduleHandler
	// Every, when positive, replaces every job's rate (SCHEDULE_EVERY).
	Every time.Duration
	Log   *slog.Logger

	once sync.Once
	jobs map[string]*job
}

type job struct {
	s       triggers.Schedule
	handler triggers.ScheduleHandler
	mu      sync.Mutex // one run at a time
}

// Run is the outcome of one successful run of a job.
type Run struct {
	Schedule   string    `json:"schedule"`
	EventID    string    `json:"event_id"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
}

func (s *Scheduler) init() {
	s.once.Do(func() {
		s.jobs = map[string]*job{}
		for _, sc := range s.Schedules {
			s.jobs[sc.Name] = &job{s: sc, handler: s.Handler(sc)}
		}
	})
}

// Rate is how often the scheduler runs the job: the scheduler's Every if
// set, else the job's own Every (the source of its EventBridge rate), else
// a minute.
func (s *Scheduler) Rate(sc triggers.Schedule) time.Duration {
	switch {
	case s.Every > 0:
		return s.Every
	case sc.Every > 0:
		return sc.Every
	}
	return time.Minute
}

// Run runs every job on its rate until ctx ends. Failed runs are logged
// (EventBridge would retry them and then drop the event).
func (s *Scheduler) Run(ctx context.Context) error {
	s.init()
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		wg.Go(func() {
			t := time.NewTicker(s.Rate(j.s))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					_, _ = s.fire(ctx, j)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// RunNow runs the named job once, now, and returns when it is done.
func (s *Scheduler) RunNow(ctx context.Context, name string) (Run, error) {
	s.init()
	j, ok := s.jobs[name]
	if !ok {
		return Run{}, ErrUnknownSchedule
	}
	return s.fire(ctx, j)
}

func (s *Scheduler) fire(ctx context.Context, j *job) (Run, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	ev := ScheduledEvent(j.s.Name, time.Now())
	run := Run{Schedule: j.s.Name, EventID: ev.ID, StartedAt: ev.Time}
	began := time.Now()
	_, err := invoke(ctx, j.s.Name, time.Duration(j.s.Timeout())*time.Second,
		func(ctx context.Context) (struct{}, error) { return struct{}{}, j.handler(ctx, ev) })
	run.DurationMS = time.Since(began).Milliseconds()
	log := s.logger().With("schedule", j.s.Name, "duration", time.Since(began).Round(time.Millisecond))
	if err != nil {
		log.Error("scheduled job failed", "err", err)
		return run, err
	}
	// The job logs its own summary; a second line per tick is noise.
	log.Debug("scheduled job ran")
	return run, nil
}

// ScheduledEvent is the event an EventBridge rate rule named after the job
// delivers at t.
func ScheduledEvent(name string, t time.Time) events.EventBridgeEvent {
	return events.EventBridgeEvent{
		Version:    "0",
		ID:         newUUID(),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		AccountID:  Account,
		Time:       t.UTC().Truncate(time.Second),
		Region:     Region,
		Resources:  []string{"arn:aws:events:" + Region + ":" + Account + ":rule/" + name},
		Detail:     json.RawMessage("{}"),
	}
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
