package runner_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/infra/local/runner"
	"github.com/orgplane/orgplane/shared/triggers"
)

func TestStreamsDeliverMatchingRecords(t *testing.T) {
	st := newStreamTable(t)
	orgs := newRecorder()
	st.start(t, &runner.Streams{
		Consumers: []triggers.StreamConsumer{consumer("orgs", "org")},
		Handler:   handlers(map[string]triggers.StreamHandler{"orgs": orgs.handle}),
	})

	st.put(t, "ORG#1", "org", map[string]types.AttributeValue{
		"name":    &types.AttributeValueMemberS{Value: "Acme"},
		"members": &types.AttributeValueMemberN{Value: "1"},
		"active":  &types.AttributeValueMemberBOOL{Value: true},
		"note":    &types.AttributeValueMemberNULL{Value: true},
		"tags":    &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"sizes":   &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"blob":    &types.AttributeValueMemberB{Value: []byte{1, 2}},
		"blobs":   &types.AttributeValueMemberBS{Value: [][]byte{{3}}},
		"list":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}}},
		"plan":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "free"}}},
	})
	st.put(t, "USER#1", "user", nil) // not an org: never delivered
	st.put(t, "ORG#1", "org", map[string]types.AttributeValue{"name": &types.AttributeValueMemberS{Value: "Acme 2"}})
	st.delete(t, "USER#1")
	st.delete(t, "ORG#1")

	orgs.waitFor(t, "3 org records", func() bool { return len(orgs.records()) >= 3 })
	got := orgs.records()
	if len(got) != 3 {
		t.Fatalf("got %d records, want 3: %v", len(got), orgs.pks())
	}
	for i, want := range []string{"INSERT", "MODIFY", "REMOVE"} {
		rec := got[i]
		if rec.EventName != want {
			t.Errorf("record %d: eventName %q, want %q", i, rec.EventName, want)
		}
		if rec.EventSource != "aws:dynamodb" || rec.EventSourceArn != st.arn || rec.EventID == "" || rec.Change.SequenceNumber == "" {
			t.Errorf("record %d: source %q, arn %q (want %q), id %q, seq %q", i,
				rec.EventSource, rec.EventSourceArn, st.arn, rec.EventID, rec.Change.SequenceNumber)
		}
		if pk, sk := rec.Change.Keys["PK"].String(), rec.Change.Keys["SK"].String(); pk != "ORG#1" || sk != "ITEM" || len(rec.Change.Keys) != 2 {
			t.Errorf("record %d: keys %v", i, rec.Change.Keys)
		}
		if rec.Change.StreamViewType != "NEW_AND_OLD_IMAGES" {
			t.Errorf("record %d: StreamViewType %q", i, rec.Change.StreamViewType)
		}
	}

	insert := got[0].Change
	if insert.OldImage != nil {
		t.Errorf("INSERT has an old image: %v", insert.OldImage)
	}
	img := insert.NewImage
	checks := []struct {
		attr      string
		got, want any
	}{
		{"name", img["name"].String(), "Acme"},
		{"members", img["members"].Number(), "1"},
		{"active", img["active"].Boolean(), true},
		{"note", img["note"].IsNull(), true},
		{"tags", sorted(img["tags"].StringSet()), []string{"a", "b"}},
		{"sizes", sorted(img["sizes"].NumberSet()), []string{"1", "2"}},
		{"blob", img["blob"].Binary(), []byte{1, 2}},
		{"blobs", img["blobs"].BinarySet(), [][]byte{{3}}},
		{"list", img["list"].List()[0].String(), "x"},
		{"plan", img["plan"].Map()["id"].String(), "free"},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("NewImage %s = %v, want %v", c.attr, c.got, c.want)
		}
	}

	modify := got[1].Change
	if modify.OldImage["name"].String() != "Acme" || modify.NewImage["name"].String() != "Acme 2" {
		t.Errorf("MODIFY images: old %v new %v", modify.OldImage["name"], modify.NewImage["name"])
	}
	remove := got[2].Change
	if remove.NewImage != nil || remove.OldImage["name"].String() != "Acme 2" {
		t.Errorf("REMOVE images: old %v new %v", remove.OldImage, remove.NewImage)
	}
}

