package usagestream_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/tablestream"
	"github.com/orgplane/orgplane/shared/testkit"
	"github.com/orgplane/orgplane/shared/triggers"
	"github.com/orgplane/orgplane/shared/usage"
	"github.com/orgplane/orgplane/shared/usagestream"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

// fixture is a fresh table, a store over it on a clock the test sets, a
// reader of its stream and the consumer as triggers declares it.
type fixture struct {
	store    *ddb.Store
	clock    *testkit.Clock
	reader   *tablestream.Reader
	consumer triggers.StreamConsumer
	handle   triggers.StreamHandler
}

func newFixture(t *testing.T, at time.Time) *fixture {
	t.Helper()
	db, table := ddbtest.NewTable(t)
	r := testkit.StreamReader(t, db, table)
	c, ok := triggers.FindStream(usagestream.Name)
	if !ok {
		t.Fatalf("no stream consumer %s in triggers.StreamConsumers", usagestream.Name)
	}
	clock := testkit.NewClock(at)
	store := ddb.New(db, table)
	store.Now = clock.Now
	return &fixture{store: store, clock: clock, reader: r, consumer: c,
		handle: c.New(triggers.Deps{Store: store, Now: clock.Now})}
}

// org is an org with its owner, as the owner acts in it.
type org struct {
	orgs.Organization
	owner orgs.Member
}

func (f *fixture) newOrg(t *testing.T, n int) org {
	t.Helper()
	u := orgs.User{ID: ids.New(ids.User), Email: fmt.Sprintf("owner%d@example.com", n), Name: "Owner"}
	o, err := f.store.CreateOrganization(context.Background(), u, ddb.NewOrganization{Name: fmt.Sprintf("Org %d", n)})
	if err != nil {
		t.Fatal(err)
	}
	return org{o, orgs.Member{OrganizationID: o.ID, UserID: u.ID, Role: access.Owner, Status: orgs.StatusActive}}
}

func (f *fixture) newProject(t *testing.T, o org) orgs.Project {
	t.Helper()
	p, err := f.store.CreateProject(context.Background(), o.owner, "P "+ids.New(ids.Project)[4:10], "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// spend opens the org's wallet, tops it up and charges amount.
func (f *fixture) spend(t *testing.T, o org, amount int64) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := f.store.EnsureWallet(ctx, o.ID, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []credits.Posting{{Kind: credits.TopUp, Amount: 1000, CreatedBy: "usr_test"},
		{Kind: credits.Charge, Amount: amount, Description: "test", CreatedBy: "usr_test"}} {
		if _, _, err := f.store.Post(ctx, o.ID, nil, p, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// requests counts n requests of the key as key authentication does,
// counting a refusal for each one the limits refuse; it returns how many
// were refused.
func (f *fixture) requests(t *testing.T, k apikeys.Key, plan string, n int) int {
	t.Helper()
	ctx := context.Background()
	policies := apikeys.Policies(plan, k.Type)
	refused := 0
	for range n {
		_, err := f.store.CountRequest(ctx, k, policies, f.clock.Now())
		var limited *ddb.RateLimited
		switch {
		case errors.As(err, &limited):
			refused++
			if err := f.store.CountRefusal(ctx, k, policies, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
		case err != nil:
			t.Fatal(err)
		}
	}
	return refused
}

func newKey(o org, keyType string) apikeys.Key {
	return apikeys.Key{ID: ids.New(ids.APIKey), OrganizationID: o.ID, Type: keyType}
}

// batch reads the n records the consumer's filters select.
func (f *fixture) batch(t *testing.T, n int) events.DynamoDBEvent {
	t.Helper()
	return testkit.Batch(t, f.reader, f.consumer.Match, n)
}

func (f *fixture) deliver(t *testing.T, ev events.DynamoDBEvent) {
	t.Helper()
	resp, err := f.handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("delivery: %+v %v", resp, err)
	}
}

// months reads the org's counters from first to last, zero-filled.
func (f *fixture) months(t *testing.T, orgID string, span ...string) map[string]usage.Counts {
	t.Helper()
	stored, err := f.store.UsageMonths(context.Background(), orgID, span[0], span[len(span)-1])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]usage.Counts{}
	for _, u := range usage.Fill(span, stored) {
		out[u.Month] = u.Counts
	}
	return out
}

var nov = time.Date(2026, 11, 12, 10, 30, 0, 0, time.UTC)

func TestRedeliveredBatch(t *testing.T) {
	f := newFixture(t, nov)
	o := f.newOrg(t, 1) // its owner's membership: 1 record
	for range 3 {
		f.newProject(t, o) // 3 records
	}
	f.spend(t, o, 30)                               // a top-up and a charge: 2 records
	k := newKey(o, apikeys.Standard)                // free: 60 a minute
	refused := f.requests(t, k, "free", 62)         // 60 admitted, 2 refused: 62 records
	agent := newKey(o, apikeys.AIAgent)             // free: 12 a minute
	agentRefused := f.requests(t, agent, "free", 3) // minute and day windows: 6 records
	if refused != 2 || agentRefused != 0 {
		t.Fatalf("refused %d and %d, want 2 and 0", refused, agentRefused)
	}
	ev := f.batch(t, 1+3+2+62+6)
	want := usage.Counts{MembersJoined: 1, ProjectsCreated: 3, CreditsSpent: 30,
		StandardRequests: 60, AgentRequests: 3, RateLimited: 2, ActiveAPIKeys: 2}

	// Half the batch first, as a delivery cut short by a reported failure
	// would leave it; then the whole batch, whose first half is counted.
	f.deliver(t, events.DynamoDBEvent{Records: ev.Records[:len(ev.Records)/2]})
	f.deliver(t, ev)
	if got := f.months(t, o.ID, "2026-11")["2026-11"]; got != want {
		t.Fatalf("after the first deliveries:\n got %+v\nwant %+v", got, want)
	}

	// The same batch ten times more, at once: nothing more.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			resp, err := f.handle(context.Background(), ev)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("redelivery: %+v %v", resp, err)
			}
		})
	}
	wg.Wait()
	if got := f.months(t, o.ID, "2026-11")["2026-11"]; got != want {
		t.Fatalf("after ten redeliveries:\n got %+v\nwant %+v", got, want)
	}
}

