// Package deps builds what stream consumers and scheduled jobs are made
// of (triggers.Deps) from an app. It is apart from package app so HTTP
// functions link neither the triggers nor a mail client: only the mains
// of the functions that send mail call WithMail, and only they link SES.
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

// Of is the app's trigger dependencies, with no mail sender.
func Of(a *app.App) triggers.Deps {
	return triggers.Deps{Store: a.Store, AppURL: a.Config.AppURL, Now: time.Now, IdleTimeout: a.Config.IdleTimeout,
		InviteSecret: invites.Secret(a.Config.InviteTokenSecret), BillingPeriod: a.Config.BillingPeriod}
}

// WithMail is Of with the mail sender (NewMail), for the mains of the
// functions that send mail: one that cannot build it exits at init.
func WithMail(a *app.App) triggers.Deps {
	d := Of(a)
	m, err := NewMail(context.Background(), a.Config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgplane: mail:", err)
		os.Exit(1)
	}
	d.Mail = m
	return d
}

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
