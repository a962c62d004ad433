//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgplane/orgplane/infra/local/lambdamode"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/repo"
)

// TestStackSmoke runs the whole stack as `make run` does (the test binary
// re-run as main), against the test DynamoDB Local, with its own MailDev:
// it serves /health and a token that works on /me, and SIGINT stops it
// cleanly with its children.
func TestStackSmoke(t *testing.T) { smoke(t, false) }

// TestStackSmokeLambda is the same scenario in Lambda mode (make run
// LAMBDA=1): GET /me runs get-me's bootstrap under the emulator, and the
// personal org it makes reaches create-wallet's. Only those two are built.
func TestStackSmokeLambda(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	if err := lambdamode.Build(t.Context(), root, "get-me", "create-wallet"); err != nil {
		t.Fatal(err)
	}
	smoke(t, true)
}

// runningStack is the stack started as `make run` starts it: the test
// binary re-run as main.
type runningStack struct {
	cmd            *exec.Cmd
	base, mailWeb  string // the API's URL, MailDev's web/REST URL
	stdout, stderr *syncBuffer
	exited         chan struct{} // closed once waitErr is set
	waitErr        error
}

// startStack runs the stack on free ports over a fresh table of the test
// DynamoDB Local, in Lambda mode or not, with env added to its
// environment, and waits for its quick-start.
func startStack(t *testing.T, lambda bool, env ...string) *runningStack {
	t.Helper()
	ports := freePorts(t, 4)
	tableName := ddbtest.TableName(t.Name())
	t.Cleanup(func() {
		_, _ = ddbtest.Client(t).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(tableName)})
	})

	st := &runningStack{cmd: exec.Command(os.Args[0]), base: "http://" + host + ":" + ports[0],
		mailWeb: "http://" + host + ":" + ports[2], stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	st.cmd.Env = append(append(os.Environ(), stackChildEnv+"=1",
		"PORT="+ports[0], "MAILDEV_SMTP_PORT="+ports[1], "MAILDEV_WEB_PORT="+ports[2], "S3_PORT="+ports[3], "S3_ENDPOINT=",
		"DYNAMODB_ENDPOINT="+ddbtest.Endpoint(t), "TABLE_NAME="+tableName,
		"PERSIST=0", "SMTP_ADDR=", "APP_URL=", "SCHEDULE_EVERY=", "CURSOR_SECRET=", "INVITE_TOKEN_SECRET=",
		"APP_IDLE_TIMEOUT=", "LAMBDA="+strconv.FormatBool(lambda), "LAMBDA_RIE=", "LAMBDA_FUNCTIONS_DIR="), env...)
	st.cmd.Stdout, st.cmd.Stderr = st.stdout, st.stderr
	if err := st.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		st.waitErr = st.cmd.Wait()
		close(st.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-st.exited:
		default:
			_ = st.cmd.Process.Kill()
			<-st.exited
		}
	})

	waitHealthy(t, st.base, st.exited, st.stderr)
	st.waitFor(t, "the quick-start", func() bool { return strings.Contains(st.stdout.String(), "Ctrl-C stops everything") })
	if out := st.stdout.String(); !strings.Contains(out, "Orgplane is running") || !strings.Contains(out, st.mailWeb) {
		t.Errorf("quick-start does not name the stack and MailDev:\n%s", out)
	}
	mode := "Mode         in-process"
	if lambda {
		mode = "Mode         Lambda"
	}
	if !strings.Contains(st.stdout.String(), mode) {
		t.Errorf("quick-start does not say %q:\n%s", mode, st.stdout.String())
	}
	return st
}

func (st *runningStack) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitFor(t, what, st.exited, st.stderr, cond)
}

// stop sends SIGINT and checks the stack and all its children stop cleanly.
func (st *runningStack) stop(t *testing.T, children []int) {
	t.Helper()
	if err := st.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.exited:
		if st.waitErr != nil {
			t.Fatalf("the stack exited with %v after SIGINT:\n%s", st.waitErr, st.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the stack did not stop within 30s of SIGINT:\n%s", st.stderr.String())
	}
	if !strings.Contains(st.stderr.String(), "Stopped.") {
		t.Errorf("no clean stop reported:\n%s", st.stderr.String())
	}
	for _, pid := range children {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("child process %d still exists after the stack stopped (kill 0: %v)", pid, err)
		}
	}
}

func smoke(t *testing.T, lambda bool) {
	st := startStack(t, lambda)
	s := &devServer{URL: st.base}
	var me struct{ Email string }
	if status, _ := s.do(t, "GET", "/me", "", "", s.mustToken(t, "smoke@example.com"), &me); status != 200 || me.Email != "smoke@example.com" {
		t.Fatalf("GET /me: %d %+v\n%s", status, me, st.stderr.String())
	}
	if lambda {
		st.waitFor(t, "create-wallet's run", func() bool {
			return strings.Contains(st.stderr.String(), "consumer=create-wallet records=1")
		})
	}
	children := childPids(t, st.cmd.Process.Pid) // MailDev, and the emulators in Lambda mode
	if n := emulators(t, children); lambda && n != 2 || !lambda && n != 0 {
		t.Errorf("%d emulators run; want get-me's and create-wallet's in Lambda mode, none otherwise", n)
	}
	st.stop(t, children)
}

// emulators counts the aws-lambda-rie processes among pids.
func emulators(t *testing.T, pids []int) int {
	t.Helper()
	n := 0
	for _, pid := range pids {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); err == nil && strings.TrimSpace(string(b)) == "aws-lambda-rie" {
			n++
		}
	}
	return n
}

// waitHealthy waits until /health answers 200.
func waitHealthy(t *testing.T, base string, exited <-chan struct{}, stderr *syncBuffer) {
	t.Helper()
	waitFor(t, "/health", exited, stderr, func() bool {
		resp, err := http.Get(base + healthPath)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitFor polls cond, failing if the stack exits first or a minute passes.
func waitFor(t *testing.T, what string, exited <-chan struct{}, stderr *syncBuffer, cond func() bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("the stack exited while waiting for %s:\n%s", what, stderr.String())
		case <-deadline:
			t.Fatalf("no %s after a minute:\n%s", what, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// childPids lists the processes whose parent is pid (Linux; elsewhere
// none, and the test checks less).
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return nil
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			n, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		t.Fatalf("the stack (pid %d) has no child processes; MailDev should be one", pid)
	}
	return out
}

func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	for range n {
		ln, err := net.Listen("tcp", host+":0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports
}

// syncBuffer is a goroutine-safe bytes.Buffer.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
