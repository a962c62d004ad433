// Package triggers describes the functions that are not HTTP routes: the
// consumers of the table's stream and the scheduled jobs. Like api.Routes,
// these lists are the single source for functions/, the CDK stack,
// template.yaml and the local stream runner and scheduler.
package triggers

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Filter selects stream records by event name and by the `type` attribute
// of the item's new image (old image for REMOVE). The CDK event source
// mapping and the local stream runner both use it: Pattern for Lambda
// filter criteria, Match locally.
type Filter struct {
	EventNames []string // INSERT, MODIFY, REMOVE
	ItemTypes  []string // values of the item's `type` attribute
}

// Pattern is the Lambda event filter pattern (FilterCriteria.Filters[].Pattern).
func (f Filter) Pattern() string {
	image := "NewImage"
	if len(f.EventNames) == 1 && f.EventNames[0] == "REMOVE" {
		image = "OldImage"
	}
	p := map[string]any{
		"eventName": f.EventNames,
		"dynamodb": map[string]any{
			image: map[string]any{"type": map[string]any{"S": f.ItemTypes}},
		},
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("triggers: filter pattern: %v", err))
	}
	return string(b)
}

// Match reports whether a record passes the filter, as Lambda would.
func (f Filter) Match(rec events.DynamoDBEventRecord) bool {
	if !slices.Contains(f.EventNames, rec.EventName) {
		return false
	}
	image := rec.Change.NewImage
	if rec.EventName == "REMOVE" {
		image = rec.Change.OldImage
	}
	t, ok := image["type"]
	if !ok || t.DataType() != events.DataTypeString {
		return false
	}
	return slices.Contains(f.ItemTypes, t.String())
}

// StreamConsumer is a function fed by the table's stream.
type StreamConsumer struct {
	Name      string
	Filter    Filter
	BatchSize int
	// MaxRetries bounds redelivery of a failing record before it goes to
	// the on-failure queue; MaxRecordAge bounds how stale a record may be.
	MaxRetries   int
	MaxRecordAge time.Duration
	// Sends email (SES permission in AWS).
	SendsEmail     bool
	MemoryMB       int
	TimeoutSeconds int
}

// Schedule is a function run on a fixed rate by EventBridge in AWS and by
// the local scheduler in `make run`.
type Schedule struct {
	Name string
	// Every is the default rate; the stack's context or env may override it.
	Every          time.Duration
	MemoryMB       int
	TimeoutSeconds int
}

// Expression is the EventBridge schedule expression, rate(N minutes).
func (s Schedule) Expression() string {
	m := int(s.Every / time.Minute)
	if m <= 1 {
		return "rate(1 minute)"
	}
	return fmt.Sprintf("rate(%d minutes)", m)
}

// StreamConsumers is every stream consumer of Orgplane.
var StreamConsumers = []StreamConsumer{}

// Schedules is every scheduled job of Orgplane.
var Schedules = []Schedule{}