// DynamoDB Local's GetRecords writes empty maps as {}, which the SDK
// decodes as garbage; consumers must still get the empty maps they are,
// wherever they sit (tablestream repairs the response).
func TestStreamsEmptyMaps(t *testing.T) {
	st := newStreamTable(t)
	orgs := newRecorder()
	st.start(t, &runner.Streams{
		Consumers: []triggers.StreamConsumer{consumer("orgs", "org")},
		Handler:   handlers(map[string]triggers.StreamHandler{"orgs": orgs.handle}),
	})
	empty := func() types.AttributeValue {
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	}
	st.put(t, "ORG#1", "org", map[string]types.AttributeValue{
		"branding": empty(),
		"count":    &types.AttributeValueMemberN{Value: "7"},
		"nested":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"inner": empty()}},
		"list":     &types.AttributeValueMemberL{Value: []types.AttributeValue{empty(), &types.AttributeValueMemberL{}}},
	})
	orgs.waitFor(t, "the org", func() bool { return len(orgs.records()) == 1 })
	img := orgs.records()[0].Change.NewImage
	isEmptyMap := func(v events.DynamoDBAttributeValue) bool {
		return v.DataType() == events.DataTypeMap && len(v.Map()) == 0
	}
	if v := img["branding"]; !isEmptyMap(v) {
		t.Errorf("branding = %v, want an empty map", v)
	}
	if v := img["count"]; v.DataType() != events.DataTypeNumber || v.Number() != "7" {
		t.Errorf("count = %v, want 7", v)
	}
	if v := img["nested"]; v.DataType() != events.DataTypeMap || !isEmptyMap(v.Map()["inner"]) {
		t.Errorf("nested = %v, want {inner: {}}", v)
	}
	if v := img["list"]; v.DataType() != events.DataTypeList || len(v.List()) != 2 || !isEmptyMap(v.List()[0]) ||
		v.List()[1].DataType() != events.DataTypeList || len(v.List()[1].List()) != 0 {
		t.Errorf("list = %v, want [{}, []]", v)
	}
}

