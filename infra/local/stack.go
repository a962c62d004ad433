package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/infra/local/lambdamode"
	"github.com/orgplane/orgplane/infra/local/runner"
	"github.com/orgplane/orgplane/shared/app"
	"github.com/orgplane/orgplane/shared/app/deps"
	"github.com/orgplane/orgplane/shared/app/web"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/console"
	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/triggers"
)

// streamsReadyTimeout bounds how long the quick-start waits for the
// stream consumers to hold their shard positions.
const streamsReadyTimeout = 10 * time.Second

// run starts the stack, prints the quick-start to stdout, and serves until
// ctx ends (Ctrl-C) or a part of the stack fails; then it stops everything.
func run(ctx context.Context, cfg config, stdout io.Writer) error {
	began := time.Now()
	// Listen first: a taken port fails before anything is started.
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("cannot serve on %s:%d: %w (another `make run`? set PORT)", host, cfg.Port, err)
	}
	defer ln.Close()
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	consoleLn, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.ConsolePort)))
	if err != nil {
		return fmt.Errorf("cannot serve the console on %s:%d: %w (set CONSOLE_PORT)", host, cfg.ConsolePort, err)
	}
	defer consoleLn.Close()
	cfg.ConsolePort = consoleLn.Addr().(*net.TCPAddr).Port
	if cfg.AppURL == "" {
		// Invitation emails link to the console's /invitations/{token} page.
		cfg.AppURL = cfg.consoleURL()
	}
	if !console.Built() {
		slog.Warn("the web console is not built: run `make console` (make run builds it)")
	}

	kids, err := startChildren(ctx, &cfg)
	if err != nil {
		return err
	}
	defer kids.stop()

	db, err := ddblocal.NewClient(ctx, cfg.DynamoDBEndpoint)
	if err != nil {
		return err
	}
	tableExisted, err := ensureTable(ctx, db, cfg.TableName)
	if err != nil {
		return fmt.Errorf("DynamoDB at %s: %w", cfg.DynamoDBEndpoint, err)
	}

	env, err := localEnv(cfg)
	if err != nil {
		return err
	}
	var (
		apiHandler http.Handler
		stream     func(triggers.StreamConsumer) triggers.StreamHandler
		schedule   func(triggers.Schedule) triggers.ScheduleHandler
	)
	if cfg.Lambda {
		lm, err := lambdamode.New(deploy.Current(), lambdamode.Options{
			Emulator: cfg.emulator(), FunctionsDir: cfg.functionsDir(), Verbose: cfg.Verbose,
		}, env)
		if err != nil {
			return err
		}
		defer lm.Stop()
		apiHandler, stream, schedule = lm.API, lm.Stream, lm.Schedule
	} else {
		a, err := newApp(ctx, env)
		if err != nil {
			return err
		}
		apiHandler = web.API(a, web.Exports).Mux()
		d := deps.Of(a, deps.Mail, deps.Exports)
		stream = func(c triggers.StreamConsumer) triggers.StreamHandler { return c.New(d) }
		schedule = func(s triggers.Schedule) triggers.ScheduleHandler { return s.New(d) }
	}
	issuer, err := auth.NewDevIssuer(cfg.baseURL(), cfg.Audience)
	if err != nil {
		return err
	}
	streamsClient, err := ddblocal.NewStreamsClient(ctx, cfg.DynamoDBEndpoint)
	if err != nil {
		return err
	}
	streams := &runner.Streams{
		DB:            db,
		StreamsClient: streamsClient,
		Table:         cfg.TableName,
		Consumers:     triggers.StreamConsumers,
		Handler:       stream,
		FromLatest:    tableExisted,
	}
	schedules := &runner.Scheduler{
		Schedules: triggers.Schedules,
		Handler:   schedule,
		Every:     cfg.ScheduleEvery,
	}
	dev := newDevAPI(issuer, db, cfg.TableName, schedules)
	srv := &http.Server{
		Handler:           accessLog(cors(cfg.consoleURL(), dev.handler(apiHandler))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	consoleSrv := &http.Server{
		Handler:           console.Handler(console.Config{APIURL: cfg.baseURL(), Auth: "dev"}),
		ReadHeaderTimeout: 10 * time.Second,
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	crashed := kids.crashed(runCtx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	go func() { served <- consoleSrv.Serve(consoleLn) }()
	var wg sync.WaitGroup
	wg.Go(func() { logErr("stream runner", streams.Run(runCtx)) })
	wg.Go(func() { logErr("scheduler", schedules.Run(runCtx)) })
	var failed error
	select {
	case <-streams.Ready():
	case <-time.After(streamsReadyTimeout):
		slog.Warn("the stream consumers cannot read the stream yet; see the warnings above")
	case <-ctx.Done():
	case failed = <-crashed:
	case err := <-served:
		failed = fmt.Errorf("HTTP server: %w", err)
	}
	if failed == nil && ctx.Err() == nil {
		printQuickStart(stdout, cfg, kids, schedules, time.Since(began))
		select {
		case <-ctx.Done():
		case failed = <-crashed:
		case err := <-served:
			failed = fmt.Errorf("HTTP server: %w", err)
		}
	}
	if failed == nil {
		fmt.Fprintln(os.Stderr, "\nStopping the local stack (Ctrl-C again to force)...")
	}

	cancel()
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShutdown()
	for _, s := range []*http.Server{srv, consoleSrv} {
		if err := s.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Warn("HTTP server shutdown", "err", err)
		}
	}
	wg.Wait()
	kids.stop()
	if failed != nil {
		return fmt.Errorf("%w\nThe local stack has stopped.", failed)
	}
	fmt.Fprintln(os.Stderr, "Stopped.")
	return nil
}

// localEnv is the environment the functions read (app.FromEnv), pointed
// at the local stack, with the secrets (secretEnvs) filled in.
func localEnv(cfg config) (map[string]string, error) {
	env := cfg.appEnv()
	for _, name := range secretEnvs {
		v, err := localSecret(name, os.Getenv(name), cfg.Persist, cfg.stateDir())
		if err != nil {
			return nil, err
		}
		env[name] = v
	}
	return env, nil
}

// newApp builds the app exactly as a Lambda function does, from the
// environment env, which it applies to this process.
func newApp(ctx context.Context, env map[string]string) (*app.App, error) {
	if err := setenv(env); err != nil {
		return nil, err
	}
	c, err := app.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return app.New(ctx, c)
}

func logErr(what string, err error) {
	if err != nil {
		slog.Error(what+" stopped", "err", err)
	}
}

// accessLog logs each request, as API Gateway's access log does in AWS.
func accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		slog.Info("http", "method", r.Method, "path", redactToken(r.URL.Path), "status", sw.status,
			"duration", time.Since(began).Round(time.Microsecond))
	})
}

// redactToken hides the invitation token of /invitations/{token}[/…], as
// API Gateway's log, which records the route key, never shows it.
func redactToken(path string) string {
	rest, ok := strings.CutPrefix(path, "/invitations/")
	if !ok {
		return path
	}
	_, tail, _ := strings.Cut(rest, "/")
	if tail != "" {
		tail = "/" + tail
	}
	return "/invitations/{token}" + tail
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
