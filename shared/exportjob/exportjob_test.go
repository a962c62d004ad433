package exportjob_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/bucket"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/exportjob"
	"github.com/orgplane/orgplane/shared/exports"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/s3local"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

// fixture is a fresh table with one org and its owner, a local S3 server
// with the export bucket, and a builder over both.
type fixture struct {
	db      *dynamodb.Client
	store   *ddb.Store
	bucket  *bucket.Bucket
	builder *exportjob.Builder
	owner   orgs.Member
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	ctx := context.Background()
	db, table := ddbtest.NewTable(tb)
	store := ddb.New(db, table)
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"exports"}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	b := bucket.New(aws.Config{Region: s3local.Region, Credentials: s3local.Credentials()}, "exports", srv.Endpoint())
	u := orgs.User{ID: ids.New(ids.User), Email: "owner@bench.test", Name: "Owner"}
	o, err := store.CreateOrganization(ctx, u, ddb.NewOrganization{Name: "Bench"})
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := store.EnsureWallet(ctx, o.ID, nil); err != nil {
		tb.Fatal(err)
	}
	m, _, err := store.MemberAndOrg(ctx, o.ID, u.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{db: db, store: store, bucket: b, owner: m,
		builder: &exportjob.Builder{Store: store, Bucket: b, Now: time.Now}}
}

// seedLedger writes n ledger entries straight into the org's ledger
// partition, 25 per BatchWriteItem: as many entries through Post would
// take minutes on DynamoDB Local, and the export reads them the same way.
func (f *fixture) seedLedger(tb testing.TB, n int) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var reqs []types.WriteRequest
	flush := func() {
		for len(reqs) > 0 {
			out, err := f.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{f.store.Table: reqs}})
			if err != nil {
				tb.Fatal(err)
			}
			reqs = out.UnprocessedItems[f.store.Table]
		}
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	for i := range n {
		at := now.Add(time.Duration(i) * time.Millisecond)
		id := ids.NewAt(ids.Transaction, at)
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"PK": s("ORG#" + f.owner.OrganizationID + "#LEDGER"), "SK": s("TXN#" + id), "type": s(ddb.TypeLedgerEntry),
			"id": s(id), "organization_id": s(f.owner.OrganizationID), "kind": s("charge"),
			"amount": &types.AttributeValueMemberN{Value: "-3"}, "description": s(fmt.Sprintf("usage %d", i)),
			"created_by": s(f.owner.UserID), "created_at": s(at.Format(time.RFC3339Nano)),
		}}})
		if len(reqs) == 25 {
			flush()
		}
	}
	flush()
}

// build requests an org export and builds it, returning the job as built.
func (f *fixture) build(tb testing.TB) exports.Job {
	tb.Helper()
	ctx := context.Background()
	j, err := f.store.RequestExport(ctx, exports.KindOrganization, exports.FormatJSON, activity.Filter{}, f.owner)
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.builder.Build(ctx, j); err != nil {
		tb.Fatal(err)
	}
	j, err = f.store.Export(ctx, exports.KindOrganization, f.owner.OrganizationID, j.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

// TestRebuildIsANoOp: a redelivered job (built already) is left as it is.
func TestRebuildIsANoOp(t *testing.T) {
	f := newFixture(t)
	f.seedLedger(t, 30)
	j := f.build(t)
	if j.Status != exports.StatusReady || j.Records == 0 {
		t.Fatalf("built job %+v", j)
	}
	if err := f.builder.Build(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	again, err := f.store.Export(context.Background(), exports.KindOrganization, j.OrganizationID, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Attempts != 1 || !again.FinishedAt.Equal(j.FinishedAt) {
		t.Fatalf("after redelivery %+v, was %+v", again, j)
	}
	raw, err := f.bucket.Get(context.Background(), j.Object())
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Ledger []map[string]any `json:"ledger"`
	}
	body, _ := io.ReadAll(zr)
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Ledger) != 30 {
		t.Fatalf("ledger of %d entries (%v), want 30", len(doc.Ledger), err)
	}
}

// BenchmarkOrgExport10kLedger builds the GDPR export of an org with
// 10,000 ledger entries (DynamoDB Local and the local S3 server).
func BenchmarkOrgExport10kLedger(b *testing.B) {
	f := newFixture(b)
	f.seedLedger(b, 10_000)
	var j exports.Job
	b.ResetTimer()
	for b.Loop() {
		j = f.build(b)
	}
	b.ReportMetric(float64(j.Size), "gzip-bytes")
	b.ReportMetric(float64(j.Records), "records")
}
