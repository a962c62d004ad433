package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// deliver invokes the handler with the batch until it succeeds, retrying
// from the first failed record at most Retries() times, then drops what
// still fails. It returns an error only when ctx ends.
func (m *mapping) deliver(ctx context.Context, batch []events.DynamoDBEventRecord) error {
	delay := m.s.retryDelay()
	for attempt := 0; ; attempt++ {
		if batch = m.fresh(batch); len(batch) == 0 {
			return nil
		}
		from, err := m.invoke(ctx, batch)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if from < 0 {
			return nil
		}
		batch = batch[from:]
		if attempt >= m.c.Retries() {
			m.drop(batch, fmt.Sprintf("failed %d times", attempt+1), err)
			return nil
		}
		m.log.Warn("stream consumer: retrying", "records", len(batch), "retry", attempt+1,
			"max_retries", m.c.Retries(), "from_sequence", batch[0].Change.SequenceNumber, "err", err)
		if !sleep(ctx, delay) {
			return ctx.Err()
		}
		delay = backoff(delay)
	}
}

// invoke runs the handler once on the batch. The event goes through JSON,
// so the handler gets exactly what the Lambda runtime would decode. It
// returns the index of the first record to retry, or -1 on success.
func (m *mapping) invoke(ctx context.Context, batch []events.DynamoDBEventRecord) (int, error) {
	payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
	if err != nil {
		return 0, fmt.Errorf("encoding the event: %w", err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return 0, fmt.Errorf("decoding the event: %w", err)
	}

	began := time.Now()
	resp, err := invoke(ctx, m.c.Name, time.Duration(m.c.Timeout())*time.Second,
		func(ctx context.Context) (events.DynamoDBEventResponse, error) { return m.handler(ctx, ev) })
	took := time.Since(began).Round(time.Millisecond)

	if err != nil {
		m.log.Warn("stream consumer: function error", "records", len(batch), "duration", took, "err", err)
		return 0, err
	}
	from := firstFailure(batch, resp.BatchItemFailures)
	if from < 0 {
		m.log.Info("stream consumer: batch processed", "records", len(batch), "duration", took)
		return -1, nil
	}
	err = fmt.Errorf("%d of %d records reported failed", len(resp.BatchItemFailures), len(batch))
	m.log.Warn("stream consumer: batch item failures", "records", len(batch), "duration", took, "err", err)
	return from, err
}

// firstFailure is where Lambda resumes after a partial batch response:
// the lowest failed sequence number. An empty or unknown identifier
// fails the whole batch; no failures is success (-1).
func firstFailure(batch []events.DynamoDBEventRecord, failures []events.DynamoDBBatchItemFailure) int {
	from := -1
	for _, f := range failures {
		i := -1
		for j, rec := range batch {
			if f.ItemIdentifier != "" && rec.Change.SequenceNumber == f.ItemIdentifier {
				i = j
				break
			}
		}
		if i < 0 {
			return 0
		}
		if from < 0 || i < from {
			from = i
		}
	}
	return from
}

// fresh drops, with a log line, the records older than RecordAge().
func (m *mapping) fresh(batch []events.DynamoDBEventRecord) []events.DynamoDBEventRecord {
	oldest := m.s.now().Add(-m.c.RecordAge())
	stale := 0 // records of a shard are in time order: the stale ones lead
	for stale < len(batch) {
		t := batch[stale].Change.ApproximateCreationDateTime.Time
		if t.IsZero() || !t.Before(oldest) {
			break
		}
		stale++
	}
	if stale > 0 {
		m.drop(batch[:stale], "older than "+m.c.RecordAge().String(), errors.New("record expired"))
	}
	return batch[stale:]
}

// drop is the local on-failure destination: a log line naming what is lost.
func (m *mapping) drop(batch []events.DynamoDBEventRecord, reason string, err error) {
	ids := make([]string, len(batch))
	for i, rec := range batch {
		ids[i] = rec.EventID
	}
	m.log.Error("stream consumer: records dropped (local on-failure destination)", "reason", reason,
		"records", len(batch), "first_sequence", batch[0].Change.SequenceNumber,
		"last_sequence", batch[len(batch)-1].Change.SequenceNumber, "event_ids", ids, "err", err)
}
