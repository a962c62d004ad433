// Package testkit holds the test doubles and fixtures that several test
// packages share: a clock the test moves, a mail sender whose behaviour is
// a function, an outbox that records what was sent, and the stream batch
// an event source mapping would hand a consumer. Only tests import it.
package testkit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/tablestream"
)

// Clock is a clock the test sets and moves; code under test reads Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t.UTC()} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sender is a mail.Sender whose behaviour is a function field.
type Sender struct {
	SendFunc func(context.Context, mail.Message) (string, error)
}

// Send calls SendFunc.
func (s Sender) Send(ctx context.Context, m mail.Message) (string, error) { return s.SendFunc(ctx, m) }

// Outbox records what its sender sent.
type Outbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

// Sender is a mail sender that delivers into the outbox.
func (o *Outbox) Sender() Sender {
	return Sender{SendFunc: func(_ context.Context, m mail.Message) (string, error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.sent = append(o.sent, m)
		return fmt.Sprintf("msg-%d", len(o.sent)), nil
	}}
}

// Messages are the messages sent so far, oldest first.
func (o *Outbox) Messages() []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]mail.Message(nil), o.sent...)
}

// StreamReader opens a reader of a test table's stream from its start
// (DynamoDB Local's Streams API at the test endpoint).
func StreamReader(tb testing.TB, db *dynamodb.Client, table string) *tablestream.Reader {
	tb.Helper()
	ctx := context.Background()
	streams, err := ddblocal.NewStreamsClient(ctx, ddbtest.Endpoint(tb))
	if err != nil {
		tb.Fatal(err)
	}
	r, err := tablestream.NewReader(ctx, db, streams, table, false)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// Batch reads the table's stream until it holds n records that match
// selects (a consumer's filter), as the event source mapping would hand
// them over, and fails the test on any other count.
func Batch(tb testing.TB, r *tablestream.Reader, match func(events.DynamoDBEventRecord) bool, n int) events.DynamoDBEvent {
	tb.Helper()
	recs, err := r.ReadMatching(context.Background(), match, n, 50)
	if err != nil {
		tb.Fatal(err)
	}
	if len(recs) != n {
		tb.Fatalf("the filter selected %d records, want %d", len(recs), n)
	}
	return events.DynamoDBEvent{Records: recs}
}
