package invitemail_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/invitemail"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/tablestream"
	"github.com/orgplane/orgplane/shared/testkit"
	"github.com/orgplane/orgplane/shared/triggers"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

const appURL = "https://app.orgplane.test"

var testSecret = invites.Secret("test-invite-secret-test-invite-secret")

type fixture struct {
	store  *ddb.Store
	reader *tablestream.Reader
	filter triggers.Filter
	clock  *testkit.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, table := ddbtest.NewTable(t)
	streams, err := ddblocal.NewStreamsClient(ctx, ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	r, err := tablestream.NewReader(ctx, db, streams, table, false)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := triggers.FindStream(invitemail.Name)
	if !ok {
		t.Fatalf("no stream consumer %s in triggers.StreamConsumers", invitemail.Name)
	}
	clk := testkit.NewClock(time.Now())
	store := ddb.New(db, table)
	store.Now = clk.Now
	return &fixture{store: store, reader: r, filter: c.Filter, clock: clk}
}

// handler is the consumer as its function builds it, from triggers.Deps.
func (f *fixture) handler(s mail.Sender) triggers.StreamHandler {
	c, _ := triggers.FindStream(invitemail.Name)
	return c.New(triggers.Deps{Store: f.store, Mail: s, InviteSecret: testSecret, AppURL: appURL, Now: f.clock.Now})
}

// newOrg creates an org and returns its owner's membership.
func (f *fixture) newOrg(t *testing.T, name string) orgs.Member {
	t.Helper()
	ctx := context.Background()
	u := orgs.User{ID: ids.New(ids.User), Email: strings.ToLower(strings.ReplaceAll(name, " ", "")) + "-owner@example.com", Name: name + " Owner"}
	o, err := f.store.CreateOrganization(ctx, u, ddb.NewOrganization{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.store.GetMember(ctx, o.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mustEmail is the address normalized, as the invite handler passes it.
func mustEmail(t *testing.T, s string) email.Address {
	t.Helper()
	a, err := email.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) invite(t *testing.T, inviter orgs.Member, email string) invites.Invitation {
	t.Helper()
	id, nonce := ids.New(ids.Invitation), invites.NewNonce()
	token, err := testSecret.Token(id, nonce)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := f.store.CreateInvitation(context.Background(), ddb.NewInvitation{ID: id, Inviter: inviter, Email: mustEmail(t, email),
		Name: "Dear Guest", Role: access.Member, Nonce: nonce, TokenHash: invites.Hash(token)})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func (f *fixture) batch(t *testing.T, n int) events.DynamoDBEvent {
	t.Helper()
	return testkit.Batch(t, f.reader, f.filter.Match, n)
}

var linkPattern = regexp.MustCompile(regexp.QuoteMeta(appURL) + `/invitations/([A-Za-z0-9_-]{43})`)

// tokenIn returns the token of the accept link in a message's text.
func tokenIn(t *testing.T, m mail.Message) string {
	t.Helper()
	match := linkPattern.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no accept link in the text:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+match[0]+`"`) {
		t.Fatalf("the HTML does not link to %s:\n%s", match[0], m.HTML)
	}
	return match[1]
}

// redeliver feeds the batch again until no record is reported, as the
// event source mapping retries reported records.
func redeliver(t *testing.T, h triggers.StreamHandler, ev events.DynamoDBEvent) {
	t.Helper()
	for attempt := 0; attempt < 10; attempt++ {
		resp, err := h(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) == 0 {
			return
		}
	}
	t.Fatal("records still fail after 10 redeliveries")
}

// TestBatchFedTenTimes is the same batch delivered ten times at once:
// one email per send request, each with a working link.
func TestBatchFedTenTimes(t *testing.T) {
	f := newFixture(t)
	owner := f.newOrg(t, "Acme")
	emails := []string{"ada@example.com", "bob@example.com", "cy@example.com"}
	for _, e := range emails {
		f.invite(t, owner, e)
	}
	ev := f.batch(t, 3)
	var box testkit.Outbox
	h := f.handler(box.Sender())

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			resp, err := h(context.Background(), ev)
			if err != nil {
				t.Errorf("a batch failed as a whole: %v", err)
			}
			// A copy that finds another worker mid-send reports its
			// record for retry; nothing else may fail.
			for _, fail := range resp.BatchItemFailures {
				if !slicesContainSeq(ev, fail.ItemIdentifier) {
					t.Errorf("unknown failure %q", fail.ItemIdentifier)
				}
			}
		})
	}
	wg.Wait()
	redeliver(t, h, ev)

	sent := box.Messages()
	if len(sent) != 3 {
		t.Fatalf("%d emails sent, want 3 (one per send request): %v", len(sent), recipients(sent))
	}
	for _, want := range emails {
		var m *mail.Message
		for i := range sent {
			if sent[i].To == want {
				m = &sent[i]
			}
		}
		if m == nil {
			t.Fatalf("no email to %s: %v", want, recipients(sent))
		}
		if m.Subject != "Acme Owner invited you to join Acme on Orgplane" {
			t.Errorf("subject %q", m.Subject)
		}
		if !strings.Contains(m.Text, "Hi Dear Guest") || !strings.Contains(m.Text, "as a member") {
			t.Errorf("text:\n%s", m.Text)
		}
		inv, _, err := f.store.InvitationByToken(context.Background(), invites.Hash(tokenIn(t, *m)))
		if err != nil || inv.Email != want {
			t.Errorf("the link's token finds %+v, %v; want the invitation to %s", inv, err, want)
		}
	}
}

func slicesContainSeq(ev events.DynamoDBEvent, seq string) bool {
	for _, r := range ev.Records {
		if r.Change.SequenceNumber == seq {
			return true
		}
	}
	return false
}

func recipients(ms []mail.Message) []string {
	var to []string
	for _, m := range ms {
		to = append(to, m.To)
	}
	return to
}

// TestResend: a resend is a new send request with a new token; the old
// token stops working, and the old request, redelivered, sends nothing.
func TestResend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.newOrg(t, "Acme")
	inv := f.invite(t, owner, "ada@example.com")
	first := f.batch(t, 1)
	var box testkit.Outbox
	h := f.handler(box.Sender())
	redeliver(t, h, first)
	oldToken := tokenIn(t, box.Messages()[0])

	nonce := invites.NewNonce()
	token, _ := testSecret.Token(inv.ID, nonce)
	if _, err := f.store.ResendInvitation(ctx, owner, inv, nonce, invites.Hash(token)); err != nil {
		t.Fatal(err)
	}
	second := f.batch(t, 1)
	redeliver(t, h, second)
	redeliver(t, h, first) // late redelivery of the first send
	sent := box.Messages()
	if len(sent) != 2 {
		t.Fatalf("%d emails, want 2 (creation and resend)", len(sent))
	}
	if got := tokenIn(t, sent[1]); got != token || got == oldToken {
		t.Fatalf("resent token %q, want the new token %q", got, token)
	}
	if _, _, err := f.store.InvitationByToken(ctx, invites.Hash(oldToken)); !errors.Is(err, ddb.ErrNotFound) {
		t.Fatalf("the old token still resolves: %v", err)
	}
}

// TestPoisonedRecord: one bad record in a batch of ten is the only one
// reported; the other nine emails go out.
func TestPoisonedRecord(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		owner := f.newOrg(t, fmt.Sprintf("Org %d", i))
		for j := range 3 {
			f.invite(t, owner, fmt.Sprintf("guest%d-%d@example.com", i, j))
		}
	}
	ev := f.batch(t, 9)
	poison := ev.Records[3]
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range poison.Change.NewImage {
		img[k] = v
	}
	img["organization_id"] = events.NewNumberAttribute("7")
	poison.Change.NewImage = img
	poison.Change.SequenceNumber = "poison-1"
	ev.Records = append(ev.Records[:4:4], append([]events.DynamoDBEventRecord{poison}, ev.Records[4:]...)...)

	var box testkit.Outbox
	resp, err := f.handler(box.Sender())(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "poison-1" {
		t.Fatalf("failures %v, want only the poisoned record", resp.BatchItemFailures)
	}
	if n := len(box.Messages()); n != 9 {
		t.Fatalf("%d emails, want 9", n)
	}
}

// TestSendFailure: a failed send is reported and its claim released, so
// the retry sends it — once.
func TestSendFailure(t *testing.T) {
	f := newFixture(t)
	f.invite(t, f.newOrg(t, "Acme"), "ada@example.com")
	ev := f.batch(t, 1)
	var box testkit.Outbox
	var calls int
	var mu sync.Mutex
	flaky := testkit.Sender{SendFunc: func(ctx context.Context, m mail.Message) (string, error) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			return "", errors.New("smtp: 451 try again later")
		}
		return box.Sender().Send(ctx, m)
	}}
	h := f.handler(flaky)
	resp, _ := h(context.Background(), ev)
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("a failed send was not reported: %v", resp)
	}
	redeliver(t, h, ev)
	redeliver(t, h, ev)
	if n := len(box.Messages()); n != 1 {
		t.Fatalf("%d emails after the retry, want 1", n)
	}
}

