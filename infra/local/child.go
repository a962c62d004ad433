package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// child is a long-running child process of the stack (MailDev). It runs
// in its own process group, so a terminal's Ctrl-C reaches only the stack,
// which stops it in order; on Linux the kernel also kills it if the stack
// dies without stopping it.
type child struct {
	name    string
	cmd     *exec.Cmd
	out     *tail
	exited  chan struct{} // closed when the process has exited
	waitErr error         // valid once exited is closed

	stopOnce sync.Once
	stopErr  error
}

// startChild starts cmd, copying its output to w (if not nil) and keeping
// the last lines for error messages.
func startChild(name string, cmd *exec.Cmd, w io.Writer) (*child, error) {
	c := &child{name: name, cmd: cmd, out: &tail{max: 8 << 10}, exited: make(chan struct{})}
	var sink io.Writer = c.out
	if w != nil {
		sink = io.MultiWriter(c.out, w)
	}
	cmd.Stdout, cmd.Stderr = sink, sink
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// Exited is closed when the process has exited, for whatever reason.
func (c *child) Exited() <-chan struct{} { return c.exited }

// Pid is the process id.
func (c *child) Pid() int { return c.cmd.Process.Pid }

// Stop ends the process group (SIGTERM, SIGKILL after 5s) and waits for
// the process. It reports an exit that happened before Stop, not the one
// it caused. Safe to call more than once.
func (c *child) Stop() error {
	c.stopOnce.Do(func() {
		select {
		case <-c.exited:
			c.stopErr = c.exitError()
			return
		default:
		}
		_ = signalGroup(c.cmd, false)
		select {
		case <-c.exited:
		case <-time.After(5 * time.Second):
			_ = signalGroup(c.cmd, true)
			<-c.exited
		}
		_ = signalGroup(c.cmd, true) // anything left in the group
	})
	return c.stopErr
}

func (c *child) exitError() error {
	status := "status 0"
	if c.waitErr != nil {
		status = c.waitErr.Error()
	}
	return fmt.Errorf("%s exited unexpectedly (%s)%s", c.name, status, c.out.suffix(c.name))
}

var errChildExited = errors.New("exited during start-up")

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

// suffix formats the kept output for the end of an error message.
func (t *tail) suffix(name string) string {
	s := strings.TrimSpace(t.String())
	if s == "" {
		return ""
	}
	return "\n--- " + name + " output ---\n" + s
}
