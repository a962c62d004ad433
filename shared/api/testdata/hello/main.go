// Command hello is the yardstick of BenchmarkColdStart: the smallest
// aws-lambda-go function, built as the real ones are.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}