// TestClaimHeldElsewhere: a record whose request another worker is
// sending is reported for retry; if that worker died, its claim expires
// and the retry sends.
func TestClaimHeldElsewhere(t *testing.T) {
	f := newFixture(t)
	f.invite(t, f.newOrg(t, "Acme"), "ada@example.com")
	ev := f.batch(t, 1)
	img, err := tablestream.NewImage(ev.Records[0])
	if err != nil {
		t.Fatal(err)
	}
	req, err := ddb.DecodeInvitationEmail(img)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.store.ClaimInvitationEmail(context.Background(), req, "crashed-worker", invitemail.DefaultLease); err != nil || c != ddb.ClaimTaken {
		t.Fatalf("claim: %v %v", c, err)
	}
	var box testkit.Outbox
	h := f.handler(box.Sender())
	if resp, _ := h(context.Background(), ev); len(resp.BatchItemFailures) != 1 || len(box.Messages()) != 0 {
		t.Fatalf("with a live claim elsewhere: failures %v, %d emails; want the record reported, nothing sent", resp.BatchItemFailures, len(box.Messages()))
	}
	f.clock.Advance(invitemail.DefaultLease + time.Second)
	redeliver(t, h, ev)
	if n := len(box.Messages()); n != 1 {
		t.Fatalf("%d emails after the claim expired, want 1", n)
	}
}

