package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/orgplane/orgplane/infra/local/runner"
	"github.com/orgplane/orgplane/shared/triggers"
)

// printQuickStart tells a newcomer where everything is and how to make a
// first authenticated call.
func printQuickStart(w io.Writer, cfg config, kids *children, schedules *runner.Scheduler, took time.Duration) {
	base := cfg.baseURL()
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("")
	line("Orgplane is running (ready in %.1fs).", took.Seconds())
	line("")
	line("  API          %s  (every route; GET /health)", base)
	if cfg.Lambda {
		line("  Mode         Lambda: each function's bootstrap (%s) under aws-lambda-rie, started on first use", cfg.functionsDir())
	} else {
		line("  Mode         in-process: every route on this server (make run LAMBDA=1 runs the real binaries)")
	}
	storage := "in memory (PERSIST=1 keeps data in .local/)"
	if cfg.Persist {
		storage = "kept in .local/dynamodb"
	}
	if kids.ddb == nil {
		storage = "DYNAMODB_ENDPOINT"
	}
	line("  DynamoDB     %s  table %q, %s", cfg.DynamoDBEndpoint, cfg.TableName, storage)
	if kids.mail != nil {
		line("  MailDev      %s  (inbox; REST GET /email)  SMTP %s", kids.mail.WebURL, kids.mail.SMTPAddr)
	} else {
		line("  Mail         SMTP %s (SMTP_ADDR)", cfg.SMTPAddr)
	}
	if kids.s3 != nil {
		line("  S3           %s  (export bucket %q, in memory; downloads need the presigned links the API gives)", cfg.S3Endpoint, cfg.ExportBucket)
	} else {
		line("  S3           %s  (S3_ENDPOINT; export bucket %q)", cfg.S3Endpoint, cfg.ExportBucket)
	}
	line("  OIDC issuer  %s  (JWKS %s; tokens from POST %s)", base, jwksPath, tokenPath)
	line("  Streams      %s", consumerNames())
	for _, s := range schedules.Schedules {
		line("  Schedule     %s every %v (SCHEDULE_EVERY); run now: curl -X POST %s/dev/schedules/%s/run",
			s.Name, schedules.Rate(s), base, s.Name)
	}
	line("")
	line("Get a token and call the API:")
	line(`  TOKEN=$(curl -s %s%s -H 'Content-Type: application/json' -d '{"email":"ada@example.com","name":"Ada"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')`, base, tokenPath)
	line(`  curl -s %s/me -H "Authorization: Bearer $TOKEN"`, base)
	line(`  curl -s %s/organizations -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"Acme","slug":"acme"}'`, base)
	line("")
	line("Ctrl-C stops everything.")
	fmt.Fprint(w, b.String())
}

func consumerNames() string {
	if len(triggers.StreamConsumers) == 0 {
		return "(no consumers yet)"
	}
	names := make([]string, len(triggers.StreamConsumers))
	for i, c := range triggers.StreamConsumers {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
