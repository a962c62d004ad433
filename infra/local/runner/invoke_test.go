package runner

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestFirstFailure(t *testing.T) {
	batch := make([]events.DynamoDBEventRecord, 3)
	for i, seq := range []string{"100", "200", "300"} {
		batch[i].Change.SequenceNumber = seq
	}
	fail := func(ids ...string) []events.DynamoDBBatchItemFailure {
		var out []events.DynamoDBBatchItemFailure
		for _, id := range ids {
			out = append(out, events.DynamoDBBatchItemFailure{ItemIdentifier: id})
		}
		return out
	}
	tests := []struct {
		name     string
		failures []events.DynamoDBBatchItemFailure
		want     int
	}{
		{"OK", nil, -1},
		{"OKEmptyList", fail(), -1},
		{"OneFailed", fail("200"), 1},
		{"LowestSequenceWins", fail("300", "200"), 1},
		{"EmptyIdentifierFailsBatch", fail("300", ""), 0},
		{"UnknownIdentifierFailsBatch", fail("300", "999"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstFailure(batch, tt.failures); got != tt.want {
				t.Errorf("firstFailure = %d, want %d", got, tt.want)
			}
		})
	}
}
