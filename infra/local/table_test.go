package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/table"
)

func TestEnsureTable(t *testing.T) {
	db := ddbtest.Client(t)
	name := ddbtest.TableName(t.Name())
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})

	existed, err := ensureTable(t.Context(), db, name)
	if err != nil || existed {
		t.Fatalf("first ensureTable: existed %v, %v; want created", existed, err)
	}
	ttl, err := db.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; aws.ToString(d.AttributeName) != table.TTL || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL %+v, want enabled on %q", d, table.TTL)
	}
	if existed, err := ensureTable(t.Context(), db, name); err != nil || !existed {
		t.Fatalf("second ensureTable: existed %v, %v; want existed", existed, err)
	}
}
