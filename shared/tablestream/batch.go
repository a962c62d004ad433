package tablestream

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/events"
)

// Each runs handle on every record of the batch in order and reports the
// records it failed on (an error or a panic) as BatchItemFailures, keyed
// by sequence number, for the event source mapping to retry. One bad
// record never fails the batch, and the records after it still run:
// consumers are idempotent, so the ones Lambda redelivers after a reported
// failure are no-ops.
func Each(ctx context.Context, consumer string, ev events.DynamoDBEvent, handle func(context.Context, events.DynamoDBEventRecord) error) events.DynamoDBEventResponse {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for _, rec := range ev.Records {
		if err := run(ctx, rec, handle); err != nil {
			slog.ErrorContext(ctx, "stream record failed", "consumer", consumer, "event_id", rec.EventID,
				"event", rec.EventName, "sequence_number", rec.Change.SequenceNumber, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	return resp
}

func run(ctx context.Context, rec events.DynamoDBEventRecord, handle func(context.Context, events.DynamoDBEventRecord) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return handle(ctx, rec)
}