// TestNoLongerCurrent: nothing is sent for an invitation revoked, or an
// org deleted, before its record was processed; the records succeed.
func TestNoLongerCurrent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.newOrg(t, "Acme")
	inv := f.invite(t, owner, "ada@example.com")
	other := f.newOrg(t, "Gone")
	f.invite(t, other, "bob@example.com")
	expiring := f.invite(t, owner, "cy@example.com")
	ev := f.batch(t, 3)
	if err := f.store.RevokeInvitation(ctx, owner, inv); err != nil {
		t.Fatal(err)
	}
	o, err := f.store.GetOrganization(ctx, other.OrganizationID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeleteOrganization(ctx, o.ID, o.Slug, &other); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(invites.Lifetime) // the third has expired by the time its record runs
	var box testkit.Outbox
	resp, err := f.handler(box.Sender())(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%v %v", resp, err)
	}
	if n := len(box.Messages()); n != 0 {
		t.Fatalf("%d emails sent for invitations that can no longer be used (%s)", n, expiring.ID)
	}
}

// TestSecretMismatch: a consumer whose secret differs from the API's
// would mail dead links; it reports the record instead.
func TestSecretMismatch(t *testing.T) {
	f := newFixture(t)
	f.invite(t, f.newOrg(t, "Acme"), "ada@example.com")
	ev := f.batch(t, 1)
	var box testkit.Outbox
	c, _ := triggers.FindStream(invitemail.Name)
	h := c.New(triggers.Deps{Store: f.store, Mail: box.Sender(), InviteSecret: invites.Secret(strings.Repeat("x", 32)), AppURL: appURL})
	if resp, _ := h(context.Background(), ev); len(resp.BatchItemFailures) != 1 || len(box.Messages()) != 0 {
		t.Fatalf("failures %v, %d emails; want the record reported and nothing sent", resp.BatchItemFailures, len(box.Messages()))
	}
}

func TestLetter(t *testing.T) {
	l := invitemail.Letter{To: "ada@example.com", InviteeName: "Ada", OrganizationName: `<b>Acme</b> & "Co"`,
		InviterName: "Eve\r\nBcc: x@evil.test", Role: "admin", Link: appURL + "/invitations/abc",
		ExpiresAt: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)}
	if got, want := l.Subject(), `Eve Bcc: x@evil.test invited you to join <b>Acme</b> & "Co" on Orgplane`; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	text, html, err := l.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Hi Ada,", `join <b>Acme</b> & "Co" on Orgplane as an admin`, appURL + "/invitations/abc", "January 2, 2030"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(html, "<b>Acme</b>") || !strings.Contains(html, "&lt;b&gt;Acme&lt;/b&gt; &amp; &#34;Co&#34;") {
		t.Errorf("the HTML does not escape the org name:\n%s", html)
	}
	if !strings.Contains(html, `href="`+appURL+`/invitations/abc"`) {
		t.Errorf("the HTML lacks the link:\n%s", html)
	}
	if l.Role = "member"; !strings.Contains(must(l.Render()), "as a member") {
		t.Error("article for member")
	}
}

func must(text, _ string, err error) string {
	if err != nil {
		panic(err)
	}
	return text
}
