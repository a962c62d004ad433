// Package app wires Orgplane together from configuration: it builds the
// SDK client, the store and the verifier once per process, and hands out
// the handler of any function by name. functions/*/main.go and the local
// stack both start here, so Lambda and local run the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/autostop"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/bucket"
	"github.com/orgplane/orgplane/shared/cursor"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/ses"
	"github.com/orgplane/orgplane/shared/smtp"
	"github.com/orgplane/orgplane/shared/triggers"
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

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// NewDynamoDB builds the SDK client: the default chain in AWS, static
// dummy credentials against a local endpoint.
func NewDynamoDB(ctx context.Context, c Config) (*dynamodb.Client, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(c.Region)}
	if c.DynamoDBURL != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if c.DynamoDBURL != "" {
			o.BaseEndpoint = aws.String(c.DynamoDBURL)
		}
	}), nil
}

// NewExportBucket builds the export bucket's client, nil when the
// function is given no bucket: the default chain in AWS, static dummy
// credentials against a local S3 endpoint.
func NewExportBucket(ctx context.Context, c Config) (*bucket.Bucket, error) {
	if c.ExportBucket == "" {
		return nil, nil
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(c.Region)}
	if c.S3Endpoint != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return bucket.New(cfg, c.ExportBucket, c.S3Endpoint), nil
}

// App is one process's wiring.
type App struct {
	Config Config
	Store  *ddb.Store
	API    *api.Server
	Mail   mail.Sender
	// Exports is the export bucket, nil where EXPORT_BUCKET is unset.
	Exports *bucket.Bucket
}

// DefaultLocalMailFrom is the sender over SMTP when MAIL_FROM is unset.
const DefaultLocalMailFrom = "Orgplane <no-reply@orgplane.local>"

// NewMail builds the mail sender: SMTP when SMTP_ADDR is set (MailDev in
// the local stack), else SES v2 in the configured region.
func NewMail(ctx context.Context, c Config) (mail.Sender, error) {
	if c.SMTPAddr != "" {
		from := c.MailFrom
		if from == "" {
			from = DefaultLocalMailFrom
		}
		return &smtp.Sender{Addr: c.SMTPAddr, From: from}, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(c.Region))
	if err != nil {
		return nil, err
	}
	return &ses.Sender{Client: sesv2.NewFromConfig(cfg), From: c.MailFrom}, nil
}

// New builds the app from configuration.
func New(ctx context.Context, c Config) (*App, error) {
	db, err := NewDynamoDB(ctx, c)
	if err != nil {
		return nil, err
	}
	store := ddb.New(db, c.TableName)
	mailer, err := NewMail(ctx, c)
	if err != nil {
		return nil, err
	}
	exportBucket, err := NewExportBucket(ctx, c)
	if err != nil {
		return nil, err
	}
	verifier := &auth.Verifier{Issuer: c.Issuer, Audience: c.Audience,
		Keys: &auth.RemoteJWKS{URL: c.JWKSURL, MinRefresh: time.Minute}}
	return &App{
		Config: c,
		Store:  store,
		API: &api.Server{Store: store, Auth: verifier, Cursors: cursor.Codec{Secret: []byte(c.CursorSecret)}, Now: time.Now,
			InviteSecret: invites.Secret(c.InviteTokenSecret), BillingPeriod: c.BillingPeriod, Exports: exportBucket},
		Mail:    mailer,
		Exports: exportBucket,
	}, nil
}

// MustLoad is New(FromEnv()) for a Lambda main: a function that cannot
// load its configuration cannot serve, so it exits at init with the cause.
func MustLoad() *App {
	c, err := FromEnv()
	if err == nil {
		var a *App
		if a, err = New(context.Background(), c); err == nil {
			return a
		}
	}
	fmt.Fprintln(os.Stderr, "orgplane: configuration:", err)
	os.Exit(1)
	return nil
}

// Route is the http.Handler of one HTTP route's function.
func (a *App) Route(name string) http.Handler {
	h, err := a.API.Handler(name)
	if err != nil {
		panic(err) // functions/ is generated from the route list; a miss is a build bug
	}
	return h
}

// Deps are the dependencies of stream consumers and scheduled jobs.
func (a *App) Deps() triggers.Deps {
	return triggers.Deps{Store: a.Store, AppURL: a.Config.AppURL, Now: time.Now, IdleTimeout: a.Config.IdleTimeout,
		Mail: a.Mail, InviteSecret: invites.Secret(a.Config.InviteTokenSecret), BillingPeriod: a.Config.BillingPeriod,
		Exports: a.Exports}
}

// Stream is the Lambda handler of a stream consumer's function.
func (a *App) Stream(name string) triggers.StreamHandler {
	c, ok := triggers.FindStream(name)
	if !ok {
		panic("app: no stream consumer named " + name)
	}
	return c.New(a.Deps())
}

// Schedule is the Lambda handler of a scheduled job's function.
func (a *App) Schedule(name string) triggers.ScheduleHandler {
	s, ok := triggers.FindSchedule(name)
	if !ok {
		panic("app: no schedule named " + name)
	}
	return s.New(a.Deps())
}
