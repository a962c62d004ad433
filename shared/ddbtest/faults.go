package ddbtest

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orgplane/orgplane/shared/ddblocal"
)

// Fault is a way DynamoDB fails a request.
type Fault string

// The faults a Faults injector answers with. Each but GSILag and
// TimeoutAfterWrite is made before the request reaches DynamoDB, as the
// service's own error response, so the SDK decodes and retries it exactly as
// it would a real one.
const (
	// Conflict: TransactWriteItems is cancelled with every action's reason
	// TransactionConflict (a concurrent transaction held an item). DynamoDB
	// Local never raises it, so this is the only place it is tested.
	Conflict Fault = "TransactionConflict"
	// Throttle: ProvisionedThroughputExceededException (HTTP 400), a
	// throttle the SDK retries with backoff.
	Throttle Fault = "ProvisionedThroughputExceeded"
	// ServerError: HTTP 500 InternalServerError, which the SDK retries.
	ServerError Fault = "InternalServerError"
	// Timeout: the request never reaches DynamoDB; the call fails as a
	// network timeout (the SDK retries it).
	Timeout Fault = "Timeout"
	// TimeoutAfterWrite: DynamoDB applies the request, and its response is
	// lost as a network timeout; the SDK sends it again (a transaction with
	// the same ClientRequestToken, so DynamoDB answers it idempotently).
	TimeoutAfterWrite Fault = "TimeoutAfterWrite"
	// GSILag: a Query on an index misses the items written through this
	// client since the rule was added, as an index a moment behind its
	// table does.
	GSILag Fault = "GSILag"
	// Unprocessed: a BatchGetItem or BatchWriteItem succeeds but leaves
	// every key or item unprocessed, as DynamoDB does under throttling;
	// the caller must send them again.
	Unprocessed Fault = "Unprocessed"
)

// Rule says which attempts of an operation fail, and how. The SDK's
// retries are attempts of their own: a rule hitting every attempt
// outlasts the SDK's retries, one hitting every other attempt does not.
type Rule struct {
	Op    string // the operation ("TransactWriteItems", "Query", ...); "" for any
	Fault Fault
	Every int // hit every Every-th matching attempt (0 or 1: every one)
	Limit int // stop after this many hits (0: no limit)

	seen, hits int
	since      int // GSILag: writes recorded before the rule
}

// Faults injects faults into the DynamoDB calls of a client, by rule, and
// counts what it injected. Build a client with NewFaultyClient, or add
// Middleware to a client's APIOptions. Safe for concurrent use.
type Faults struct {
	mu       sync.Mutex
	rules    []*Rule
	hooks    []hook
	written  []string // PK|SK of each item written, in order
	injected map[string]int
}

// writes are the operations that write items.
var writes = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true,
	"TransactWriteItems": true, "BatchWriteItem": true}

type hook struct {
	op  string
	run func()
}

// Add installs rules, which apply from the next attempt on.
func (f *Faults) Add(rules ...Rule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rules {
		r.since = len(f.written)
		f.rules = append(f.rules, &r)
	}
}

// Clear removes every rule and hook; the counts stay.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules, f.hooks = nil, nil
}

// Before runs do once, just before the next call of op is sent ("" for
// the next call that writes, whatever its operation): the test makes a
// concurrent change land at that exact point (between a request's read
// and its write, say) without timing anything.
func (f *Faults) Before(op string, do func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = append(f.hooks, hook{op: op, run: do})
}

// Injected returns how many faults were injected, by "Op/Fault".
func (f *Faults) Injected() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.injected)
}

// Total is the number of faults injected.
func (f *Faults) Total() int {
	n := 0
	for _, v := range f.Injected() {
		n += v
	}
	return n
}

// FaultsMiddlewareID names the injector's steps in the middleware stack.
const FaultsMiddlewareID = "ddbtest.Faults"

