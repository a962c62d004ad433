package ddbtest

import (
	"context"
	"sync"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgplane/orgplane/shared/ddblocal"
)

// Counter counts DynamoDB API calls by operation name ("GetItem",
// "TransactWriteItems", ...), for tests that pin how many round trips a
// piece of code makes. Each API call counts once, whether it succeeds or
// fails; SDK retries of the same call are not counted again. Paginators
// and waiters count one call per page or poll. The zero value is ready to
// use and safe for concurrent use.
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
	// inFlight and most are calls under way now and at most at once since
	// the last Reset: a test sees that reads went out in parallel.
	inFlight, most int
}

// CounterMiddlewareID is the ID of the counting step in the Initialize stack.
const CounterMiddlewareID = "ddbtest.Counter"

// Middleware returns the APIOptions entry that counts calls into c:
//
//	dynamodb.New(opts, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, c.Middleware()) })
func (c *Counter) Middleware() func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		op := stack.ID()
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(CounterMiddlewareID,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
				middleware.InitializeOutput, middleware.Metadata, error,
			) {
				name := awsmiddleware.GetOperationName(ctx)
				if name == "" {
					name = op
				}
				c.add(name)
				defer c.done()
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

func (c *Counter) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = make(map[string]int)
	}
	c.counts[op]++
	c.inFlight++
	c.most = max(c.most, c.inFlight)
}

func (c *Counter) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
}

// MostAtOnce is the most calls that were under way at the same time since
// creation or the last Reset.
func (c *Counter) MostAtOnce() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.most
}

// Total is the number of calls counted since creation or the last Reset.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Count is the number of calls of operation op (e.g. "Query").
func (c *Counter) Count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[op]
}

// Counts returns a copy of the per-operation counts.
func (c *Counter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		m[k] = v
	}
	return m
}

// Reset sets every count back to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = nil
	c.most = c.inFlight
}

// NewCountingClient returns a client for the test endpoint whose calls are
// counted by c. Use it with a table from NewTable.
func NewCountingClient(tb testing.TB, c *Counter) *dynamodb.Client {
	tb.Helper()
	ep := Endpoint(tb)
	client, err := ddblocal.NewClient(context.Background(), ep, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, c.Middleware())
	})
	if err != nil {
		tb.Fatalf("ddbtest: %v", err)
	}
	return client
}
