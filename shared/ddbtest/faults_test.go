package ddbtest_test

import (
	"errors"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/table"
)

func item(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		table.PK: &types.AttributeValueMemberS{Value: pk}, table.SK: &types.AttributeValueMemberS{Value: sk},
		table.GSI1PK: &types.AttributeValueMemberS{Value: "IDX"}, table.GSI1SK: &types.AttributeValueMemberS{Value: sk},
	}
}

// TestFaults: each fault reaches the caller as DynamoDB's own error would,
// after the SDK's retries, and changes the table as the real one would.
func TestFaults(t *testing.T) {
	_, name := ddbtest.NewTable(t)
	put := func(c *dynamodb.Client, sk string) error {
		_, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &name, Item: item("P", sk)})
		return err
	}
	txn := func(c *dynamodb.Client, sk string) error {
		cond := "attribute_not_exists(PK)"
		_, err := c.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: &name, Item: item("P", sk), ConditionExpression: &cond}},
			{Put: &types.Put{TableName: &name, Item: item("Q", sk), ConditionExpression: &cond}},
		}})
		return err
	}
	written := func(sk string) bool {
		out, err := ddbtest.Client(t).GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &name, Key: map[string]types.AttributeValue{
			table.PK: &types.AttributeValueMemberS{Value: "P"}, table.SK: &types.AttributeValueMemberS{Value: sk}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}
	apiCode := func(err error) string {
		var api smithy.APIError
		if errors.As(err, &api) {
			return api.ErrorCode()
		}
		return ""
	}
	cases := []struct {
		name     string
		rule     ddbtest.Rule
		write    func(c *dynamodb.Client, sk string) error
		check    func(t *testing.T, err error)
		written  bool
		injected int
	}{
		{"ConflictCancelsEveryAction", ddbtest.Rule{Op: "TransactWriteItems", Fault: ddbtest.Conflict}, txn, func(t *testing.T, err error) {
			var c *types.TransactionCanceledException
			if !errors.As(err, &c) || len(c.CancellationReasons) != 2 || aws.ToString(c.CancellationReasons[1].Code) != "TransactionConflict" {
				t.Fatalf("got %v, want a cancellation with 2 TransactionConflict reasons", err)
			}
		}, false, 1}, // not an error the SDK retries: the store does
		{"ThrottleOutlastsTheSDKRetries", ddbtest.Rule{Fault: ddbtest.Throttle}, put, func(t *testing.T, err error) {
			if apiCode(err) != "ProvisionedThroughputExceededException" {
				t.Fatalf("got %v, want ProvisionedThroughputExceededException", err)
			}
		}, false, 3},
		{"ThrottleOnceIsRetried", ddbtest.Rule{Fault: ddbtest.Throttle, Limit: 1}, put, noError, true, 1},
		{"ServerError", ddbtest.Rule{Fault: ddbtest.ServerError}, txn, func(t *testing.T, err error) {
			if apiCode(err) != "InternalServerError" {
				t.Fatalf("got %v, want InternalServerError", err)
			}
		}, false, 3},
		{"Timeout", ddbtest.Rule{Fault: ddbtest.Timeout}, put, func(t *testing.T, err error) {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("got %v, want a network timeout", err)
			}
		}, false, 3},
		{"TimeoutAfterWriteOfATransactionIsIdempotent", ddbtest.Rule{Fault: ddbtest.TimeoutAfterWrite, Limit: 1}, txn, noError, true, 1},
		{"TimeoutAfterWriteLands", ddbtest.Rule{Fault: ddbtest.TimeoutAfterWrite}, put, func(t *testing.T, err error) {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("got %v, want a network timeout", err)
			}
		}, true, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f ddbtest.Faults
			c := ddbtest.NewFaultyClient(t, &f, nil)
			f.Add(tc.rule)
			tc.check(t, tc.write(c, tc.name))
			if got := written(tc.name); got != tc.written {
				t.Errorf("written = %v, want %v", got, tc.written)
			}
			if got := f.Total(); got != tc.injected {
				t.Errorf("injected %d faults (%v), want %d", got, f.Injected(), tc.injected)
			}
		})
	}
	t.Run("GSILagHidesRecentWrites", func(t *testing.T) {
		var f ddbtest.Faults
		c := ddbtest.NewFaultyClient(t, &f, nil)
		if err := put(c, "old"); err != nil {
			t.Fatal(err)
		}
		f.Add(ddbtest.Rule{Fault: ddbtest.GSILag})
		if err := put(c, "new"); err != nil {
			t.Fatal(err)
		}
		keys := func() []string {
			out, err := c.Query(t.Context(), &dynamodb.QueryInput{TableName: &name, IndexName: aws.String(table.GSI1),
				KeyConditionExpression:    aws.String("GSI1PK = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "IDX"}}})
			if err != nil {
				t.Fatal(err)
			}
			var sks []string
			for _, it := range out.Items {
				if it[table.PK].(*types.AttributeValueMemberS).Value == "P" {
					sks = append(sks, it[table.SK].(*types.AttributeValueMemberS).Value)
				}
			}
			return sks
		}
		got := keys()
		for _, sk := range got {
			if sk == "new" {
				t.Fatalf("the lagging index shows the new item: %v", got)
			}
		}
		f.Clear()
		found := false
		for _, sk := range keys() {
			found = found || sk == "new"
		}
		if !found {
			t.Fatal("the index caught up but misses the new item")
		}
	})
	t.Run("UnprocessedBatch", func(t *testing.T) {
		var f ddbtest.Faults
		c := ddbtest.NewFaultyClient(t, &f, nil)
		if err := put(c, "batch"); err != nil {
			t.Fatal(err)
		}
		f.Add(ddbtest.Rule{Op: "BatchGetItem", Fault: ddbtest.Unprocessed, Limit: 1})
		in := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{name: {Keys: []map[string]types.AttributeValue{{
			table.PK: &types.AttributeValueMemberS{Value: "P"}, table.SK: &types.AttributeValueMemberS{Value: "batch"}}}}}}
		for _, want := range []struct{ found, unprocessed int }{{0, 1}, {1, 0}} {
			out, err := c.BatchGetItem(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got := (struct{ found, unprocessed int }{len(out.Responses[name]), len(out.UnprocessedKeys[name].Keys)}); got != want {
				t.Fatalf("found %d, unprocessed %d; want %d and %d", got.found, got.unprocessed, want.found, want.unprocessed)
			}
		}
		if f.Total() != 1 {
			t.Fatalf("injected %v, want one Unprocessed", f.Injected())
		}
	})
	t.Run("BeforeRunsOnceBeforeTheNextWrite", func(t *testing.T) {
		var f ddbtest.Faults
		c := ddbtest.NewFaultyClient(t, &f, nil)
		runs := 0
		f.Before("", func() {
			runs++
			if written("hooked") {
				t.Error("the hook ran after the write")
			}
		})
		for range 2 {
			if err := put(c, "hooked"); err != nil {
				t.Fatal(err)
			}
		}
		if runs != 1 {
			t.Fatalf("the hook ran %d times, want 1", runs)
		}
	})
}

func noError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("got %v, want the SDK's retry to absorb the fault", err)
	}
}
