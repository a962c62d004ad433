package ddbtest_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/table"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		table.PK: &types.AttributeValueMemberS{Value: pk},
		table.SK: &types.AttributeValueMemberS{Value: sk},
	}
}

func TestTablesAndCounter(t *testing.T) {
	// Two tables at once, from parallel subtests.
	names := make(chan string, 2)
	var counter ddbtest.Counter
	t.Run("group", func(t *testing.T) {
		for _, sub := range []string{"a", "b"} {
			t.Run(sub, func(t *testing.T) {
				t.Parallel()
				_, name := ddbtest.NewTable(t)
				names <- name

				c := ddbtest.NewCountingClient(t, &counter)
				if _, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{
					TableName: aws.String(name),
					Item: map[string]types.AttributeValue{
						table.PK:   &types.AttributeValueMemberS{Value: "ORG#" + sub},
						table.SK:   &types.AttributeValueMemberS{Value: "META"},
						table.Type: &types.AttributeValueMemberS{Value: "org"},
					},
				}); err != nil {
					t.Fatalf("PutItem: %v", err)
				}
				out, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{
					TableName: aws.String(name), Key: key("ORG#"+sub, "META"), ConsistentRead: aws.Bool(true),
				})
				if err != nil {
					t.Fatalf("GetItem: %v", err)
				}
				if v, ok := out.Item[table.Type].(*types.AttributeValueMemberS); !ok || v.Value != "org" {
					t.Fatalf("GetItem returned %v", out.Item)
				}
				// The other subtest's item is not in this table.
				other := map[string]string{"a": "b", "b": "a"}[sub]
				out, err = c.GetItem(t.Context(), &dynamodb.GetItemInput{
					TableName: aws.String(name), Key: key("ORG#"+other, "META"),
				})
				if err != nil {
					t.Fatalf("GetItem: %v", err)
				}
				if out.Item != nil {
					t.Fatalf("table %s holds the other test's item", name)
				}
			})
		}
	})
	close(names)

	var got []string
	for n := range names {
		got = append(got, n)
	}
	if len(got) != 2 || got[0] == got[1] {
		t.Fatalf("table names %v", got)
	}
	for _, n := range got {
		if !strings.HasPrefix(n, "TestTablesAndCounter_group_") {
			t.Errorf("table name %q does not come from the test name", n)
		}
	}

	// The subtests made exactly 1 PutItem and 2 GetItem each; NewTable's
	// calls go through the uncounted client.
	if n := counter.Count("PutItem"); n != 2 {
		t.Errorf("PutItem count %d, want 2", n)
	}
	if n := counter.Count("GetItem"); n != 4 {
		t.Errorf("GetItem count %d, want 4", n)
	}
	if n := counter.Total(); n != 6 {
		t.Errorf("Total %d, want 6 (%v)", n, counter.Counts())
	}

	// Cleanup deleted both tables.
	tables, err := ddbtest.Client(t).ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range tables.TableNames {
		for _, g := range got {
			if n == g {
				t.Errorf("table %s still exists after its test ended", n)
			}
		}
	}

	counter.Reset()
	if counter.Total() != 0 || counter.Count("GetItem") != 0 {
		t.Fatal("Reset did not zero the counts")
	}
}

func TestCounterCountsFailedCallsAndIsConcurrencySafe(t *testing.T) {
	client, name := ddbtest.NewTable(t)
	var counter ddbtest.Counter
	c := ddbtest.NewCountingClient(t, &counter)

	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{
				TableName: aws.String(name),
				Item:      key("P", string(rune('a'+i))),
			})
			if err != nil {
				t.Errorf("PutItem: %v", err)
			}
		})
	}
	wg.Wait()

	// A failing call (no such table) counts too.
	_, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("no-such-table"), Key: key("P", "a")})
	if err == nil {
		t.Fatal("GetItem on a missing table succeeded")
	}
	// Query via a paginator counts one call per page.
	p := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{
		TableName:                 aws.String(name),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "P"}},
		Limit:                     aws.Int32(8),
	})
	items, pages := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		items += len(out.Items)
		pages++
	}
	if items != n {
		t.Fatalf("queried %d items, want %d", items, n)
	}

	want := map[string]int{"PutItem": n, "GetItem": 1, "Query": pages}
	if got := counter.Counts(); len(got) != len(want) || got["PutItem"] != n || got["GetItem"] != 1 || got["Query"] != pages {
		t.Fatalf("counts %v, want %v", got, want)
	}
	if counter.Total() != n+1+pages {
		t.Fatalf("Total %d, want %d", counter.Total(), n+1+pages)
	}

	// The shared client from NewTable is not counted.
	if _, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(name), Key: key("P", "a")}); err != nil {
		t.Fatal(err)
	}
	if counter.Count("GetItem") != 1 {
		t.Fatal("uncounted client was counted")
	}
}

func TestNewTableShape(t *testing.T) {
	client, name := ddbtest.NewTable(t)
	d, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Table.TableStatus != types.TableStatusActive {
		t.Fatalf("status %s", d.Table.TableStatus)
	}
	if len(d.Table.GlobalSecondaryIndexes) != len(table.Definition.Indexes) {
		t.Fatalf("indexes %d, want %d", len(d.Table.GlobalSecondaryIndexes), len(table.Definition.Indexes))
	}
	if d.Table.StreamSpecification == nil || !aws.ToBool(d.Table.StreamSpecification.StreamEnabled) {
		t.Fatal("stream not enabled")
	}
	ttl, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ttl.TimeToLiveDescription.AttributeName) != table.TTL {
		t.Fatalf("TTL attribute %q", aws.ToString(ttl.TimeToLiveDescription.AttributeName))
	}
}

func TestTableName(t *testing.T) {
	n := ddbtest.TableName("TestX/sub case #1")
	if !strings.HasPrefix(n, "TestX_sub_case__1-") || len(n) != len("TestX_sub_case__1-")+8 {
		t.Fatalf("TableName = %q", n)
	}
	long := ddbtest.TableName(strings.Repeat("é", 300))
	if len(long) != 255 {
		t.Fatalf("long name has %d bytes", len(long))
	}
	if ddbtest.TableName("x") == ddbtest.TableName("x") {
		t.Fatal("names are not unique")
	}
	if n := ddbtest.TableName(""); len(n) < 3 {
		t.Fatalf("empty test name gives %q", n)
	}
}