func TestMonthBoundary(t *testing.T) {
	last := time.Date(2026, 1, 31, 23, 59, 59, 999_000_000, time.UTC)
	f := newFixture(t, last)
	o := f.newOrg(t, 1)
	f.newProject(t, o)
	f.spend(t, o, 7)
	k := newKey(o, apikeys.Standard)
	f.requests(t, k, "free", 1)

	f.clock.Advance(time.Millisecond) // 2026-02-01T00:00:00Z
	f.newProject(t, o)
	f.requests(t, k, "free", 2)

	f.deliver(t, f.batch(t, 1+1+2+1+1+2))
	got := f.months(t, o.ID, "2025-12", "2026-01", "2026-02", "2026-03")
	want := map[string]usage.Counts{
		"2025-12": {},
		"2026-01": {MembersJoined: 1, ProjectsCreated: 1, CreditsSpent: 7, StandardRequests: 1, ActiveAPIKeys: 1},
		"2026-02": {ProjectsCreated: 1, StandardRequests: 2, ActiveAPIKeys: 1},
		"2026-03": {},
	}
	for m, w := range want {
		if got[m] != w {
			t.Errorf("%s:\n got %+v\nwant %+v", m, got[m], w)
		}
	}
}

func TestDeletedProjects(t *testing.T) {
	f := newFixture(t, nov)
	o := f.newOrg(t, 1)
	p := f.newProject(t, o)
	if err := f.store.DeleteProject(context.Background(), o.owner, p); err != nil {
		t.Fatal(err)
	}
	f.deliver(t, f.batch(t, 3))      // membership, project INSERT, project REMOVE
	month := usage.Month(time.Now()) // a REMOVE has no time of its own: the record's
	got := f.months(t, o.ID, "2026-11", month)
	created, deleted := got["2026-11"].ProjectsCreated, got[month].ProjectsDeleted
	if created != 1 || deleted != 1 {
		t.Fatalf("created %d, deleted %d, want 1 and 1: %+v", created, deleted, got)
	}
}

// Two orgs whose records interleave in one batch, and in batches cut at
// other places: each org's months hold its own numbers, never the other's.
func TestNoNumberFromAnotherOrg(t *testing.T) {
	f := newFixture(t, nov)
	a, b := f.newOrg(t, 1), f.newOrg(t, 2)
	ka, kb := newKey(a, apikeys.Standard), newKey(b, apikeys.AIAgent)
	for i := range 4 {
		if i < 3 { // free: three projects
			f.newProject(t, a)
		}
		f.requests(t, ka, "free", 1)
		if i%2 == 0 {
			f.newProject(t, b)
		}
		f.requests(t, kb, "free", 2)
	}
	f.spend(t, b, 11)
	ev := f.batch(t, 2+3+2+4+2*8+2) // an agent's request changes its minute and day windows
	for _, cut := range [][]int{{0, 7}, {7, 13}, {13, len(ev.Records)}} {
		f.deliver(t, events.DynamoDBEvent{Records: ev.Records[cut[0]:cut[1]]})
	}
	f.deliver(t, ev)
	wantA := usage.Counts{MembersJoined: 1, ProjectsCreated: 3, StandardRequests: 4, ActiveAPIKeys: 1}
	wantB := usage.Counts{MembersJoined: 1, ProjectsCreated: 2, AgentRequests: 8, CreditsSpent: 11, ActiveAPIKeys: 1}
	if got := f.months(t, a.ID, "2026-11")["2026-11"]; got != wantA {
		t.Errorf("org A:\n got %+v\nwant %+v", got, wantA)
	}
	if got := f.months(t, b.ID, "2026-11")["2026-11"]; got != wantB {
		t.Errorf("org B:\n got %+v\nwant %+v", got, wantB)
	}
}

