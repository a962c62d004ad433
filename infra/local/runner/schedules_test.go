package runner_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/infra/local/runner"
	"github.com/orgplane/orgplane/shared/triggers"
)

// checkEvent fails the test unless ev and ctx look like an EventBridge
// scheduled invocation of a function with the timeout.
func checkEvent(t *testing.T, ctx context.Context, ev events.EventBridgeEvent, timeout time.Duration) {
	t.Helper()
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || ev.ID == "" ||
		ev.Time.IsZero() || len(ev.Resources) != 1 || string(ev.Detail) != "{}" {
		t.Errorf("event %+v", ev)
	}
	deadline, ok := ctx.Deadline()
	if !ok || time.Until(deadline) > timeout {
		t.Errorf("deadline %v (set %v), want within %v", deadline, ok, timeout)
	}
}

func TestSchedulerRunsOnRate(t *testing.T) {
	var runs atomic.Int32
	three := make(chan struct{})
	s := &runner.Scheduler{
		Schedules: []triggers.Schedule{{Name: "tick", Every: 10 * time.Millisecond, TimeoutSeconds: 5}},
		Handler: func(sc triggers.Schedule) triggers.ScheduleHandler {
			return func(ctx context.Context, ev events.EventBridgeEvent) error {
				checkEvent(t, ctx, ev, 5*time.Second)
				if runs.Add(1) == 3 {
					close(three)
				}
				return nil
			}
		},
		Log: (&logBuffer{}).logger(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-three:
	case <-time.After(wait):
		t.Fatalf("%d runs, want 3", runs.Load())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestSchedulerRunNow(t *testing.T) {
	var runs atomic.Int32
	s := &runner.Scheduler{
		Schedules: []triggers.Schedule{
			{Name: "job", Every: time.Hour},
			{Name: "broken", Every: time.Hour},
			{Name: "panics", Every: time.Hour},
		},
		Handler: func(sc triggers.Schedule) triggers.ScheduleHandler {
			return func(ctx context.Context, ev events.EventBridgeEvent) error {
				checkEvent(t, ctx, ev, time.Duration(triggers.DefaultTimeoutSeconds)*time.Second)
				switch sc.Name {
				case "broken":
					return errors.New("broken")
				case "panics":
					panic("boom")
				}
				runs.Add(1)
				return nil
			}
		},
		Log: (&logBuffer{}).logger(),
	}

	t.Run("OK", func(t *testing.T) {
		run, err := s.RunNow(t.Context(), "job")
		if err != nil {
			t.Fatalf("RunNow: %v", err)
		}
		if run.Schedule != "job" || run.EventID == "" || run.StartedAt.IsZero() || runs.Load() != 1 {
			t.Fatalf("run %+v, %d runs", run, runs.Load())
		}
	})
	t.Run("ErrUnknownSchedule", func(t *testing.T) {
		if _, err := s.RunNow(t.Context(), "nope"); !errors.Is(err, runner.ErrUnknownSchedule) {
			t.Fatalf("err %v, want ErrUnknownSchedule", err)
		}
	})
	t.Run("ErrJobFailed", func(t *testing.T) {
		for _, name := range []string{"broken", "panics"} {
			if _, err := s.RunNow(t.Context(), name); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
	})
}
