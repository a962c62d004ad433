package tablestream_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/tablestream"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

func TestImage(t *testing.T) {
	img := map[string]events.DynamoDBAttributeValue{
		"s":    events.NewStringAttribute("x"),
		"n":    events.NewNumberAttribute("42"),
		"b":    events.NewBinaryAttribute([]byte{1, 2}),
		"ok":   events.NewBooleanAttribute(true),
		"nil":  events.NewNullAttribute(),
		"ss":   events.NewStringSetAttribute([]string{"a", "b"}),
		"ns":   events.NewNumberSetAttribute([]string{"1", "2"}),
		"bs":   events.NewBinarySetAttribute([][]byte{{3}}),
		"list": events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewStringAttribute("y"), events.NewNumberAttribute("7")}),
		"map":  events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"k": events.NewStringAttribute("v")}),
	}
	got, err := tablestream.Image(img)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.AttributeValue{
		"s":    &types.AttributeValueMemberS{Value: "x"},
		"n":    &types.AttributeValueMemberN{Value: "42"},
		"b":    &types.AttributeValueMemberB{Value: []byte{1, 2}},
		"ok":   &types.AttributeValueMemberBOOL{Value: true},
		"nil":  &types.AttributeValueMemberNULL{Value: true},
		"ss":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{3}}},
		"list": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "y"}, &types.AttributeValueMemberN{Value: "7"}}},
		"map":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Image =\n%#v\nwant\n%#v", got, want)
	}

	var out struct {
		S    string            `dynamodbav:"s"`
		N    int               `dynamodbav:"n"`
		List []any             `dynamodbav:"list"`
		Map  map[string]string `dynamodbav:"map"`
	}
	rec := events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{NewImage: img}}
	if err := tablestream.Unmarshal(rec, &out); err != nil {
		t.Fatal(err)
	}
	if out.S != "x" || out.N != 42 || out.Map["k"] != "v" || len(out.List) != 2 {
		t.Fatalf("Unmarshal = %+v", out)
	}
	if _, err := tablestream.NewImage(events.DynamoDBEventRecord{EventName: "REMOVE"}); err == nil {
		t.Fatal("NewImage of a record without a new image: no error")
	}
}

func TestEach(t *testing.T) {
	var ev events.DynamoDBEvent
	for _, seq := range []string{"1", "2", "3", "4"} {
		ev.Records = append(ev.Records, events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{SequenceNumber: seq}})
	}
	var ran []string
	resp := tablestream.Each(context.Background(), "test", ev, func(_ context.Context, rec events.DynamoDBEventRecord) error {
		ran = append(ran, rec.Change.SequenceNumber)
		switch rec.Change.SequenceNumber {
		case "2":
			return errors.New("poison")
		case "3":
			panic("boom")
		}
		return nil
	})
	if want := []string{"1", "2", "3", "4"}; !reflect.DeepEqual(ran, want) {
		t.Errorf("ran %v, want every record %v", ran, want)
	}
	want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: "2"}, {ItemIdentifier: "3"}}
	if !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Errorf("failures = %v, want %v", resp.BatchItemFailures, want)
	}
	ok := tablestream.Each(context.Background(), "test", ev, func(context.Context, events.DynamoDBEventRecord) error { return nil })
	if ok.BatchItemFailures == nil || len(ok.BatchItemFailures) != 0 {
		t.Errorf("a clean batch reports %#v, want an empty list", ok.BatchItemFailures)
	}
}

// TestReader writes to a fresh table and reads the changes back from
// DynamoDB Local's stream as Lambda would deliver them.
func TestReader(t *testing.T) {
	ctx := context.Background()
	db, table := ddbtest.NewTable(t)
	streams, err := ddblocal.NewStreamsClient(ctx, ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	r, err := tablestream.NewReader(ctx, db, streams, table, false)
	if err != nil {
		t.Fatal(err)
	}
	put := func(sk, v string) {
		t.Helper()
		item, _ := attributevalue.MarshalMap(map[string]any{"PK": "P", "SK": sk, "type": "thing", "v": v, "n": 3, "tags": []string{"a"},
			"empty": map[string]string{}, "nested": map[string]any{"inner": map[string]string{}, "list": []any{map[string]string{}}}})
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	put("1", "one")
	put("1", "uno")
	put("2", "two")
	recs := readAll(t, r, 3)
	if got := []string{recs[0].EventName, recs[1].EventName, recs[2].EventName}; !reflect.DeepEqual(got, []string{"INSERT", "MODIFY", "INSERT"}) {
		t.Fatalf("events %v", got)
	}
	m := recs[1]
	if m.Change.OldImage["v"].String() != "one" || m.Change.NewImage["v"].String() != "uno" || m.Change.NewImage["n"].Number() != "3" {
		t.Fatalf("MODIFY images: old %v new %v", m.Change.OldImage, m.Change.NewImage)
	}
	// DynamoDB Local sends empty maps as {}; the reader hands them over
	// as empty maps, as DynamoDB Streams would.
	var decoded struct {
		Empty  map[string]string `dynamodbav:"empty"`
		Nested struct {
			Inner map[string]string   `dynamodbav:"inner"`
			List  []map[string]string `dynamodbav:"list"`
		} `dynamodbav:"nested"`
		N int `dynamodbav:"n"`
	}
	if err := tablestream.Unmarshal(m, &decoded); err != nil {
		t.Fatalf("the MODIFY's new image does not decode: %v", err)
	}
	if e := m.Change.NewImage["empty"]; e.DataType() != events.DataTypeMap || len(e.Map()) != 0 ||
		decoded.Nested.Inner == nil || len(decoded.Nested.List) != 1 || decoded.N != 3 {
		t.Fatalf("empty maps: %#v, decoded %+v", e, decoded)
	}
	if m.Change.SequenceNumber == "" || m.EventSourceArn != r.StreamARN() || m.EventSource != "aws:dynamodb" {
		t.Fatalf("record metadata: %+v", m)
	}
	// A second read returns only what is new.
	put("3", "three")
	if recs := readAll(t, r, 1); recs[0].Change.NewImage["SK"].String() != "3" {
		t.Fatalf("second read: %+v", recs)
	}
}

// readAll reads until n records came (DynamoDB Local publishes writes to
// its stream at once; the loop only absorbs scheduling).
func readAll(t *testing.T, r *tablestream.Reader, n int) []events.DynamoDBEventRecord {
	t.Helper()
	var recs []events.DynamoDBEventRecord
	for attempt := 0; len(recs) < n && attempt < 50; attempt++ {
		got, err := r.Read(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, got...)
	}
	if len(recs) != n {
		t.Fatalf("read %d records, want %d: %+v", len(recs), n, recs)
	}
	return recs
}
