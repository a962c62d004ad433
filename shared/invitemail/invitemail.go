// Package invitemail is the send-invitation stream consumer: for each new
// send request of an invitation (its creation, each resend) it derives the
// token, renders the email with the accept link and sends it, exactly once
// per send request however often the record is delivered.
//
// Once-only is a claim on the send request item: a worker claims it for a
// lease, sends, then marks it sent. A copy of the record that finds it sent
// is done; one that finds another worker's live claim is reported as
// failed, so the stream retries it and it finds the request sent (or the
// claim released after a failed send, or expired after a crash).
package invitemail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/tablestream"
)

// Name is the consumer's function name.
const Name = "send-invitation"

// DefaultLease is how long a claim on a send request lasts: well beyond
// the function's timeout, so a live worker never loses its claim.
const DefaultLease = 2 * time.Minute

// ErrSecretMismatch reports a token that does not match the invitation's
// stored hash: this function's INVITE_TOKEN_SECRET differs from the API's.
var ErrSecretMismatch = errors.New("invitemail: the derived token does not match the invitation (INVITE_TOKEN_SECRET differs from the API's)")

// ErrBusy reports a send request another worker is sending right now.
var ErrBusy = errors.New("invitemail: another worker holds this send request; retry later")

// Consumer sends invitation emails.
type Consumer struct {
	Store  *ddb.Store
	Mail   mail.Sender
	Secret invites.Secret
	AppURL string // the link is AppURL + "/invitations/" + token
	Lease  time.Duration
}

// Handler is the consumer's Lambda handler.
func (c *Consumer) Handler() func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return tablestream.Each(ctx, Name, ev, c.handle), nil
	}
}

func (c *Consumer) handle(ctx context.Context, rec events.DynamoDBEventRecord) error {
	img, err := tablestream.NewImage(rec)
	if err != nil {
		return err
	}
	req, err := ddb.DecodeInvitationEmail(img)
	if err != nil {
		return err
	}
	inv, org, current, err := c.Store.InvitationForEmail(ctx, req)
	if err != nil {
		return err
	}
	if !current {
		// Revoked, accepted, expired, resent since, or its org deleted:
		// this send's token could no longer be used.
		slog.InfoContext(ctx, "invitation email not sent: no longer current", "send_request", req.ID())
		return nil
	}
	token, err := c.Secret.Token(inv.ID, req.Nonce)
	if err != nil {
		return err
	}
	if invites.Hash(token) != inv.TokenHash {
		// The API derived the stored hash with another secret: this
		// link would not work. Fail loudly rather than mail it.
		return ErrSecretMismatch
	}
	l := Letter{To: inv.Email, InviteeName: inv.Name, OrganizationName: org.Name, InviterName: inv.InviterName,
		Role: inv.Role, Link: strings.TrimRight(c.AppURL, "/") + "/invitations/" + token, ExpiresAt: inv.ExpiresAt}
	text, html, err := l.Render()
	if err != nil {
		return err
	}

	claimID := newClaimID()
	lease := c.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	claim, err := c.Store.ClaimInvitationEmail(ctx, req, claimID, lease)
	switch {
	case err != nil:
		return err
	case claim == ddb.ClaimBusy:
		return ErrBusy
	case claim != ddb.ClaimTaken:
		return nil // sent already, or gone with its org
	}
	id, err := c.Mail.Send(ctx, mail.Message{ID: req.ID(), To: inv.Email, Subject: l.Subject(), Text: text, HTML: html})
	if err != nil {
		if rerr := c.Store.ReleaseInvitationEmail(context.WithoutCancel(ctx), req, claimID); rerr != nil {
			slog.WarnContext(ctx, "releasing an invitation email claim", "send_request", req.ID(), "err", rerr)
		}
		return err
	}
	c.markSent(context.WithoutCancel(ctx), req, claimID, id)
	return nil
}

// markSent records the send. The email is out, so the record is done
// whatever happens here; a marker that cannot be written only leaves the
// claim to expire, and a later redelivery of this record could then send a
// second copy — which is why it is retried and logged loudly.
func (c *Consumer) markSent(ctx context.Context, req ddb.InvitationEmail, claimID, messageID string) {
	var err error
	for attempt := range 3 {
		if err = c.Store.MarkInvitationEmailSent(ctx, req, claimID, messageID); err == nil || errors.Is(err, ddb.ErrClaimLost) {
			break
		}
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	if err != nil {
		slog.ErrorContext(ctx, "invitation email sent but not marked sent", "send_request", req.ID(), "message_id", messageID, "err", err)
	}
}

func newClaimID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
