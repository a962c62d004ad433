package runner_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/infra/local/runner"
	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/table"
	"github.com/orgplane/orgplane/shared/triggers"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

// wait bounds every wait for something the stream should bring: generous,
// since it only limits how long a failing test hangs.
const wait = 30 * time.Second

// streamTable is a fresh table with its stream.
type streamTable struct {
	db        *dynamodb.Client
	name, arn string
}

func newStreamTable(t *testing.T) streamTable {
	t.Helper()
	db, name := ddbtest.NewTable(t)
	out, err := db.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	arn := aws.ToString(out.Table.LatestStreamArn)
	if arn == "" {
		t.Fatalf("table %s has no stream", name)
	}
	return streamTable{db: db, name: name, arn: arn}
}

// put writes an item of the type with extra attributes.
func (st streamTable) put(t *testing.T, pk, typ string, extra map[string]types.AttributeValue) {
	t.Helper()
	item := map[string]types.AttributeValue{
		table.PK:   &types.AttributeValueMemberS{Value: pk},
		table.SK:   &types.AttributeValueMemberS{Value: "ITEM"},
		table.Type: &types.AttributeValueMemberS{Value: typ},
	}
	for k, v := range extra {
		item[k] = v
	}
	if _, err := st.db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(st.name), Item: item}); err != nil {
		t.Fatalf("PutItem %s: %v", pk, err)
	}
}

func (st streamTable) delete(t *testing.T, pk string) {
	t.Helper()
	if _, err := st.db.DeleteItem(t.Context(), &dynamodb.DeleteItemInput{TableName: aws.String(st.name),
		Key: map[string]types.AttributeValue{
			table.PK: &types.AttributeValueMemberS{Value: pk},
			table.SK: &types.AttributeValueMemberS{Value: "ITEM"},
		}}); err != nil {
		t.Fatalf("DeleteItem %s: %v", pk, err)
	}
}

// start runs s on the table's stream until the test ends and waits until
// it is Ready.
func (st streamTable) start(t *testing.T, s *runner.Streams) {
	t.Helper()
	client, err := ddblocal.NewStreamsClient(t.Context(), ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	s.DB, s.StreamsClient, s.Table = st.db, client, st.name
	if s.Poll == 0 {
		s.Poll = 20 * time.Millisecond
	}
	if s.RetryDelay == 0 {
		s.RetryDelay = 10 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { // before the table is deleted: cleanups run last-in first-out
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("Run returned before Ready: %v", err)
	case <-time.After(wait):
		t.Fatal("stream runner not ready")
	}
}

// handlers maps consumer names to test handlers, for Streams.Handler.
func handlers(hs map[string]triggers.StreamHandler) func(triggers.StreamConsumer) triggers.StreamHandler {
	return func(c triggers.StreamConsumer) triggers.StreamHandler { return hs[c.Name] }
}

// consumer is a test consumer of items of the given types.
func consumer(name string, itemTypes ...string) triggers.StreamConsumer {
	return triggers.StreamConsumer{Name: name, Filter: triggers.Filter{
		EventNames: []string{"INSERT", "MODIFY", "REMOVE"}, ItemTypes: itemTypes,
	}}
}

// recorder is a handler that keeps every invocation's records.
type recorder struct {
	mu      sync.Mutex
	calls   [][]events.DynamoDBEventRecord
	changed chan struct{}
	// fail, when set, picks records to report as failed in a call.
	fail func(call int, rec events.DynamoDBEventRecord) bool
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) handle(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	r.mu.Lock()
	call := len(r.calls)
	r.calls = append(r.calls, ev.Records)
	r.mu.Unlock()
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		if r.fail != nil && r.fail(call, rec) {
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	select {
	case r.changed <- struct{}{}:
	default:
	}
	return resp, nil
}

// records lists every record delivered, in delivery order.
func (r *recorder) records() []events.DynamoDBEventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.DynamoDBEventRecord
	for _, c := range r.calls {
		out = append(out, c...)
	}
	return out
}

// pks lists each call's records by partition key.
func (r *recorder) pks() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]string, len(r.calls))
	for i, c := range r.calls {
		for _, rec := range c {
			out[i] = append(out[i], pkOf(rec))
		}
	}
	return out
}

// count is how many times a record of the partition key was delivered.
func (r *recorder) count(pk string) int {
	n := 0
	for _, rec := range r.records() {
		if pkOf(rec) == pk {
			n++
		}
	}
	return n
}

// waitFor waits until cond holds over the recorder, failing after wait.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(wait)
	for !cond() {
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; calls so far: %v", what, r.pks())
		}
	}
}

func pkOf(rec events.DynamoDBEventRecord) string {
	if v, ok := rec.Change.Keys[table.PK]; ok {
		return v.String()
	}
	return ""
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }
