package invitemail_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/smtp"
	"github.com/orgplane/orgplane/shared/testkit"
)

// TestThroughMailDev sends through the SMTP sender to a real MailDev and
// reads the result back from its REST API, delivering the batch five
// times: one email arrives, with a link whose token finds the invitation.
func TestThroughMailDev(t *testing.T) {
	md := testkit.StartMailDev(t)
	f := newFixture(t)
	owner := f.newOrg(t, "Acme Rockets")
	inv := f.invite(t, owner, "ada@example.com")
	ev := f.batch(t, 1)
	sender := &smtp.Sender{Addr: md.SMTPAddr, From: "Orgplane <no-reply@orgplane.local>"}
	h := f.handler(sender)
	for range 5 {
		redeliver(t, h, ev)
	}

	got := md.WaitInbox(t, 1)
	if len(got) != 1 {
		t.Fatalf("MailDev holds %d emails, want 1", len(got))
	}
	m := got[0]
	if m.Subject != "Acme Rockets Owner invited you to join Acme Rockets on Orgplane" {
		t.Errorf("subject %q", m.Subject)
	}
	if len(m.To) != 1 || m.To[0].Address != "ada@example.com" || len(m.From) != 1 || m.From[0].Address != "no-reply@orgplane.local" {
		t.Errorf("from %v to %v", m.From, m.To)
	}
	if !strings.Contains(m.MessageID, inv.ID) {
		t.Errorf("Message-ID %q does not name the send request of %s", m.MessageID, inv.ID)
	}
	token := tokenIn(t, mail.Message{Text: m.Text, HTML: strings.ReplaceAll(m.HTML, "&amp;", "&")})
	found, _, err := f.store.InvitationByToken(context.Background(), invites.Hash(token))
	if err != nil || found.ID != inv.ID {
		t.Fatalf("the emailed token finds %+v, %v; want %s", found, err, inv.ID)
	}
}
