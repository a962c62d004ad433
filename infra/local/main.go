// Command local runs Orgplane on one machine, as `make run` does:
//
//	go run ./infra/local [-persist] [-v]
//
// It starts DynamoDB Local (the real one, from infra/node_modules) and
// MailDev as child processes, creates the table from the one table
// definition, and serves every API route on one net/http server with the
// same wiring and middleware as the Lambda functions (shared/app), beside
// /health and the dev endpoints: the local OIDC issuer that the API
// verifies tokens against over its JWKS, and on-demand schedule runs. A
// stream runner feeds the table's stream to the stream consumers and a
// scheduler runs the scheduled jobs (package runner), as Lambda and
// EventBridge do in AWS. Ctrl-C stops it all. Run with -h for settings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/orgplane/orgplane/shared/ddblocal"
)

func main() {
	cfg, err := loadConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fail(err, 2)
	}
	if cfg.Root, err = ddblocal.RepoRoot(); err != nil {
		fail(fmt.Errorf("run it from inside the repository: %w", err), 2)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends the process at once (children die with it on Linux)
	}()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fail(err, 1)
	}
}

func fail(err error, code int) {
	fmt.Fprintln(os.Stderr, "orgplane local:", err)
	os.Exit(code)
}
