package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/orgplane/orgplane/infra/local/lambdamode"
)

// config is what the local stack reads from its flags and environment.
type config struct {
	Port             int           // PORT: the API and dev endpoints
	DynamoDBPort     int           // DYNAMODB_PORT: where DynamoDB Local listens
	DynamoDBEndpoint string        // DYNAMODB_ENDPOINT: use this DynamoDB instead of starting one
	Persist          bool          // PERSIST or -persist: keep data under .local/
	TableName        string        // TABLE_NAME
	Audience         string        // OIDC_AUDIENCE
	SMTPAddr         string        // SMTP_ADDR: send mail there instead of starting MailDev
	MailDevSMTPPort  int           // MAILDEV_SMTP_PORT
	MailDevWebPort   int           // MAILDEV_WEB_PORT
	S3Port           int           // S3_PORT: where the local S3 server listens
	S3Endpoint       string        // S3_ENDPOINT: use this S3-compatible server instead of starting one
	ExportBucket     string        // EXPORT_BUCKET
	AppURL           string        // APP_URL: links in emails; default the API's URL
	MailFrom         string        // MAIL_FROM
	ScheduleEvery    time.Duration // SCHEDULE_EVERY: run every schedule this often
	AppIdleTimeout   string        // APP_IDLE_TIMEOUT: passed to the functions
	BillingPeriod    string        // BILLING_PERIOD: passed to the functions
	Verbose          bool          // -v: show DynamoDB Local's and MailDev's output
	Lambda           bool          // LAMBDA or -lambda: serve through the functions' bootstrap binaries
	Emulator         string        // LAMBDA_RIE: the aws-lambda-rie executable
	FunctionsDir     string        // LAMBDA_FUNCTIONS_DIR: <name>/bootstrap for every function

	// Root is the repository root; state lives in Root/.local.
	Root string
}

const host = "127.0.0.1"

// baseURL is the local server's URL: the API, and the dev OIDC issuer.
func (c config) baseURL() string { return "http://" + host + ":" + strconv.Itoa(c.Port) }

// stateDir holds what the stack keeps on disk (ignored by git).
func (c config) stateDir() string { return filepath.Join(c.Root, ".local") }

// emulator is the Runtime Interface Emulator of Lambda mode; make installs
// it there.
func (c config) emulator() string {
	return or(c.Emulator, filepath.Join(c.Root, lambdamode.EmulatorPath))
}

// functionsDir holds the host builds of the functions; make builds them
// there for Lambda mode.
func (c config) functionsDir() string {
	return or(c.FunctionsDir, filepath.Join(c.stateDir(), "lambda"))
}

const usage = `usage: go run ./infra/local [-persist] [-lambda] [-v]

Runs Orgplane on this machine: DynamoDB Local, MailDev, an S3 server, the API with the
dev OIDC issuer on one HTTP server, the stream consumers and the schedules.
In Lambda mode every function is its own bootstrap binary under the AWS
Lambda Runtime Interface Emulator, behind a local HTTP API front.

Environment (defaults in brackets):
  PORT [3000]               API, /health and the dev endpoints on 127.0.0.1
  DYNAMODB_PORT [8000]      DynamoDB Local's port
  DYNAMODB_ENDPOINT         use this DynamoDB instead of starting DynamoDB Local
  PERSIST [0]               1 keeps the database (and mail) under .local/ across restarts
  TABLE_NAME [orgplane]     the table, created if missing
  SMTP_ADDR                 send mail to this SMTP server instead of starting MailDev
  MAILDEV_SMTP_PORT [1025]  MailDev's SMTP port
  MAILDEV_WEB_PORT [1080]   MailDev's web UI and REST API
  S3_PORT [9000]            the local S3 server's port (export files; in memory)
  S3_ENDPOINT               use this S3-compatible server instead of starting one
  EXPORT_BUCKET [orgplane-exports]
                            the export bucket (created on the local S3 server)
  MAIL_FROM [Orgplane <no-reply@orgplane.local>]
  APP_URL [the API's URL]   base of links in emails
  OIDC_AUDIENCE [orgplane]  audience of dev tokens
  CURSOR_SECRET, INVITE_TOKEN_SECRET
                            keys for cursors and invitation tokens [random per run; kept in .local/ with PERSIST]
  SCHEDULE_EVERY            run every schedule this often (e.g. 10s) instead of its own rate
  APP_IDLE_TIMEOUT          passed to the app (idle apps are stopped after it)
  BILLING_PERIOD            passed to the app: subscription period (e.g. 2m) instead of a month
  LAMBDA [0]                1 serves through the functions' binaries (make run LAMBDA=1 builds them)
  LAMBDA_RIE [.local/bin/aws-lambda-rie]
                            the Runtime Interface Emulator
  LAMBDA_FUNCTIONS_DIR [.local/lambda]
                            <function>/bootstrap, built for this host

Flags:
`

