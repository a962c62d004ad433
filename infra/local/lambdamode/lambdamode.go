// Package lambdamode is the local stack's Lambda mode (make run
// LAMBDA=1): every function of the lists runs as its real bootstrap
// binary, built for this host, under its own Runtime Interface Emulator,
// started on first use and kept warm (package rie); the routes sit behind
// a local HTTP API front (package apigw); and the stream runner and the
// scheduler invoke their functions through the emulator with the same
// events they build in the default mode. Each function gets the
// environment the CDK stack gives it (deploy.Function.Env) plus what
// points it at the local services (LocalEnv).
package lambdamode

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/infra/local/apigw"
	"github.com/orgplane/orgplane/infra/local/rie"
	"github.com/orgplane/orgplane/infra/local/runner"
	"github.com/orgplane/orgplane/shared/triggers"
)

// Options locate the binaries.
type Options struct {
	// Emulator is the aws-lambda-rie executable (make installs it in
	// .local/bin).
	Emulator string
	// FunctionsDir holds <name>/bootstrap for every function (make builds
	// them in .local/lambda).
	FunctionsDir string
	// Verbose passes on the emulator's own lines too.
	Verbose bool
	// Log and Output are package rie's Pool.Log and Pool.Output.
	Log    *slog.Logger
	Output io.Writer
}

// Mode is the functions under the emulator and the front before them.
type Mode struct {
	pool *rie.Pool
	// API serves every route of the lists through its function.
	API http.Handler
}

// RuntimeEnv is what Lambda itself sets in every function's environment
// (besides AWS_LAMBDA_FUNCTION_*, which package rie sets). The
// credentials are DynamoDB Local's dummies.
var RuntimeEnv = []string{
	"AWS_REGION=" + runner.Region, "AWS_DEFAULT_REGION=" + runner.Region,
	"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
	"TZ=:UTC", "_HANDLER=bootstrap", "PATH=/usr/local/bin:/usr/bin:/bin",
}

// New prepares every function of the lists, its environment's values
// taken from values (by variable name); nothing starts until first used.
func New(lists deploy.Lists, opts Options, values map[string]string) (*Mode, error) {
	fns, err := lists.All()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(opts.Emulator); err != nil {
		return nil, fmt.Errorf("lambda mode: no emulator (make run LAMBDA=1, or make lambda-host, installs it): %w", err)
	}
	pool := &rie.Pool{Emulator: opts.Emulator, Verbose: opts.Verbose, Log: opts.Log, Output: opts.Output}
	for _, f := range fns {
		env, err := Env(f, values)
		if err != nil {
			return nil, err
		}
		pool.Add(rie.Function{
			Name:      f.Name,
			Bootstrap: filepath.Join(opts.FunctionsDir, f.Name, "bootstrap"),
			Env:       env,
			MemoryMB:  f.MemoryMB,
			Timeout:   time.Duration(f.TimeoutSeconds) * time.Second,
		})
	}
	front, err := apigw.New(Routes(fns), pool.Invoke)
	if err != nil {
		return nil, err
	}
	return &Mode{pool: pool, API: front}, nil
}

// Routes are the front's routes: one per HTTP function, its route key
// and the function it invokes.
func Routes(fns []deploy.Function) []apigw.Route {
	var routes []apigw.Route
	for _, f := range fns {
		if f.Kind == deploy.HTTP {
			routes = append(routes, apigw.Route{Method: f.Route.Method, Path: f.Route.Path, Function: f.Name})
		}
	}
	return routes
}

// Env is the function's environment in Lambda mode, as NAME=value: what
// AWS gives it (Env, and OptionalEnv where set) plus LocalEnv where set,
// and Lambda's own RuntimeEnv.
func Env(f deploy.Function, values map[string]string) ([]string, error) {
	var env []string
	for _, k := range f.Env() {
		v := values[k]
		if v == "" && k != deploy.EnvOIDCJWKSURL && k != deploy.EnvAppURL { // both have defaults
			return nil, fmt.Errorf("lambda mode: no value for %s of %s", k, f.Name)
		}
		env = append(env, k+"="+v)
	}
	for _, k := range append(f.LocalEnv(), deploy.OptionalEnv...) {
		if v := values[k]; v != "" {
			env = append(env, k+"="+v)
		}
	}
	return append(env, RuntimeEnv...), nil
}

// Invoke runs the named function on the event payload, through its
// emulator, and returns its response payload.
func (m *Mode) Invoke(ctx context.Context, name string, payload []byte) ([]byte, error) {
	return m.pool.Invoke(ctx, name, payload)
}

// Running lists the emulators' process ids by function.
func (m *Mode) Running() map[string]int { return m.pool.Running() }

// Stop stops every function and its emulator.
func (m *Mode) Stop() { m.pool.Stop() }

// Stream is the consumer's handler: the runner's batch, through the
// emulator, to the consumer's bootstrap.
func (m *Mode) Stream(c triggers.StreamConsumer) triggers.StreamHandler {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		return resp, m.invoke(ctx, c.Name, ev, &resp)
	}
}

// Schedule is the job's handler: the scheduler's event, through the
// emulator, to the job's bootstrap.
func (m *Mode) Schedule(s triggers.Schedule) triggers.ScheduleHandler {
	return func(ctx context.Context, ev events.EventBridgeEvent) error {
		return m.invoke(ctx, s.Name, ev, nil)
	}
}

func (m *Mode) invoke(ctx context.Context, name string, event, out any) error {
	payload, err := json.Marshal(event)
	if err != nil {
		return err
	}
	resp, err := m.pool.Invoke(ctx, name, payload)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return fmt.Errorf("%s: response %.200q: %w", name, resp, err)
	}
	return nil
}

// Paths below the repository root where make puts the Lambda mode's
// binaries.
const (
	EmulatorPath     = ".local/bin/aws-lambda-rie"
	FunctionsDirPath = ".local/lambda"
)

// Build runs make in the repository at root for the emulator and the
// named functions' host builds (all of them: make lambda-host), so the
// flags live in the Makefile alone. Up-to-date binaries are kept; callers
// in other processes (test binaries running in parallel) wait their turn.
func Build(ctx context.Context, root string, functions ...string) error {
	unlock, err := lock(filepath.Join(root, ".local", "build.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	targets := []string{EmulatorPath}
	for _, name := range functions {
		targets = append(targets, FunctionsDirPath+"/"+name+"/bootstrap")
	}
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-C", root}, targets...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make %s: %w\n%s", strings.Join(targets, " "), err, out)
	}
	return nil
}
