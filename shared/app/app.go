// Package app wires Orgplane together from configuration: it builds the
// SDK client, the store and the verifier once per process, and hands out
// the handler of any function by name. functions/*/main.go and the local
// stack both start here, so Lambda and local run the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgplane/orgplane/shared/autostop"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/bucket"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/invites"
)

// Config is everything Orgplane reads from its environment.
type Config struct {
	TableName    string // TABLE_NAME
	DynamoDBURL  string // DYNAMODB_ENDPOINT: set locally, empty in AWS
	Region       string // AWS_REGION
	Issuer       string // OIDC_ISSUER
	JWKSURL      string // OIDC_JWKS_URL (default: <issuer>/.well-known/jwks.json)
	Audience     string // OIDC_AUDIENCE
	CursorSecret string // CURSOR_SECRET
	AppURL       string // APP_URL, for links in emails
	// Mail goes over SMTP to SMTPAddr (SMTP_ADDR; MailDev's 127.0.0.1:1025
	// locally) when it is set, else through SES v2. MailFrom (MAIL_FROM) is
	// the sender, an SES-verified identity in AWS.
	SMTPAddr string
	MailFrom string
	// InviteTokenSecret (INVITE_TOKEN_SECRET, at least 32 characters)
	// derives invitation tokens; see package invites.
	InviteTokenSecret string
	// IdleTimeout is APP_IDLE_TIMEOUT, a Go duration ("12h", "4s"): app
	// instances without access for this long are stopped. Default 12h.
	IdleTimeout time.Duration
	// BillingPeriod is BILLING_PERIOD, a Go duration ("2m") that replaces
	// the calendar month of subscription periods; for local runs only.
	BillingPeriod billing.Period
	// ExportBucket (EXPORT_BUCKET) holds export files; only the functions
	// that write or link to them are given it. S3Endpoint (S3_ENDPOINT) is
	// the local S3 server, addressed path-style; empty in AWS.
	ExportBucket string
	S3Endpoint   string
}

// FromEnv reads the configuration and checks what is required.
func FromEnv() (Config, error) {
	c := Config{
		TableName:    os.Getenv("TABLE_NAME"),
		DynamoDBURL:  os.Getenv("DYNAMODB_ENDPOINT"),
		Region:       envOr("AWS_REGION", "us-east-1"),
		Issuer:       os.Getenv("OIDC_ISSUER"),
		JWKSURL:      os.Getenv("OIDC_JWKS_URL"),
		Audience:     os.Getenv("OIDC_AUDIENCE"),
		CursorSecret: os.Getenv("CURSOR_SECRET"),
		AppURL:       envOr("APP_URL", "http://localhost:3000"),
		SMTPAddr:     os.Getenv("SMTP_ADDR"),
		MailFrom:     os.Getenv("MAIL_FROM"),

		InviteTokenSecret: os.Getenv("INVITE_TOKEN_SECRET"),
		ExportBucket:      os.Getenv("EXPORT_BUCKET"),
		S3Endpoint:        os.Getenv("S3_ENDPOINT"),
	}
	if c.JWKSURL == "" && c.Issuer != "" {
		c.JWKSURL = c.Issuer + "/.well-known/jwks.json"
	}
	var missing []error
	for name, v := range map[string]string{"TABLE_NAME": c.TableName, "OIDC_ISSUER": c.Issuer,
		"OIDC_AUDIENCE": c.Audience, "CURSOR_SECRET": c.CursorSecret} {
		if v == "" {
			missing = append(missing, fmt.Errorf("%s is not set", name))
		}
	}
	if len(c.CursorSecret) > 0 && len(c.CursorSecret) < 32 {
		missing = append(missing, errors.New("CURSOR_SECRET must be at least 32 characters"))
	}
	if len(c.InviteTokenSecret) < invites.MinSecretLen {
		missing = append(missing, errors.New("INVITE_TOKEN_SECRET must be set, at least 32 characters"))
	}
	c.IdleTimeout = autostop.DefaultIdleTimeout
	if v := os.Getenv("APP_IDLE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			missing = append(missing, fmt.Errorf("APP_IDLE_TIMEOUT %q must be a positive Go duration such as 12h or 90m", v))
		}
		c.IdleTimeout = d
	}
	if v := os.Getenv("BILLING_PERIOD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			missing = append(missing, fmt.Errorf("BILLING_PERIOD %q must be a positive Go duration such as 2m", v))
		}
		c.BillingPeriod = billing.Period{Every: d}
	}
	return c, errors.Join(missing...)
}

