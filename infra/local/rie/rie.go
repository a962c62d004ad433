// Package rie runs Lambda functions' real bootstrap binaries locally under
// the AWS Lambda Runtime Interface Emulator (what `sam local` runs inside
// its containers), one emulator process per function, without Docker.
//
// A Pool starts a function on its first invocation and keeps it warm
// until Stop; invocations of one function are serialized, as one Lambda
// execution environment handles one event at a time. Emulator and
// function run in their own process group (shared/childproc), so Stop
// takes both down.
package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orgplane/orgplane/shared/childproc"
)

// InvokePath is where the emulator takes invocations, as the Lambda
// Invoke API does (the function name is always "function").
const InvokePath = "/2015-03-31/functions/function/invocations"

// startTimeout bounds how long an emulator may take to listen.
const startTimeout = 30 * time.Second

// Function is one function the pool may run.
type Function struct {
	Name string
	// Bootstrap is the function's executable (a provided.al2023 bootstrap
	// built for this host).
	Bootstrap string
	// Env is the function's whole environment, as NAME=value: the
	// emulator passes its own environment on to the function, and nothing
	// of the pool's environment leaks in.
	Env []string
	// MemoryMB and Timeout are the function's settings, for the
	// emulator's reports and its invocation deadline.
	MemoryMB int
	Timeout  time.Duration
}

// Pool runs functions under the emulator.
type Pool struct {
	// Emulator is the aws-lambda-rie executable.
	Emulator string
	// Log receives one line per cold start and the functions' own output
	// (prefixed with their name); nil is slog.Default().
	Log *slog.Logger
	// Verbose also passes on the emulator's own lines (START, END, REPORT).
	Verbose bool
	// Output receives the functions' output lines; nil is os.Stderr.
	Output io.Writer

	mu      sync.Mutex
	fns     map[string]*instance
	stopped bool
}

// instance is one function and, once started, its emulator.
type instance struct {
	fn     Function
	mu     sync.Mutex // one invocation at a time; guards the fields below
	child  *childproc.Child
	url    string
	client *http.Client
	// pid is the running emulator's, 0 when none; read without mu, so
	// that Running does not wait for invocations.
	pid atomic.Int64
}

// Add makes fn available to Invoke. Functions are added before use.
func (p *Pool) Add(fn Function) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fns == nil {
		p.fns = map[string]*instance{}
	}
	p.fns[fn.Name] = &instance{fn: fn}
}

// ErrUnknownFunction is Invoke's answer for a name no Add gave.
var ErrUnknownFunction = errors.New("rie: no such function")

// FunctionError is a function's failed invocation: the handler returned
// an error or panicked, or the runtime failed. Lambda reports it as a
// function error; API Gateway answers 500.
type FunctionError struct {
	Function string
	Type     string `json:"errorType"`
	Message  string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function %s failed: %s: %s", e.Function, e.Type, e.Message)
}

// Invoke runs the named function on the event payload and returns its
// response payload. The function is started first if it is not running
// (a cold start). A function error is a *FunctionError.
func (p *Pool) Invoke(ctx context.Context, name string, payload []byte) ([]byte, error) {
	p.mu.Lock()
	in, ok := p.fns[name]
	stopped := p.stopped
	p.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFunction, name)
	}
	if stopped {
		return nil, errors.New("rie: the pool is stopped")
	}

	in.mu.Lock()
	defer in.mu.Unlock()
	cold := false
	if in.child != nil {
		select {
		case <-in.child.Exited():
			p.logger().Warn("lambda: function exited; starting it again", "function", name,
				"err", in.child.ExitError())
			in.child = nil
			in.pid.Store(0)
		default:
		}
	}
	began := time.Now()
	if in.child == nil {
		if err := p.start(ctx, in); err != nil {
			return nil, err
		}
		cold = true
	}
	out, err := in.invoke(ctx, payload)
	if cold {
		p.logger().Info("lambda: cold start", "function", name,
			"first_invocation", time.Since(began).Round(time.Millisecond))
	}
	return out, err
}

// Running lists the process ids of the emulators that run, by function.
func (p *Pool) Running() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for name, in := range p.fns {
		if pid := in.pid.Load(); pid != 0 {
			out[name] = int(pid)
		}
	}
	return out
}

