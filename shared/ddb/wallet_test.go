package ddb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
)

// TestPostingIntoADeletingOrgLeavesNothing: a top-up admitted just before
// the org began deleting must not add a ledger entry behind the purge.
func TestPostingIntoADeletingOrgLeavesNothing(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	org, _ := newOrg(t, s, "owner@post.test")
	if _, _, err := s.EnsureWallet(ctx, org, nil); err != nil {
		t.Fatal(err)
	}
	top := credits.Posting{Kind: credits.TopUp, Amount: 10, CreatedBy: "usr_x"}
	if _, _, err := s.Post(ctx, org, nil, top, nil); err != nil {
		t.Fatalf("OK: %v", err)
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table,
		Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ORG#" + org}, "SK": &types.AttributeValueMemberS{Value: "ORG"}},
		UpdateExpression:          aws.String("SET #st = :d"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberS{Value: "deleting"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Post(ctx, org, nil, top, nil); !errors.Is(err, ddb.ErrNotFound) {
		t.Fatalf("post into a deleting org: %v, want ErrNotFound", err)
	}
	entries, _, err := s.ListEntries(ctx, org, ddb.Page{Limit: 10})
	if err != nil || len(entries) != 1 {
		t.Fatalf("ledger holds %d entries (%v), want only the first", len(entries), err)
	}
}
