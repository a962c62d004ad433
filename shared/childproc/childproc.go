// Package childproc runs a long-lived child process (DynamoDB Local,
// MailDev) in its own process group, so stopping it takes down whatever it
// spawned and a terminal's Ctrl-C reaches only the parent, which stops it
// in order. On Linux the kernel also kills it if the parent dies first,
// e.g. when a test binary panics or hits -timeout. The last of its output
// is kept for error messages.
package childproc

import (
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// grace is how long Stop waits after SIGTERM before SIGKILL.
const grace = 5 * time.Second

// tailBytes is how much output a Child keeps: enough for a Java exception
// and its causes.
const tailBytes = 16 << 10

// Child is a started process.
type Child struct {
	name    string
	cmd     *exec.Cmd
	out     *tail
	exited  chan struct{} // closed when cmd.Wait returns
	waitErr error         // valid once exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts cmd as a Child called name (in messages). Its output still
// goes to cmd.Stdout and cmd.Stderr when they are set, and is also kept.
// An error is cmd.Start's, for the caller to explain.
func Start(name string, cmd *exec.Cmd) (*Child, error) {
	c := &Child{name: name, cmd: cmd, out: &tail{max: tailBytes}, exited: make(chan struct{})}
	stdout := tee(c.out, cmd.Stdout)
	stderr := stdout
	if !same(cmd.Stdout, cmd.Stderr) {
		stderr = tee(c.out, cmd.Stderr)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// Exited is closed when the process has exited, for whatever reason.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// Pid is the process id, which is also its process group id on Unix.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// WaitErr is how the process exited, as cmd.Wait reported it: nil for
// status 0, and nil while it still runs.
func (c *Child) WaitErr() error {
	select {
	case <-c.exited:
		return c.waitErr
	default:
		return nil
	}
}

// Stop ends the process group (SIGTERM, SIGKILL after 5s) and waits for
// the process. It reports an exit that happened before Stop (ExitError),
// not the one it caused. Safe to call more than once and from several
// goroutines.
func (c *Child) Stop() error {
	c.stopOnce.Do(func() {
		select {
		case <-c.exited:
			c.stopErr = c.ExitError()
			return
		default:
		}
		_ = signalGroup(c.cmd, false)
		select {
		case <-c.exited:
		case <-time.After(grace):
			_ = signalGroup(c.cmd, true)
			<-c.exited
		}
		_ = signalGroup(c.cmd, true) // anything left in the group
	})
	return c.stopErr
}

// ExitError describes an exit the parent did not ask for, with the last
// output.
func (c *Child) ExitError() error {
	status := "status 0"
	if err := c.WaitErr(); err != nil {
		status = err.Error()
	}
	return fmt.Errorf("%s exited unexpectedly (%s)%s", c.name, status, c.Suffix())
}

// Output is the last of what the process wrote to stdout and stderr.
func (c *Child) Output() string { return c.out.String() }

// Suffix formats Output for the end of an error message, or is "" when
// there was none.
func (c *Child) Suffix() string { return FormatOutput(c.name, c.Output()) }

// FormatOutput is Suffix for output a caller has filtered.
func FormatOutput(name, output string) string {
	s := strings.TrimSpace(output)
	if s == "" {
		return ""
	}
	return "\n--- " + name + " output ---\n" + s
}

func tee(t *tail, w io.Writer) io.Writer {
	if w == nil {
		return t
	}
	return io.MultiWriter(t, w)
}

// same reports whether stdout and stderr are one writer, so that they can
// share one pipe and keep their order, as exec.Cmd does. Writers of
// uncomparable types are not the same.
func same(a, b io.Writer) (eq bool) {
	defer func() { _ = recover() }()
	return a == b
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