// Stop stops every emulator and its function. Invoke fails afterwards.
func (p *Pool) Stop() {
	p.mu.Lock()
	p.stopped = true
	var children []*childproc.Child
	for _, in := range p.fns {
		in.mu.Lock()
		if in.child != nil {
			children = append(children, in.child)
		}
		in.pid.Store(0)
		in.mu.Unlock()
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range children {
		wg.Go(func() { _ = c.Stop() })
	}
	wg.Wait()
}

// start runs the function's emulator and waits until it listens. The
// emulator starts the bootstrap on the first invocation.
func (p *Pool) start(ctx context.Context, in *instance) error {
	fn := in.fn
	if _, err := os.Stat(fn.Bootstrap); err != nil {
		return fmt.Errorf("rie: no bootstrap for %s (make run LAMBDA=1 builds them): %w", fn.Name, err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	cmd := exec.Command(p.Emulator,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(ports[1]),
		"./"+filepath.Base(fn.Bootstrap))
	cmd.Dir = filepath.Dir(fn.Bootstrap)
	cmd.Env = append(fn.Env,
		"AWS_LAMBDA_FUNCTION_NAME="+fn.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(fn.Timeout.Seconds())),
	)
	out := &lineWriter{emit: p.outputLine(fn.Name)}
	cmd.Stdout, cmd.Stderr = out, out
	child, err := childproc.Start("aws-lambda-rie "+fn.Name, cmd)
	if err != nil {
		return fmt.Errorf("rie: starting %s: %w", fn.Name, err)
	}
	in.url = "http://" + addr + InvokePath
	in.client = &http.Client{Timeout: fn.Timeout + 5*time.Second}
	if err := waitListening(ctx, addr, child); err != nil {
		_ = child.Stop()
		return fmt.Errorf("rie: %s: %w", fn.Name, err)
	}
	in.child = child
	in.pid.Store(int64(child.Pid()))
	return nil
}

func (in *instance) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := in.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoking %s: %w", in.fn.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("rie: reading %s's response: %w", in.fn.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &FunctionError{Function: in.fn.Name, Type: "Runtime.Emulator",
			Message: fmt.Sprintf("the emulator answered %d: %s", resp.StatusCode, bytes.TrimSpace(body))}
	}
	if bytes.HasPrefix(body, []byte("Task timed out after ")) {
		return nil, &FunctionError{Function: in.fn.Name, Type: "Sandbox.Timedout", Message: string(body)}
	}
	if fe := functionError(body); fe != nil {
		fe.Function = in.fn.Name
		return nil, fe
	}
	return body, nil
}

// functionError recognizes the runtime's error document, which the
// emulator returns with status 200 (Lambda marks it X-Amz-Function-Error).
func functionError(body []byte) *FunctionError {
	if !bytes.Contains(body, []byte(`"errorType"`)) {
		return nil
	}
	var fe FunctionError
	var keys map[string]json.RawMessage
	if json.Unmarshal(body, &keys) != nil || json.Unmarshal(body, &fe) != nil || fe.Type == "" {
		return nil
	}
	for k := range keys {
		if k != "errorType" && k != "errorMessage" && k != "stackTrace" {
			return nil
		}
	}
	return &fe
}

// initReport is the emulator's line with the real init duration (its
// REPORT line's "Init Duration" is wrong when the function starts lazily).
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// outputLine passes on a line of the emulator's output: the function's
// own lines always, the emulator's only when verbose, and the init
// duration as a log attribute.
func (p *Pool) outputLine(name string) func(string) {
	return func(line string) {
		log := p.logger()
		if m := initReport.FindStringSubmatch(line); m != nil {
			ms, _ := strconv.ParseFloat(m[1], 64)
			log.Info("lambda: init", "function", name, "init_duration", time.Duration(ms*float64(time.Millisecond)).Round(10*time.Microsecond))
			return
		}
		emulator := strings.Contains(line, "] (rapid) ") || strings.HasPrefix(line, "START RequestId:") ||
			strings.HasPrefix(line, "END RequestId:") || strings.HasPrefix(line, "REPORT RequestId:")
		if emulator && !p.Verbose {
			return
		}
		out := p.Output
		if out == nil {
			out = os.Stderr
		}
		fmt.Fprintf(out, "[%s] %s\n", name, line)
	}
}

func (p *Pool) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// lineWriter calls emit for each complete line written to it.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

// waitListening waits until addr accepts connections, the child exits,
// or ctx or startTimeout ends.
func waitListening(ctx context.Context, addr string, child *childproc.Child) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-child.Exited():
			return child.ExitError()
		case <-ctx.Done():
			return fmt.Errorf("the emulator is not listening on %s: %w%s", addr, ctx.Err(), child.Suffix())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// freePorts picks n free loopback ports, holding all of them until all
// are picked so they differ.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("rie: picking a free port: %w", err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
