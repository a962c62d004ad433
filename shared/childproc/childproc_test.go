//go:build unix

package childproc_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/childproc"
)

func mustStart(tb testing.TB, name string, cmd *exec.Cmd) *childproc.Child {
	tb.Helper()
	c, err := childproc.Start(name, cmd)
	if err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() { _ = c.Stop() })
	return c
}

// mustExit waits for c to exit on its own.
func mustExit(tb testing.TB, c *childproc.Child) {
	tb.Helper()
	select {
	case <-c.Exited():
	case <-time.After(10 * time.Second):
		tb.Fatal("child did not exit")
	}
}

// alive reports whether pid runs. A zombie is dead: PID 1 in a container
// may never reap an orphan.
func alive(pid int) bool {
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		// pid (comm) S ...: the state follows the last ')'.
		s := string(stat)
		return !strings.HasPrefix(s[strings.LastIndexByte(s, ')')+1:], " Z")
	}
	return syscall.Kill(pid, 0) == nil
}

func TestStop(t *testing.T) {
	t.Run("KillsGroup", func(t *testing.T) {
		c := mustStart(t, "sleeper", exec.Command("sh", "-c", "sleep 60 & echo $!; wait"))
		var grandchild int
		for deadline := time.Now().Add(10 * time.Second); grandchild == 0; {
			if time.Now().After(deadline) {
				t.Fatalf("no grandchild pid in output %q", c.Output())
			}
			grandchild, _ = strconv.Atoi(strings.TrimSpace(c.Output()))
			time.Sleep(10 * time.Millisecond)
		}

		began := time.Now()
		if err := c.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if took := time.Since(began); took > 4*time.Second {
			t.Errorf("Stop took %v; SIGTERM should have been enough", took)
		}
		select {
		case <-c.Exited():
		default:
			t.Fatal("Exited not closed after Stop")
		}
		// A signal is delivered asynchronously: the grandchild, which
		// nobody waits for, may take a moment to die after the group's
		// SIGKILL.
		for _, pid := range []int{c.Pid(), grandchild} {
			for deadline := time.Now().Add(2 * time.Second); alive(pid); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Errorf("pid %d still alive 2 s after Stop", pid)
					break
				}
			}
		}
	})

	t.Run("Twice", func(t *testing.T) {
		c := mustStart(t, "sleeper", exec.Command("sleep", "60"))
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() { errs[i] = c.Stop() })
		}
		wg.Wait()
		errs = append(errs, c.Stop())
		for i, err := range errs {
			if err != nil {
				t.Errorf("Stop %d: %v", i, err)
			}
		}
	})
}

func TestExitError(t *testing.T) {
	for _, tt := range []struct {
		name   string
		script string
		want   string
	}{
		{"Status", "echo starting; echo boom >&2; exit 3",
			"crasher exited unexpectedly (exit status 3)\n--- crasher output ---\nstarting\nboom"},
		{"StatusZero", "exit 0", "crasher exited unexpectedly (status 0)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := mustStart(t, "crasher", exec.Command("sh", "-c", tt.script))
			mustExit(t, c)
			got := c.ExitError().Error()
			if got != tt.want {
				t.Errorf("ExitError = %q, want %q", got, tt.want)
			}
			for i := range 2 {
				if err := c.Stop(); err == nil || err.Error() != got {
					t.Errorf("Stop %d = %v, want %q", i, err, got)
				}
			}
		})
	}
}

func TestStart(t *testing.T) {
	t.Run("KeepsWriters", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command("sh", "-c", "echo out; echo err >&2")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		c := mustStart(t, "writer", cmd)
		mustExit(t, c)
		if got, want := stdout.String(), "out\n"; got != want {
			t.Errorf("stdout = %q, want %q", got, want)
		}
		if got, want := stderr.String(), "err\n"; got != want {
			t.Errorf("stderr = %q, want %q", got, want)
		}
		if got := c.Output(); !strings.Contains(got, "out\n") || !strings.Contains(got, "err\n") {
			t.Errorf("Output = %q, want both streams", got)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := childproc.Start("missing", exec.Command("/nonexistent/binary"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Start = %v, want os.ErrNotExist", err)
		}
	})
}
