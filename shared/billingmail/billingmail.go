// Package billingmail is the send-billing-email stream consumer. It mails
// an org's billing contacts (its billing email, else its active owners):
//
//   - once per downward crossing of the wallet's low-balance threshold
//     (the price of the next renewal): a wallet change that takes the
//     balance from at or above it to below it; rising never mails;
//   - once when a renewal finds the wallet short and the subscription
//     becomes past_due, with the grace's end.
//
// Each email is named by the change that caused it (the wallet's new
// version, the unpaid period), and its marker is claimed for a lease and
// marked sent, as the invitation emails are, so however often a record
// is delivered one email goes out.
package billingmail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/tablestream"
)

// Name is the consumer's function name.
const Name = "send-billing-email"

// DefaultLease is how long a claim on a notice lasts.
const DefaultLease = 2 * time.Minute

// ErrBusy reports a notice another worker is sending right now.
var ErrBusy = errors.New("billingmail: another worker holds this notice; retry later")

// Consumer sends billing emails.
type Consumer struct {
	Store  *ddb.Store
	Mail   mail.Sender
	AppURL string
	Lease  time.Duration
}

// Handler is the consumer's Lambda handler.
func (c *Consumer) Handler() func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return tablestream.Each(ctx, Name, ev, c.handle), nil
	}
}

// Letter is one billing email's content.
type Letter struct {
	OrganizationName string
	Subject          string
	Lines            []string
	Link             string
}

func (c *Consumer) handle(ctx context.Context, rec events.DynamoDBEventRecord) error {
	newImg, err := tablestream.NewImage(rec)
	if err != nil {
		return err
	}
	oldImg, err := tablestream.Image(rec.Change.OldImage)
	if err != nil {
		return err
	}
	var n ddb.Notice
	var l Letter
	switch itemType(newImg) {
	case ddb.TypeWallet:
		before, err1 := ddb.DecodeWallet(oldImg)
		after, err2 := ddb.DecodeWallet(newImg)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		threshold, err := c.Store.LowBalanceThreshold(ctx, after.OrganizationID)
		if err != nil || threshold <= 0 || before.Balance < threshold || after.Balance >= threshold {
			return err
		}
		n = ddb.LowBalanceNotice(after.OrganizationID, after.Version)
		l = Letter{Subject: "Your Orgplane credits are running low", Lines: []string{
			"The wallet holds " + credits(after.Balance) + ", less than the " + credits(threshold) + " your next renewal will charge.",
			"Top up before the period ends to keep your plan.",
		}}
	case ddb.TypeSubscription:
		before, err1 := ddb.DecodeSubscription(oldImg)
		after, err2 := ddb.DecodeSubscription(newImg)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if before.Status == billing.PastDue || after.Status != billing.PastDue {
			return nil
		}
		n = ddb.PastDueNotice(after.OrganizationID, after.PeriodEnd)
		l = Letter{Subject: "Your Orgplane renewal could not be paid", Lines: []string{
			"Renewing the " + after.NextPlan() + " plan takes " + credits(billing.Price(after.NextPlan())) + ", more than the wallet holds.",
			"Top up by " + after.GraceEndsAt.UTC().Format("Monday, January 2, 2006 at 15:04 MST") +
				" to keep the plan; after that the organization moves to the free plan. Nothing is deleted.",
		}}
	default:
		return nil
	}
	return c.send(ctx, n, l)
}

// itemType is an image's `type` attribute.
func itemType(img map[string]types.AttributeValue) string {
	if v, ok := img["type"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func credits(n int64) string { return strconv.FormatInt(n, 10) + " credits" }

// send mails the notice's letter once, to each recipient in one message.
func (c *Consumer) send(ctx context.Context, n ddb.Notice, l Letter) error {
	o, to, err := c.Store.NoticeRecipients(ctx, n)
	if errors.Is(err, ddb.ErrNotFound) || (err == nil && len(to) == 0) {
		return nil // the org is gone, or nobody to tell
	}
	if err != nil {
		return err
	}
	l.OrganizationName = o.Name
	l.Link = strings.TrimRight(c.AppURL, "/") + "/organizations/" + n.OrganizationID + "/billing"
	text, html, err := l.Render()
	if err != nil {
		return err
	}
	lease := c.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	claimID := newClaimID()
	claim, err := c.Store.ClaimNotice(ctx, n, claimID, lease)
	switch {
	case err != nil:
		return err
	case claim == ddb.ClaimBusy:
		return ErrBusy
	case claim != ddb.ClaimTaken:
		return nil
	}
	id, err := c.Mail.Send(ctx, mail.Message{ID: n.OrganizationID + "." + n.Event, To: strings.Join(to, ", "),
		Subject: l.Subject, Text: text, HTML: html})
	if err != nil {
		if rerr := c.Store.ReleaseNotice(context.WithoutCancel(ctx), n, claimID); rerr != nil {
			slog.WarnContext(ctx, "releasing a billing notice claim", "notice", n.Event, "err", rerr)
		}
		return err
	}
	if err := c.Store.MarkNoticeSent(context.WithoutCancel(ctx), n, claimID, id); err != nil {
		slog.ErrorContext(ctx, "billing email sent but not marked sent", "org", n.OrganizationID, "notice", n.Event, "err", err)
	}
	return nil
}

// Render is the letter as plain text and HTML.
func (l Letter) Render() (text, html string, err error) {
	var t, h strings.Builder
	t.WriteString(l.OrganizationName + "\n\n")
	h.WriteString("<!doctype html>\n<html><body>\n<h2>" + mail.HTML(l.OrganizationName) + "</h2>\n")
	for _, line := range l.Lines {
		t.WriteString(line + "\n")
		h.WriteString("<p>" + mail.HTML(line) + "</p>\n")
	}
	t.WriteString("\nBilling: " + l.Link + "\n")
	h.WriteString(`<p><a href="` + mail.URL(l.Link) + `">Open billing</a></p>` + "\n</body></html>\n")
	return t.String(), h.String(), nil
}

func newClaimID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