// Middleware returns the APIOptions entry that injects f's faults. It
// sits at both ends of the stack: before the SDK's retries (hooks, GSI
// lag, and noting what each call writes) and right before the transport,
// where each attempt may be answered with a fault instead of being sent.
func (f *Faults) Middleware() func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc(FaultsMiddlewareID,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
				middleware.InitializeOutput, middleware.Metadata, error,
			) {
				op := awsmiddleware.GetOperationName(ctx)
				f.runHooks(op)
				if out, ok := f.unprocessed(op, in.Parameters); ok {
					return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, nil
				}
				ctx = middleware.WithStackValue(ctx, actionsKey{}, actionsOf(in.Parameters))
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					f.noteWrites(in.Parameters)
					f.lag(op, in.Parameters, out.Result)
				}
				return out, md, err
			}), middleware.Before)
		if err != nil {
			return err
		}
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc(FaultsMiddlewareID,
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
				middleware.DeserializeOutput, middleware.Metadata, error,
			) {
				op := awsmiddleware.GetOperationName(ctx)
				fault := f.attempt(op)
				switch fault {
				case "", GSILag:
					return next.HandleDeserialize(ctx, in)
				case Timeout:
					return middleware.DeserializeOutput{}, middleware.Metadata{}, &smithyhttp.RequestSendError{Err: timeoutError{}}
				case TimeoutAfterWrite:
					out, md, err := next.HandleDeserialize(ctx, in)
					if err != nil {
						return out, md, err
					}
					if r, ok := out.RawResponse.(*smithyhttp.Response); ok && r.Body != nil {
						_ = r.Body.Close()
					}
					return middleware.DeserializeOutput{}, md, &smithyhttp.RequestSendError{Err: timeoutError{}}
				}
				n, _ := middleware.GetStackValue(ctx, actionsKey{}).(int)
				return middleware.DeserializeOutput{RawResponse: errorResponse(fault, n)}, middleware.Metadata{}, nil
			}), middleware.After)
	}
}

type actionsKey struct{}

// actionsOf is the number of actions of a transaction (one cancellation
// reason each).
func actionsOf(params any) int {
	if in, ok := params.(*dynamodb.TransactWriteItemsInput); ok {
		return len(in.TransactItems)
	}
	return 0
}

// attempt decides whether this attempt of op fails, and how.
func (f *Faults) attempt(op string) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.Fault == GSILag || r.Fault == Unprocessed || (r.Op != "" && r.Op != op) || (r.Fault == Conflict && op != "TransactWriteItems") {
			continue
		}
		if r.Limit > 0 && r.hits >= r.Limit {
			continue
		}
		r.seen++
		if r.Every > 1 && r.seen%r.Every != 0 {
			continue
		}
		r.hits++
		f.count(op, r.Fault)
		return r.Fault
	}
	return ""
}

// unprocessed answers a batch call with everything it asked left
// unprocessed, when an Unprocessed rule hits it.
func (f *Faults) unprocessed(op string, params any) (any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.Fault != Unprocessed || (r.Op != "" && r.Op != op) || (r.Limit > 0 && r.hits >= r.Limit) {
			continue
		}
		var out any
		switch in := params.(type) {
		case *dynamodb.BatchGetItemInput:
			out = &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}, UnprocessedKeys: in.RequestItems}
		case *dynamodb.BatchWriteItemInput:
			out = &dynamodb.BatchWriteItemOutput{UnprocessedItems: in.RequestItems}
		default:
			continue
		}
		r.seen++
		if r.Every > 1 && r.seen%r.Every != 0 {
			continue
		}
		r.hits++
		f.count(op, Unprocessed)
		return out, true
	}
	return nil, false
}

func (f *Faults) count(op string, fault Fault) {
	if f.injected == nil {
		f.injected = map[string]int{}
	}
	f.injected[op+"/"+string(fault)]++
}

func (f *Faults) runHooks(op string) {
	f.mu.Lock()
	var run []func()
	keep := f.hooks[:0]
	for _, h := range f.hooks {
		if h.op == op || (h.op == "" && writes[op]) {
			run = append(run, h.run)
		} else {
			keep = append(keep, h)
		}
	}
	f.hooks = keep
	f.mu.Unlock()
	for _, do := range run {
		do()
	}
}

