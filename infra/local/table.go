package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/table"
)

// localTable is the table as the stack found or made it.
type localTable struct {
	// Existed is true when the table was there before: its stream may
	// hold history the consumers already saw.
	Existed bool
}

// ensureTable creates the table from table.Definition unless it exists,
// waits until it is ACTIVE, and enables TTL on it, as the CDK stack does.
// The table must have its stream.
func ensureTable(ctx context.Context, db *dynamodb.Client, name string) (localTable, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var t localTable
	desc, err := describe(ctx, db, name)
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		out, err := db.CreateTable(ctx, table.Definition.CreateTableInput(name))
		if err != nil {
			return t, fmt.Errorf("creating table %s: %w", name, err)
		}
		desc = out.TableDescription
	case err != nil:
		return t, fmt.Errorf("describing table %s: %w", name, err)
	default:
		t.Existed = true
	}

	for !active(desc) {
		if !sleepCtx(ctx, 50*time.Millisecond) {
			return t, fmt.Errorf("table %s not ACTIVE: %w", name, ctx.Err())
		}
		if desc, err = describe(ctx, db, name); err != nil {
			return t, fmt.Errorf("describing table %s: %w", name, err)
		}
	}
	if s := desc.StreamSpecification; s == nil || !aws.ToBool(s.StreamEnabled) || desc.LatestStreamArn == nil {
		return t, fmt.Errorf("table %s exists without a stream: delete it (with PERSIST, remove .local/dynamodb) or set TABLE_NAME", name)
	}
	return t, enableTTL(ctx, db, name)
}

func describe(ctx context.Context, db *dynamodb.Client, name string) (*types.TableDescription, error) {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	return out.Table, nil
}

func active(d *types.TableDescription) bool {
	if d == nil || d.TableStatus != types.TableStatusActive {
		return false
	}
	for _, ix := range d.GlobalSecondaryIndexes {
		if ix.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}

func enableTTL(ctx context.Context, db *dynamodb.Client, name string) error {
	attr := table.Definition.TTLAttribute
	if attr == "" {
		return nil
	}
	out, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describing TTL of %s: %w", name, err)
	}
	if d := out.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == attr &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attr), Enabled: aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enabling TTL on %s: %w", name, err)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
