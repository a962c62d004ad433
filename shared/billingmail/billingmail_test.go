package billingmail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/billingmail"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/smtp"
	"github.com/orgplane/orgplane/shared/tablestream"
	"github.com/orgplane/orgplane/shared/testkit"
	"github.com/orgplane/orgplane/shared/triggers"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

type fixture struct {
	store  *ddb.Store
	reader *tablestream.Reader
	clock  *testkit.Clock
	outbox *testkit.Outbox
	handle triggers.StreamHandler
	filter triggers.Filter
	org    string
}

// newFixture is an org on pro (next renewal 2000 credits) whose wallet
// holds balance after the upgrade, with the stream read from here on.
func newFixture(t *testing.T, balance int64) *fixture {
	t.Helper()
	ctx := context.Background()
	db, table := ddbtest.NewTable(t)
	streams, err := ddblocal.NewStreamsClient(ctx, ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	s := ddb.New(db, table)
	s.Now = clock.Now
	u := orgs.User{ID: ids.New(ids.User), Email: "owner@low.test", Name: "Owner"}
	o, err := s.CreateOrganization(ctx, u, ddb.NewOrganization{Name: "Low Balance"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.EnsureWallet(ctx, o.ID, nil); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, clock: clock, outbox: &testkit.Outbox{}, org: o.ID}
	if f.reader, err = tablestream.NewReader(ctx, db, streams, table, false); err != nil {
		t.Fatal(err)
	}
	f.post(t, credits.TopUp, balance+2000)
	if _, _, err := s.ChangePlan(ctx, o.ID, ddb.PlanChange{Plan: "pro", Period: billing.Period{}}, nil); err != nil {
		t.Fatal(err)
	}
	for range 3 { // what setting up wrote is not the test's
		if _, err := f.reader.Read(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	c, ok := triggers.FindStream(billingmail.Name)
	if !ok {
		t.Fatalf("no stream consumer %s", billingmail.Name)
	}
	f.filter = c.Filter
	f.handle = c.New(triggers.Deps{Store: s, Mail: f.outbox.Sender(), AppURL: "https://app.test", Now: clock.Now})
	return f
}

func (f *fixture) post(t *testing.T, kind string, amount int64) {
	t.Helper()
	p := credits.Posting{Kind: kind, Amount: amount, Description: "test", CreatedBy: "usr_t"}
	if _, _, err := f.store.Post(context.Background(), f.org, nil, p, nil); err != nil {
		t.Fatal(err)
	}
}

// deliver hands the consumer the n records its filter selects, times
// times over (redelivery), failing on a reported failure.
func (f *fixture) deliver(t *testing.T, n, times int) {
	t.Helper()
	ev := testkit.Batch(t, f.reader, f.filter.Match, n)
	for range times {
		resp, err := f.handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("%v %v", resp, err)
		}
	}
}

func TestLowBalanceMailOncePerCrossing(t *testing.T) {
	f := newFixture(t, 3000)
	f.post(t, credits.Charge, 500)  // 2500: above the 2000 threshold
	f.post(t, credits.Charge, 1000) // 1500: crosses
	f.post(t, credits.Charge, 100)  // 1400: below already
	f.post(t, credits.TopUp, 3000)  // 4400: rising never mails
	f.post(t, credits.Charge, 2400) // 2000: at the threshold is not below
	f.post(t, credits.Charge, 1)    // 1999: crosses again
	f.deliver(t, 6, 10)
	msgs := f.outbox.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d emails, want one per crossing (2): %+v", len(msgs), msgs)
	}
	for _, m := range msgs {
		if m.To != "owner@low.test" || !strings.Contains(m.Text, "2000 credits") || !strings.Contains(m.Subject, "running low") {
			t.Fatalf("email %+v", m)
		}
	}
	if !strings.Contains(msgs[0].Text, "1500 credits") || !strings.Contains(msgs[1].Text, "1999 credits") {
		t.Fatalf("balances: %q / %q", msgs[0].Text, msgs[1].Text)
	}
}

func TestPastDueMailOnce(t *testing.T) {
	f := newFixture(t, 500)
	f.clock.Advance(31 * 24 * time.Hour)
	for range 3 { // concurrent and repeated runs: one transition
		if _, err := f.store.Renew(context.Background(), f.org, f.clock.Now(), billing.Period{}); err != nil {
			t.Fatal(err)
		}
	}
	f.deliver(t, 1, 10)
	msgs := f.outbox.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "could not be paid") || !strings.Contains(msgs[0].Text, "Nothing is deleted") {
		t.Fatalf("emails %+v", msgs)
	}
}

// TestNoMailWithoutRenewal: a free org has no threshold, so spending never mails.
func TestNoMailWithoutRenewal(t *testing.T) {
	f := newFixture(t, 3000)
	if _, _, err := f.store.ChangePlan(context.Background(), f.org, ddb.PlanChange{Plan: "free"}, nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(31 * 24 * time.Hour)
	if o, err := f.store.Renew(context.Background(), f.org, f.clock.Now(), billing.Period{}); o != ddb.Downgraded || err != nil {
		t.Fatalf("%s %v", o, err)
	}
	f.post(t, credits.Charge, 2999)
	f.deliver(t, 3, 1) // the scheduling, the downgrade and the charge
	if msgs := f.outbox.Messages(); len(msgs) != 0 {
		t.Fatalf("emails %+v", msgs)
	}
}

// TestLowBalanceThroughMailDev sends through the SMTP sender to a real
// MailDev, delivering the batch five times: one email arrives.
func TestLowBalanceThroughMailDev(t *testing.T) {
	md := testkit.StartMailDev(t)
	f := newFixture(t, 2500)
	c, _ := triggers.FindStream(billingmail.Name)
	f.handle = c.New(triggers.Deps{Store: f.store, Mail: &smtp.Sender{Addr: md.SMTPAddr, From: "Orgplane <billing@orgplane.local>"},
		AppURL: "https://app.test", Now: f.clock.Now})
	f.post(t, credits.Charge, 1000) // 1500: below the next renewal's 2000
	f.deliver(t, 1, 5)
	got := md.WaitInbox(t, 1)
	if len(got) != 1 || got[0].Subject != "Your Orgplane credits are running low" || len(got[0].To) != 1 ||
		got[0].To[0].Address != "owner@low.test" || !strings.Contains(got[0].Text, "1500 credits") {
		t.Fatalf("MailDev holds %+v", got)
	}
}

// TestLowBalanceHonoursNotificationChoices: an owner who turned off
// low-balance mail gets none, but cannot turn off the past-due notice.
func TestLowBalanceHonoursNotificationChoices(t *testing.T) {
	f := newFixture(t, 3000)
	ctx := context.Background()
	owners, _, err := f.store.ListMembers(ctx, f.org, ddb.MemberFilter{}, ddb.Page{Limit: 5})
	if err != nil || len(owners) != 1 {
		t.Fatalf("owners %v, %v", owners, err)
	}
	if _, err := f.store.SetNotifications(ctx, owners[0], orgs.EmailPrefs{orgs.NotifyLowBalance: false, orgs.NotifyBilling: false}); err != nil {
		t.Fatal(err)
	}
	f.post(t, credits.Charge, 1500) // 1500: crosses the 2000 threshold
	f.deliver(t, 1, 1)
	if msgs := f.outbox.Messages(); len(msgs) != 0 {
		t.Fatalf("%d low-balance emails to an owner who turned them off", len(msgs))
	}
	n, to, err := f.store.NoticeRecipients(ctx, ddb.PastDueNotice(f.org, f.clock.Now()))
	if err != nil || n.ID != f.org || len(to) != 1 || to[0] != "owner@low.test" {
		t.Fatalf("past-due recipients %v (%v): an owner cannot turn off billing mail", to, err)
	}
}
