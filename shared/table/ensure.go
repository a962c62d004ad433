package table

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrNoStream is Ensure's answer for a table that exists without a
// stream: the stream consumers could never see its changes.
var ErrNoStream = errors.New("table exists without a stream")

// Ensure creates the table called name from the definition unless it
// exists, waits until it and its indexes are ACTIVE, and enables TTL on
// it, as the CDK stack deploys it. It reports whether the table was there
// before (its stream may then hold history consumers already saw). The
// local stack and the test harness both bootstrap tables with it.
func (d Def) Ensure(ctx context.Context, db *dynamodb.Client, name string) (existed bool, err error) {
	desc, err := describe(ctx, db, name)
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		out, err := db.CreateTable(ctx, d.CreateTableInput(name))
		if err != nil {
			return false, fmt.Errorf("creating table %s: %w", name, err)
		}
		desc = out.TableDescription
	case err != nil:
		return false, fmt.Errorf("describing table %s: %w", name, err)
	default:
		existed = true
	}

	for !active(desc) {
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return existed, fmt.Errorf("table %s not ACTIVE: %w", name, ctx.Err())
		case <-t.C:
		}
		if desc, err = describe(ctx, db, name); err != nil {
			return existed, fmt.Errorf("describing table %s: %w", name, err)
		}
	}
	if s := desc.StreamSpecification; s == nil || !aws.ToBool(s.StreamEnabled) || desc.LatestStreamArn == nil {
		return existed, fmt.Errorf("%s: %w", name, ErrNoStream)
	}
	return existed, d.enableTTL(ctx, db, name)
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

// enableTTL turns TTL on for the definition's attribute unless it is on.
func (d Def) enableTTL(ctx context.Context, db *dynamodb.Client, name string) error {
	if d.TTLAttribute == "" {
		return nil
	}
	out, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describing TTL of %s: %w", name, err)
	}
	if t := out.TimeToLiveDescription; t != nil && aws.ToString(t.AttributeName) == d.TTLAttribute &&
		(t.TimeToLiveStatus == types.TimeToLiveStatusEnabled || t.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(d.TTLAttribute), Enabled: aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enabling TTL on %s: %w", name, err)
	}
	return nil
}
