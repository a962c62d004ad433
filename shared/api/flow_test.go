package api_test

import (
	"context"
	"encoding/json"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/exportjob"
	"github.com/orgplane/orgplane/shared/invitemail"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/tablestream"
	"github.com/orgplane/orgplane/shared/testkit"
	"github.com/orgplane/orgplane/shared/triggers"
	"github.com/orgplane/orgplane/shared/walletstream"
)

// Helpers for the invitation and wallet tests, which need more than env:
// a server that derives invitation tokens and reads a settable clock, and
// the table's stream consumers run on demand with a fake mail sender.

const testAppURL = "https://app.orgplane.test"

var testInviteSecret = invites.Secret("api-test-invite-secret-0123456789abcdef")

// flowEnv is env plus a clock, a stream reader and a mailbox.
type flowEnv struct {
	*env
	clock  *testkit.Clock
	reader *tablestream.Reader
	deps   triggers.Deps

	mu      sync.Mutex
	mailbox []mail.Message
}

func newFlowEnv(t *testing.T) *flowEnv {
	t.Helper()
	clk := testkit.NewClock(time.Now())
	e := newEnvAt(t, clk.Now)
	f := &flowEnv{env: e, clock: clk, reader: testkit.StreamReader(t, e.db, e.store.Table)}
	f.deps = triggers.Deps{Store: e.store, AppURL: testAppURL, Now: clk.Now, InviteSecret: testInviteSecret, Exports: e.exports,
		Mail: testkit.Sender{SendFunc: func(_ context.Context, m mail.Message) (string, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.mailbox = append(f.mailbox, m)
			return "fake-" + m.ID, nil
		}}}
	return f
}

// deliver runs the create-wallet, send-invitation and build-export stream
// consumers on everything written to the table since the last delivery,
// through their filters as the event source mappings would, redelivering
// batches with reported failures. It returns the mail sent.
func (f *flowEnv) deliver(t *testing.T) []mail.Message {
	t.Helper()
	return f.deliverTo(t, walletstream.Name, invitemail.Name, exportjob.Name)
}

// deliverTo is deliver to the named consumers.
func (f *flowEnv) deliverTo(t *testing.T, consumers ...string) []mail.Message {
	t.Helper()
	f.mu.Lock()
	before := len(f.mailbox)
	f.mu.Unlock()
	var recs []events.DynamoDBEventRecord
	for attempt := 0; attempt < 3; attempt++ { // drain what is on the stream
		got, err := f.reader.Read(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, got...)
	}
	for _, name := range consumers {
		c, ok := triggers.FindStream(name)
		if !ok {
			t.Fatalf("no stream consumer %s", name)
		}
		var ev events.DynamoDBEvent
		for _, r := range recs {
			if c.Match(r) {
				ev.Records = append(ev.Records, r)
			}
		}
		if len(ev.Records) == 0 {
			continue
		}
		h := c.New(f.deps)
		for attempt := 0; ; attempt++ {
			resp, err := h(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.BatchItemFailures) == 0 {
				break
			}
			if attempt == 5 {
				t.Fatalf("%s: records keep failing: %v", name, resp.BatchItemFailures)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]mail.Message(nil), f.mailbox[before:]...)
}

var linkPattern = regexp.MustCompile(regexp.QuoteMeta(testAppURL) + `/invitations/([A-Za-z0-9_-]{43})`)

// tokenFrom delivers the stream and returns the token of the one new
// invitation email to email.
func (f *flowEnv) tokenFrom(t *testing.T, email string) string {
	t.Helper()
	var tokens []string
	for _, m := range f.deliver(t) {
		if m.To == email {
			match := linkPattern.FindStringSubmatch(m.Text)
			if match == nil {
				t.Fatalf("no link in the email to %s:\n%s", email, m.Text)
			}
			tokens = append(tokens, match[1])
		}
	}
	if len(tokens) != 1 {
		t.Fatalf("%d new emails to %s, want 1", len(tokens), email)
	}
	return tokens[0]
}

// invite invites email into org as owner (with role, "" for the default)
// and returns the invitation's id and the token its email carried.
func (f *flowEnv) invite(t *testing.T, inviter, org, email, role string) (string, string) {
	t.Helper()
	body := map[string]any{"email": email}
	if role != "" {
		body["role"] = role
	}
	r := f.must(t, 201, inviter, "POST", "/organizations/"+org+"/invitations", body)
	return r.Str(t, "id"), f.tokenFrom(t, email)
}

// join makes email a member of org with role, by invitation.
func (f *flowEnv) join(t *testing.T, inviter, org, email, role string) {
	t.Helper()
	_, token := f.invite(t, inviter, org, email, role)
	f.must(t, 200, email, "POST", "/invitations/"+token+"/accept", nil)
}

// orgNumbers reads an org's counters as the API shows them.
func (f *flowEnv) orgNumbers(t *testing.T, owner, org string) (members, pending int) {
	t.Helper()
	o := f.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t)
	return int(o["member_count"].(float64)), int(o["pending_invitation_count"].(float64))
}

func mustJSON(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
}