// The records of an org deleted meanwhile add nothing (and are not
// failures): its usage stays gone with it.
func TestDeletedOrg(t *testing.T) {
	f := newFixture(t, nov)
	o := f.newOrg(t, 1)
	f.newProject(t, o)
	ev := f.batch(t, 2)
	if err := f.store.DeleteOrganization(context.Background(), o.ID, o.Slug, &o.owner); err != nil {
		t.Fatal(err)
	}
	f.deliver(t, ev)
	if got, err := f.store.UsageMonths(context.Background(), o.ID, "2026-01", "2026-12"); err != nil || len(got) != 0 {
		t.Fatalf("usage of a deleted org: %+v, %v", got, err)
	}
}

// A record the consumer cannot read is reported alone; the rest count.
func TestPoisonedRecord(t *testing.T) {
	f := newFixture(t, nov)
	o := f.newOrg(t, 1)
	f.newProject(t, o)
	f.newProject(t, o)
	ev := f.batch(t, 3)
	poison := ev.Records[1]
	poison.EventID, poison.Change.SequenceNumber = "poison", "poison-1"
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range poison.Change.NewImage {
		img[k] = v
	}
	img["organization_id"] = events.NewStringAttribute(f.newOrg(t, 2).ID) // not the org its key names
	poison.Change.NewImage = img
	ev.Records = append(ev.Records, poison)
	resp, err := f.handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "poison-1" {
		t.Fatalf("failures %+v, %v; want only poison-1", resp, err)
	}
	want := usage.Counts{MembersJoined: 1, ProjectsCreated: 2}
	if got := f.months(t, o.ID, "2026-11")["2026-11"]; got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// TestCallsPerBatch counts the consumer's DynamoDB calls: one transaction
// per org and month of a batch (and one read and, once a month, one
// transaction per key whose window opened); a redelivery costs one more
// transaction per org and month, not one per record.
func TestCallsPerBatch(t *testing.T) {
	f := newFixture(t, nov)
	o := f.newOrg(t, 1)
	f.deliver(t, f.batch(t, 1))
	k := newKey(o, apikeys.Standard)
	f.requests(t, k, "free", 50)
	ev := f.batch(t, 50)

	calls := &ddbtest.Counter{}
	counted := ddb.New(ddbtest.NewCountingClient(t, calls), f.store.Table)
	counted.Now = f.clock.Now
	handle := f.consumer.New(triggers.Deps{Store: counted, Now: f.clock.Now})
	cases := []struct {
		name             string
		events           events.DynamoDBEvent
		txns, getsAtMost int
	}{
		{"First", events.DynamoDBEvent{Records: ev.Records[:30]}, 2, 1}, // the counters; the key's mark
		{"Redelivered", ev, 2, 1}, // 30 of 50 counted before: two tries; the mark is there
		{"RedeliveredAgain", ev, 1, 1},
	}
	for _, tc := range cases {
		calls.Reset()
		if resp, err := handle(context.Background(), tc.events); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%s: %+v %v", tc.name, resp, err)
		}
		if got := calls.Count("TransactWriteItems"); got != tc.txns || calls.Count("GetItem") > tc.getsAtMost {
			t.Errorf("%s: %v, want %d transactions and at most %d reads", tc.name, calls.Counts(), tc.txns, tc.getsAtMost)
		}
	}
	want := usage.Counts{MembersJoined: 1, StandardRequests: 50, ActiveAPIKeys: 1}
	if got := f.months(t, o.ID, "2026-11")["2026-11"]; got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// A refused request counts as refused, and does not make its key active:
// an agent key over its daily quota opens its minute window by a refusal.
func TestRefusalOpensWindow(t *testing.T) {
	f := newFixture(t, nov)
	o := f.newOrg(t, 1)
	k := newKey(o, apikeys.AIAgent)
	if err := f.store.CountRefusal(context.Background(), k, apikeys.Policies("free", k.Type), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.deliver(t, f.batch(t, 2))
	want := usage.Counts{MembersJoined: 1, RateLimited: 1}
	if got := f.months(t, o.ID, "2026-11")["2026-11"]; got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