func TestStreamsRetryFromFirstFailedRecord(t *testing.T) {
	st := newStreamTable(t)
	// Written before the runner starts, so the first read returns all
	// three and they form one batch.
	for _, pk := range []string{"A", "B", "C"} {
		st.put(t, pk, "job", nil)
	}
	jobs := newRecorder()
	jobs.fail = func(call int, rec events.DynamoDBEventRecord) bool { return call == 0 && pkOf(rec) == "B" }
	st.start(t, &runner.Streams{
		Consumers: []triggers.StreamConsumer{consumer("jobs", "job")},
		Handler:   handlers(map[string]triggers.StreamHandler{"jobs": jobs.handle}),
	})

	jobs.waitFor(t, "the retry", func() bool { return len(jobs.pks()) >= 2 })
	st.put(t, "D", "job", nil)
	jobs.waitFor(t, "D", func() bool { return jobs.count("D") > 0 })

	want := [][]string{{"A", "B", "C"}, {"B", "C"}, {"D"}}
	if got := jobs.pks(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

func TestStreamsDropAfterRetries(t *testing.T) {
	st := newStreamTable(t)
	var logs logBuffer
	jobs := newRecorder()
	jobs.fail = func(_ int, rec events.DynamoDBEventRecord) bool { return pkOf(rec) == "POISON" }
	c := consumer("jobs", "job")
	c.MaxRetries = 2
	st.start(t, &runner.Streams{
		Consumers: []triggers.StreamConsumer{c},
		Handler:   handlers(map[string]triggers.StreamHandler{"jobs": jobs.handle}),
		Log:       logs.logger(),
	})

	st.put(t, "OK", "job", nil)
	st.put(t, "POISON", "job", nil)
	jobs.waitFor(t, "every attempt at POISON", func() bool { return jobs.count("POISON") >= c.Retries()+1 })
	st.put(t, "AFTER", "job", nil)
	jobs.waitFor(t, "AFTER", func() bool { return jobs.count("AFTER") > 0 })

	// AFTER follows POISON in the shard: POISON was dropped before it.
	if got, want := jobs.count("POISON"), c.Retries()+1; got != want {
		t.Errorf("POISON delivered %d times, want %d (1 + %d retries)", got, want, c.Retries())
	}
	if got := jobs.count("AFTER"); got != 1 {
		t.Errorf("AFTER delivered %d times, want 1", got)
	}
	if got := jobs.count("OK"); got < 1 {
		t.Errorf("OK never delivered")
	}
	if !strings.Contains(logs.String(), "records dropped") || !strings.Contains(logs.String(), "consumer=jobs") {
		t.Errorf("no drop logged for consumer jobs:\n%s", logs.String())
	}
}

func TestStreamsFunctionErrorRetriesWholeBatch(t *testing.T) {
	st := newStreamTable(t)
	calls := newRecorder()
	var n int
	handler := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		resp, _ := calls.handle(ctx, ev)
		n++ // calls of one consumer never overlap
		switch n {
		case 1:
			panic("boom")
		case 2:
			return resp, context.DeadlineExceeded
		}
		return resp, nil
	}
	st.put(t, "A", "job", nil)
	st.put(t, "B", "job", nil)
	st.start(t, &runner.Streams{
		Consumers: []triggers.StreamConsumer{consumer("jobs", "job")},
		Handler:   handlers(map[string]triggers.StreamHandler{"jobs": handler}),
		Log:       (&logBuffer{}).logger(),
	})
	calls.waitFor(t, "3 calls", func() bool { return len(calls.pks()) >= 3 })
	st.put(t, "C", "job", nil)
	calls.waitFor(t, "C", func() bool { return calls.count("C") > 0 })

	want := [][]string{{"A", "B"}, {"A", "B"}, {"A", "B"}, {"C"}}
	if got := calls.pks(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

func TestStreamsConsumersAreIndependent(t *testing.T) {
	st := newStreamTable(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	stuck := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return events.DynamoDBEventResponse{}, nil
	}
	failing := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, context.Canceled
	}
	free := newRecorder()
	failingConsumer := consumer("failing", "job")
	failingConsumer.MaxRetries = 10_000
	st.start(t, &runner.Streams{
		Consumers: []triggers.StreamConsumer{consumer("stuck", "job"), failingConsumer, consumer("free", "job")},
		Handler: handlers(map[string]triggers.StreamHandler{
			"stuck": stuck, "failing": failing, "free": free.handle,
		}),
		Log: (&logBuffer{}).logger(),
	})
	defer close(release)

	st.put(t, "A", "job", nil)
	select {
	case <-entered:
	case <-time.After(wait):
		t.Fatal("the stuck consumer was never invoked")
	}
	st.put(t, "B", "job", nil)
	free.waitFor(t, "A and B at the free consumer", func() bool { return free.count("A") == 1 && free.count("B") == 1 })
}

func TestStreamsFromLatestSkipsHistory(t *testing.T) {
	st := newStreamTable(t)
	st.put(t, "BEFORE", "job", nil)
	jobs := newRecorder()
	st.start(t, &runner.Streams{
		Consumers:  []triggers.StreamConsumer{consumer("jobs", "job")},
		Handler:    handlers(map[string]triggers.StreamHandler{"jobs": jobs.handle}),
		FromLatest: true,
	})
	st.put(t, "AFTER", "job", nil)
	jobs.waitFor(t, "AFTER", func() bool { return jobs.count("AFTER") > 0 })
	if got := jobs.count("BEFORE"); got != 0 {
		t.Fatalf("BEFORE delivered %d times with FromLatest", got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case []string:
		return slices.Equal(a, b.([]string))
	case []byte:
		return string(a) == string(b.([]byte))
	case [][]byte:
		bb := b.([][]byte)
		return slices.EqualFunc(a, bb, func(x, y []byte) bool { return string(x) == string(y) })
	}
	return a == b
}
