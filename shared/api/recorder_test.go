package api_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
)

// newRecordingEnv is newEnv whose store's calls are also recorded.
func newRecordingEnv(tb testing.TB) (*env, *recorder) {
	rec := &recorder{}
	e := newEnvOn(tb, time.Now, func(calls *ddbtest.Counter) *dynamodb.Client {
		c, err := ddblocal.NewClient(context.Background(), ddbtest.Endpoint(tb), func(o *dynamodb.Options) {
			o.APIOptions = append(o.APIOptions, calls.Middleware(), rec.middleware)
		})
		if err != nil {
			tb.Fatal(err)
		}
		return c
	})
	return e, rec
}

// recorder keeps the DynamoDB calls a request makes, with their inputs,
// outputs and times, so a benchmark can replay exactly those calls raw and
// a test can tell calls sent together from calls sent one after another.
type recorder struct {
	mu    sync.Mutex
	on    bool
	calls []recordedCall
	// paired, when set by startPaired, holds the first call until a
	// second one starts, so calls a request sends together are seen
	// together however the goroutines are scheduled (a call sent alone
	// waits pairWait and then goes on, seen alone).
	paired   chan struct{}
	inflight int
}

// pairWait bounds how long a call waits for a partner in paired mode.
const pairWait = 5 * time.Second

type recordedCall struct {
	op         string
	in, out    any
	start, end time.Time
}

func (r *recorder) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.calls = true, nil
}

// startPaired is start, holding the first call for a partner.
func (r *recorder) startPaired() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.calls, r.inflight, r.paired = true, nil, 0, make(chan struct{})
}

func (r *recorder) stop() []recordedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.paired = false, nil
	return slices.Clone(r.calls)
}

// pair waits for a partner call in paired mode.
func (r *recorder) pair() {
	r.mu.Lock()
	ch := r.paired
	if ch == nil {
		r.mu.Unlock()
		return
	}
	r.inflight++
	first := r.inflight == 1
	if !first {
		r.paired = nil
		close(ch)
	}
	r.mu.Unlock()
	if first {
		select {
		case <-ch:
		case <-time.After(pairWait):
		}
	}
}

func (r *recorder) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("bench.recorder",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			r.pair()
			began := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			r.mu.Lock()
			if r.on {
				r.calls = append(r.calls, recordedCall{op: awsmiddleware.GetOperationName(ctx), in: in.Parameters,
					out: out.Result, start: began, end: time.Now()})
			}
			r.mu.Unlock()
			return out, md, err
		}), middleware.After)
}

// rounds groups calls into round trips by their depth on the request's
// critical path: a call is one round after the latest round among the
// calls that had ended when it started; calls of one round were in flight
// together (or on independent paths).
func rounds(calls []recordedCall) [][]recordedCall {
	calls = slices.Clone(calls)
	slices.SortFunc(calls, func(a, b recordedCall) int { return a.start.Compare(b.start) })
	depth := make([]int, len(calls))
	var out [][]recordedCall
	for i, c := range calls {
		for j := range i {
			if !calls[j].end.After(c.start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		for len(out) <= depth[i] {
			out = append(out, nil)
		}
		out[depth[i]] = append(out[depth[i]], c)
	}
	return out
}

// send makes one recorded call again, raw.
func send(ctx context.Context, db *dynamodb.Client, in any) (any, error) {
	var out any
	var err error
	switch v := in.(type) {
	case *dynamodb.GetItemInput:
		out, err = db.GetItem(ctx, v)
	case *dynamodb.BatchGetItemInput:
		out, err = db.BatchGetItem(ctx, v)
	case *dynamodb.QueryInput:
		out, err = db.Query(ctx, v)
	case *dynamodb.UpdateItemInput:
		out, err = db.UpdateItem(ctx, v)
	case *dynamodb.PutItemInput:
		out, err = db.PutItem(ctx, v)
	case *dynamodb.TransactWriteItemsInput:
		out, err = db.TransactWriteItems(ctx, v)
	default:
		return nil, fmt.Errorf("replay: %T", in)
	}
	// A replayed conditional write may lose its condition; it still made
	// the same round trip.
	var ccf *types.ConditionalCheckFailedException
	var tc *types.TransactionCanceledException
	if errors.As(err, &ccf) || errors.As(err, &tc) {
		err = nil
	}
	return out, err
}

// replayRounds sends each round's calls together, the rounds in order.
func replayRounds(ctx context.Context, db *dynamodb.Client, rs [][]any) error {
	for _, r := range rs {
		if len(r) == 1 {
			if _, err := send(ctx, db, r[0]); err != nil {
				return err
			}
			continue
		}
		errs := make([]error, len(r))
		var wg sync.WaitGroup
		for i, in := range r {
			wg.Go(func() { _, errs[i] = send(ctx, db, in) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}
