package runner

import (
	"context"
	"crypto/rand"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Local stand-ins for the account and region in the ARNs handlers see.
const (
	Account = "000000000000"
	Region  = "us-east-1"
)

// invoke runs one handler call as the Lambda runtime would: under the
// function's timeout, with a lambdacontext.LambdaContext in ctx, and with
// a panic turned into a function error. A handler that outlives its
// timeout is abandoned (Lambda would end the process) and the call fails.
func invoke[T any](ctx context.Context, function string, timeout time.Duration, handler func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       newUUID(),
		InvokedFunctionArn: "arn:aws:lambda:" + Region + ":" + Account + ":function:" + function,
	})

	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- result{err: fmt.Errorf("panic: %v\n%s", v, debug.Stack())}
			}
		}()
		v, err := handler(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("task timed out after %v: %w", timeout, ctx.Err())
	}
}

// newUUID is a random (version 4) UUID, the form of Lambda request ids
// and EventBridge event ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
