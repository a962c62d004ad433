package walletstream_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/tablestream"
	"github.com/orgplane/orgplane/shared/testkit"
	"github.com/orgplane/orgplane/shared/triggers"
	"github.com/orgplane/orgplane/shared/walletstream"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

// fixture is a fresh table, a store over it and a reader of its stream.
type fixture struct {
	store  *ddb.Store
	reader *tablestream.Reader
	filter triggers.Filter
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
	c, ok := triggers.FindStream(walletstream.Name)
	if !ok {
		t.Fatalf("no stream consumer %s in triggers.StreamConsumers", walletstream.Name)
	}
	return &fixture{store: ddb.New(db, table), reader: r, filter: c.Filter}
}

func (f *fixture) newOrg(t *testing.T, n int) orgs.Organization {
	t.Helper()
	u := orgs.User{ID: ids.New(ids.User), Email: fmt.Sprintf("owner%d@example.com", n), Name: "Owner"}
	o, err := f.store.CreateOrganization(context.Background(), u, ddb.NewOrganization{Name: fmt.Sprintf("Org %d", n)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f *fixture) batch(t *testing.T, n int) events.DynamoDBEvent {
	t.Helper()
	return testkit.Batch(t, f.reader, f.filter.Match, n)
}

func TestRedeliveredBatch(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, f.newOrg(t, i).ID)
	}
	ev := f.batch(t, 5)
	handle := walletstream.Handler(f.store)
	ctx := context.Background()

	// The first delivery opens the wallets; money then moves in one.
	if resp, err := handle(ctx, ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("first delivery: %v %v", resp, err)
	}
	if _, _, err := f.store.Post(ctx, ids[0], nil, credits.Posting{Kind: credits.TopUp, Amount: 50, CreatedBy: "usr_test"}, nil); err != nil {
		t.Fatal(err)
	}

	// The same batch, ten times at once, changes nothing.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			resp, err := handle(ctx, ev)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("redelivery: %v %v", resp, err)
			}
		})
	}
	wg.Wait()
	for i, id := range ids {
		w, err := f.store.GetWallet(ctx, id)
		if err != nil {
			t.Fatalf("org %d: %v", i, err)
		}
		wantBalance := int64(0)
		if i == 0 {
			wantBalance = 50
		}
		if w.Balance != wantBalance {
			t.Errorf("org %d: balance %d, want %d", i, w.Balance, wantBalance)
		}
		if i > 0 && w.Version != 1 {
			t.Errorf("org %d: wallet version %d, want 1 (written once)", i, w.Version)
		}
	}
}

func TestConcurrentFirstDelivery(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(t, 1)
	ev := f.batch(t, 1)
	handle := walletstream.Handler(f.store)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if resp, err := handle(context.Background(), ev); err != nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("delivery: %v %v", resp, err)
			}
		})
	}
	wg.Wait()
	w, err := f.store.GetWallet(context.Background(), o.ID)
	if err != nil || w.Balance != 0 || w.Version != 1 {
		t.Fatalf("wallet %+v, %v; want one wallet at version 1", w, err)
	}
}

func TestPoisonedRecord(t *testing.T) {
	f := newFixture(t)
	var orgIDs []string
	for i := range 9 {
		orgIDs = append(orgIDs, f.newOrg(t, i).ID)
	}
	ev := f.batch(t, 9)
	// A tenth record whose image is not an organization item the consumer
	// can read: its id is malformed.
	poison := ev.Records[4]
	poison.Change.SequenceNumber = "poison-1"
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range poison.Change.NewImage {
		img[k] = v
	}
	img["id"] = events.NewStringAttribute("not-an-org-id")
	poison.Change.NewImage = img
	ev.Records = append(ev.Records[:5:5], append([]events.DynamoDBEventRecord{poison}, ev.Records[5:]...)...)
	if len(ev.Records) != 10 {
		t.Fatalf("batch of %d", len(ev.Records))
	}

	resp, err := walletstream.Handler(f.store)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "poison-1" {
		t.Fatalf("failures %v, want only the poisoned record", resp.BatchItemFailures)
	}
	for _, id := range orgIDs {
		if _, err := f.store.GetWallet(context.Background(), id); err != nil {
			t.Errorf("org %s: %v", id, err)
		}
	}
}

func TestDeletedOrg(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(t, 1)
	ev := f.batch(t, 1)
	if err := f.store.DeleteOrganization(context.Background(), o.ID, o.Slug, nil /* no caller: every membership goes in the purge */); err != nil {
		t.Fatal(err)
	}
	resp, err := walletstream.Handler(f.store)(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("delivery for a deleted org: %v %v", resp, err)
	}
	if _, err := f.store.GetWallet(context.Background(), o.ID); err != ddb.ErrNotFound {
		t.Fatalf("a deleted org got a wallet: %v", err)
	}
}
