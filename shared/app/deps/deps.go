// Package deps builds what stream consumers and scheduled jobs are made
// of (triggers.Deps) from an app. It is apart from package app so HTTP
// functions link neither the triggers nor a mail client; and only the
// mains that name an option (Mail, Exports) link what it builds (SES, S3).
package deps

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/orgplane/orgplane/shared/app"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/ses"
	"github.com/orgplane/orgplane/shared/smtp"
	"github.com/orgplane/orgplane/shared/triggers"
)

// Option adds what only some consumers and jobs need.
type Option func(*triggers.Deps, *app.App)

// Of is the app's trigger dependencies, with what the options add (no
// mail sender, no export bucket without them).
func Of(a *app.App, opts ...Option) triggers.Deps {
	d := triggers.Deps{Store: a.Store, AppURL: a.Config.AppURL, Now: time.Now, IdleTimeout: a.Config.IdleTimeout,
		InviteSecret: invites.Secret(a.Config.InviteTokenSecret), BillingPeriod: a.Config.BillingPeriod}
	for _, o := range opts {
		o(&d, a)
	}
	return d
}

// Mail adds the mail sender (NewMail), for the functions that send mail:
// one that cannot build it exits at init.
func Mail(d *triggers.Deps, a *app.App) {
	m, err := NewMail(context.Background(), a.Config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgplane: mail:", err)
		os.Exit(1)
	}
	d.Mail = m
}

// Exports adds the export bucket, for the consumers that write exports.
func Exports(d *triggers.Deps, a *app.App) { d.Exports = app.NewExportBucket(a.Config) }

// DefaultLocalMailFrom is the sender over SMTP when MAIL_FROM is unset.
const DefaultLocalMailFrom = "Orgplane <no-reply@orgplane.local>"

// NewMail builds the mail sender: SMTP when SMTP_ADDR is set (MailDev in
// the local stack), else SES v2 in the configured region, over the app's
// credentials (nothing is fetched before the first send).
func NewMail(_ context.Context, c app.Config) (mail.Sender, error) {
	if c.SMTPAddr != "" {
		from := c.MailFrom
		if from == "" {
			from = DefaultLocalMailFrom
		}
		return &smtp.Sender{Addr: c.SMTPAddr, From: from}, nil
	}
	client := sesv2.New(sesv2.Options{Region: c.Region, Credentials: app.Credentials(c)})
	return &ses.Sender{Client: client, From: c.MailFrom}, nil
}