// Warmups reports whether a Lambda main opens its connections in the
// background at init: only with ORGPLANE_WARMUP=1. Off by default, since
// BenchmarkColdStart measured it (on 2 shared cores) adding to init and
// not shortening the first response: the background work competes with
// the first request for the CPU. The benchmark keeps comparing both.
func Warmups() bool { return os.Getenv("ORGPLANE_WARMUP") == "1" }

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Credentials are the AWS credentials every client of the process shares:
// static dummies against local endpoints (DynamoDB Local, the local S3); in Lambda, the function role's
// credentials as Lambda puts them in the environment. Nothing is read or
// fetched until the first call (no network, no shared-config files, no
// credential chain at init), and the first call's answer is kept for the
// sandbox's life, as Lambda's credentials last it.
func Credentials(c Config) aws.CredentialsProvider {
	if c.DynamoDBURL != "" || c.S3Endpoint != "" {
		return credentials.NewStaticCredentialsProvider("local", "local", "")
	}
	return aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		if id == "" || secret == "" {
			return aws.Credentials{}, errors.New("app: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them)")
		}
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN"),
			Source: "EnvConfigCredentials"}, nil
	}))
}

// NewDynamoDB builds the SDK client over Credentials: the regional
// endpoint in AWS, DYNAMODB_ENDPOINT locally.
func NewDynamoDB(_ context.Context, c Config) (*dynamodb.Client, error) {
	o := dynamodb.Options{Region: c.Region, Credentials: Credentials(c)}
	if c.DynamoDBURL != "" {
		o.BaseEndpoint = aws.String(c.DynamoDBURL)
	}
	return dynamodb.New(o), nil
}

// App is one process's wiring: its configuration and store. What only
// some functions need lives apart, so a function links and initializes
// only its own: package web builds the API server (HTTP functions),
// package deps what stream consumers and scheduled jobs are made of, and
// the mail sender only for those that send mail.
type App struct {
	Config Config
	Store  *ddb.Store
}

// NewExportBucket builds the export bucket's client over Credentials, nil
// when the function is given no bucket; a local S3 endpoint is addressed
// path-style. Only the mains of the functions that touch exports reach it
// (web.Exports, deps.Exports), so no other function links an S3 client.
func NewExportBucket(c Config) *bucket.Bucket {
	if c.ExportBucket == "" {
		return nil
	}
	return bucket.New(aws.Config{Region: c.Region, Credentials: Credentials(c)}, c.ExportBucket, c.S3Endpoint)
}

// NewExportLinks signs links to the export bucket's files with no S3
// client (bucket.Links); ok false when the function is given no bucket.
func NewExportLinks(c Config) (bucket.Links, bool) {
	if c.ExportBucket == "" {
		return bucket.Links{}, false
	}
	return bucket.NewLinks(aws.Config{Region: c.Region, Credentials: Credentials(c)}, c.ExportBucket, c.S3Endpoint), true
}

// New builds the app from configuration.
func New(ctx context.Context, c Config) (*App, error) {
	db, err := NewDynamoDB(ctx, c)
	if err != nil {
		return nil, err
	}
	return &App{Config: c, Store: ddb.New(db, c.TableName)}, nil
}

// MustLoad is New(FromEnv()) for a Lambda main: a function that cannot
// load its configuration cannot serve, so it exits at init with the cause.
// With Warmups it opens the connection to DynamoDB in the background
// (Store.Warm); init itself never waits on the network.
func MustLoad() *App {
	c, err := FromEnv()
	if err == nil {
		var a *App
		if a, err = New(context.Background(), c); err == nil {
			if Warmups() {
				go func() { _ = a.Store.Warm(context.Background()) }()
			}
			return a
		}
	}
	fmt.Fprintln(os.Stderr, "orgplane: configuration:", err)
	os.Exit(1)
	return nil
}