// noteWrites records the keys of the items a successful call wrote.
func (f *Faults) noteWrites(params any) {
	var keys []string
	add := func(item map[string]types.AttributeValue) {
		pk, _ := item["PK"].(*types.AttributeValueMemberS)
		sk, _ := item["SK"].(*types.AttributeValueMemberS)
		if pk != nil && sk != nil {
			keys = append(keys, pk.Value+"|"+sk.Value)
		}
	}
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		add(in.Item)
	case *dynamodb.UpdateItemInput:
		add(in.Key)
	case *dynamodb.TransactWriteItemsInput:
		for _, w := range in.TransactItems {
			switch {
			case w.Put != nil:
				add(w.Put.Item)
			case w.Update != nil:
				add(w.Update.Key)
			}
		}
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					add(r.PutRequest.Item)
				}
			}
		}
	default:
		return
	}
	f.mu.Lock()
	f.written = append(f.written, keys...)
	f.mu.Unlock()
}

// lag drops from an index query's result the items written since a
// GSILag rule was added.
func (f *Faults) lag(op string, params, result any) {
	in, ok := params.(*dynamodb.QueryInput)
	out, ok2 := result.(*dynamodb.QueryOutput)
	if op != "Query" || !ok || !ok2 || in.IndexName == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.Fault != GSILag || (r.Op != "" && r.Op != op) || (r.Limit > 0 && r.hits >= r.Limit) {
			continue
		}
		recent := map[string]bool{}
		for _, k := range f.written[r.since:] {
			recent[k] = true
		}
		kept := out.Items[:0]
		for _, it := range out.Items {
			pk, _ := it["PK"].(*types.AttributeValueMemberS)
			sk, _ := it["SK"].(*types.AttributeValueMemberS)
			if pk != nil && sk != nil && recent[pk.Value+"|"+sk.Value] {
				r.hits++
				f.count(op, GSILag)
				continue
			}
			kept = append(kept, it)
		}
		out.Items, out.Count = kept, int32(len(kept))
		return
	}
}

// errorResponse is DynamoDB's answer for a fault (the JSON 1.0 protocol).
func errorResponse(fault Fault, actions int) *smithyhttp.Response {
	status, body := http.StatusBadRequest, ""
	switch fault {
	case Conflict:
		reasons := make([]string, max(actions, 1))
		codes := make([]string, len(reasons))
		for i := range reasons {
			reasons[i] = `{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}`
			codes[i] = "TransactionConflict"
		}
		body = fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",`+
			`"Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [%s]","CancellationReasons":[%s]}`,
			strings.Join(codes, ", "), strings.Join(reasons, ","))
	case Throttle:
		body = `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",` +
			`"message":"The level of configured provisioned throughput for the table was exceeded."}`
	case ServerError:
		status = http.StatusInternalServerError
		body = `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`
	default:
		panic("ddbtest: no response for fault " + string(fault))
	}
	return &smithyhttp.Response{Response: &http.Response{
		StatusCode:    status,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
	}}
}

// timeoutError is a network timeout (a net.Error).
type timeoutError struct{}

func (timeoutError) Error() string   { return "ddbtest: injected network timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// NewFaultyClient returns a client for the test endpoint whose calls go
// through f (and are counted by calls when it is not nil). It retries as
// the production client does (the SDK's standard retryer: the same
// attempts and retryable errors); only the backoff is a millisecond and
// the retry quota unlimited, so a test injecting hundreds of faults runs
// in seconds.
func NewFaultyClient(tb testing.TB, f *Faults, calls *Counter) *dynamodb.Client {
	tb.Helper()
	client, err := ddblocal.NewClient(context.Background(), Endpoint(tb), func(o *dynamodb.Options) {
		if calls != nil {
			o.APIOptions = append(o.APIOptions, calls.Middleware())
		}
		o.APIOptions = append(o.APIOptions, f.Middleware())
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			so.RateLimiter = ratelimit.None
		})
	})
	if err != nil {
		tb.Fatalf("ddbtest: %v", err)
	}
	return client
}