// loadConfig reads the flags in args and the environment.
func loadConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	persist := fs.Bool("persist", false, "keep data under .local/ across restarts (as PERSIST=1)")
	verbose := fs.Bool("v", false, "show DynamoDB Local's and MailDev's output (and the emulator's, in Lambda mode)")
	lambda := fs.Bool("lambda", false, "serve through the functions' bootstrap binaries (as LAMBDA=1)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	}

	c := config{
		DynamoDBEndpoint: getenv("DYNAMODB_ENDPOINT"),
		TableName:        or(getenv("TABLE_NAME"), "orgplane"),
		Audience:         or(getenv("OIDC_AUDIENCE"), "orgplane"),
		SMTPAddr:         getenv("SMTP_ADDR"),
		S3Endpoint:       getenv("S3_ENDPOINT"),
		ExportBucket:     or(getenv("EXPORT_BUCKET"), "orgplane-exports"),
		MailFrom:         or(getenv("MAIL_FROM"), "Orgplane <no-reply@orgplane.local>"),
		Verbose:          *verbose,
		AppIdleTimeout:   getenv("APP_IDLE_TIMEOUT"),
		BillingPeriod:    getenv("BILLING_PERIOD"),
		Emulator:         getenv("LAMBDA_RIE"),
		FunctionsDir:     getenv("LAMBDA_FUNCTIONS_DIR"),
	}
	var errs []error
	port := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s=%q is not a port number", name, v))
		}
		return n
	}
	c.Port = port("PORT", 3000)
	c.DynamoDBPort = port("DYNAMODB_PORT", 8000)
	c.MailDevSMTPPort = port("MAILDEV_SMTP_PORT", 1025)
	c.MailDevWebPort = port("MAILDEV_WEB_PORT", 1080)
	c.S3Port = port("S3_PORT", 9000)
	if c.MailDevSMTPPort == 0 || c.MailDevWebPort == 0 {
		errs = append(errs, errors.New("MailDev ports cannot be 0"))
	}

	flagOrEnv := func(flag bool, name string) bool {
		v := getenv(name)
		if v == "" {
			return flag
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want 1 or 0", name, v))
		}
		return flag || b
	}
	c.Persist = flagOrEnv(*persist, "PERSIST")
	c.Lambda = flagOrEnv(*lambda, "LAMBDA")
	if v := getenv("SCHEDULE_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("SCHEDULE_EVERY=%q: want a positive duration such as 30s", v))
		}
		c.ScheduleEvery = d
	}
	c.AppURL = getenv("APP_URL") // defaulted once the port is known
	return c, errors.Join(errs...)
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// appEnv is the environment shared/app reads, as the Lambda functions get
// it from the stack: the local table, the dev issuer, local mail.
// The secrets (secretEnvs) are added by newApp.
func (c config) appEnv() map[string]string {
	return map[string]string{
		"TABLE_NAME":        c.TableName,
		"DYNAMODB_ENDPOINT": c.DynamoDBEndpoint,
		"OIDC_ISSUER":       c.baseURL(),
		"OIDC_JWKS_URL":     c.baseURL() + jwksPath,
		"OIDC_AUDIENCE":     c.Audience,
		"APP_URL":           c.AppURL,
		"SMTP_ADDR":         c.SMTPAddr,
		"MAIL_FROM":         c.MailFrom,
		"APP_IDLE_TIMEOUT":  c.AppIdleTimeout,
		"BILLING_PERIOD":    c.BillingPeriod,
		"EXPORT_BUCKET":     c.ExportBucket,
		"S3_ENDPOINT":       c.S3Endpoint,
	}
}

// setenv applies env to the process, for app.FromEnv.
func setenv(env map[string]string) error {
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}
