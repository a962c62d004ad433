package tablestream

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Reader reads a table's stream through the DynamoDB Streams API, shard by
// shard (a parent before its children), and hands back records in the
// shape Lambda delivers them. The local stack polls with it; tests read
// what their writes put on the stream. It is not safe for concurrent use.
type Reader struct {
	client *dynamodbstreams.Client
	arn    string
	latest bool // new shards seen on the first describe start at LATEST
	seen   bool
	shards map[string]*shard
	order  []string
}

type shard struct {
	id, parent string
	iter       *string
	last       string // sequence number of the last record read
	closed     bool
}

// NewReader opens the stream of table. With fromLatest, records already
// on the stream are skipped; otherwise reading starts at the oldest.
func NewReader(ctx context.Context, db *dynamodb.Client, streams *dynamodbstreams.Client, table string, fromLatest bool) (*Reader, error) {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return nil, fmt.Errorf("tablestream: describe %s: %w", table, err)
	}
	arn := aws.ToString(out.Table.LatestStreamArn)
	if arn == "" {
		return nil, fmt.Errorf("tablestream: table %s has no stream", table)
	}
	return &Reader{client: streams, arn: arn, latest: fromLatest, shards: map[string]*shard{}}, nil
}

// StreamARN is the stream's ARN, the records' EventSourceArn.
func (r *Reader) StreamARN() string { return r.arn }

// ReadMatching reads until it holds n records that match, or polls reads
// came up short, and returns what matched: a batch as a filtered event
// source mapping would hand it over.
func (r *Reader) ReadMatching(ctx context.Context, match func(events.DynamoDBEventRecord) bool, n, polls int) ([]events.DynamoDBEventRecord, error) {
	var out []events.DynamoDBEventRecord
	for poll := 0; len(out) < n && poll < polls; poll++ {
		recs, err := r.Read(ctx, 0)
		if err != nil {
			return out, err
		}
		for _, rec := range recs {
			if match(rec) {
				out = append(out, rec)
			}
		}
	}
	return out, nil
}

// Read returns the records written since the last Read (up to limit per
// shard and call; 0 means 1000), oldest first within each shard.
func (r *Reader) Read(ctx context.Context, limit int) ([]events.DynamoDBEventRecord, error) {
	if limit <= 0 {
		limit = 1000
	}
	if err := r.discover(ctx); err != nil {
		return nil, err
	}
	var recs []events.DynamoDBEventRecord
	for _, id := range r.order {
		s := r.shards[id]
		if s.closed || (s.parent != "" && r.shards[s.parent] != nil && !r.shards[s.parent].closed) {
			continue
		}
		got, err := r.readShard(ctx, s, limit)
		if err != nil {
			return recs, err
		}
		recs = append(recs, got...)
	}
	return recs, nil
}

func (r *Reader) discover(ctx context.Context) error {
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(r.arn)}
	first := !r.seen
	r.seen = true
	for {
		out, err := r.client.DescribeStream(ctx, in)
		if err != nil {
			return fmt.Errorf("tablestream: describe stream: %w", err)
		}
		for _, sh := range out.StreamDescription.Shards {
			id := aws.ToString(sh.ShardId)
			if _, ok := r.shards[id]; ok {
				continue
			}
			s := &shard{id: id, parent: aws.ToString(sh.ParentShardId)}
			at := stypes.ShardIteratorTypeTrimHorizon
			if first && r.latest {
				at = stypes.ShardIteratorTypeLatest
			}
			if err := r.iterate(ctx, s, at); err != nil {
				return err
			}
			r.shards[id] = s
			r.order = append(r.order, id)
		}
		if out.StreamDescription.LastEvaluatedShardId == nil {
			return nil
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
}

func (r *Reader) iterate(ctx context.Context, s *shard, at stypes.ShardIteratorType) error {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(r.arn), ShardId: aws.String(s.id), ShardIteratorType: at}
	if at == stypes.ShardIteratorTypeAfterSequenceNumber {
		in.SequenceNumber = aws.String(s.last)
	}
	out, err := r.client.GetShardIterator(ctx, in)
	if err != nil {
		return fmt.Errorf("tablestream: shard iterator %s: %w", s.id, err)
	}
	s.iter = out.ShardIterator
	s.closed = s.iter == nil
	return nil
}

func (r *Reader) readShard(ctx context.Context, s *shard, limit int) ([]events.DynamoDBEventRecord, error) {
	var recs []events.DynamoDBEventRecord
	for len(recs) < limit && s.iter != nil {
		out, err := r.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iter,
			Limit: aws.Int32(int32(min(1000, limit-len(recs))))}, emptyMaps)
		var expired *stypes.ExpiredIteratorException
		if errors.As(err, &expired) {
			at := stypes.ShardIteratorTypeTrimHorizon
			if s.last != "" {
				at = stypes.ShardIteratorTypeAfterSequenceNumber
			}
			if err := r.iterate(ctx, s, at); err != nil {
				return recs, err
			}
			continue
		}
		if err != nil {
			return recs, fmt.Errorf("tablestream: get records %s: %w", s.id, err)
		}
		for _, rec := range out.Records {
			e := Record(rec, r.arn)
			s.last = e.Change.SequenceNumber
			recs = append(recs, e)
		}
		s.iter = out.NextShardIterator
		if s.iter == nil {
			s.closed = true
		}
		if len(out.Records) == 0 {
			break
		}
	}
	return recs, nil
}

// Record converts a Streams API record to the Lambda event record.
func Record(rec stypes.Record, streamARN string) events.DynamoDBEventRecord {
	e := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(rec.AwsRegion),
		EventID:        aws.ToString(rec.EventID),
		EventName:      string(rec.EventName),
		EventSource:    aws.ToString(rec.EventSource),
		EventVersion:   aws.ToString(rec.EventVersion),
		EventSourceArn: streamARN,
	}
	if e.EventSource == "" {
		e.EventSource = "aws:dynamodb"
	}
	if rec.UserIdentity != nil {
		e.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(rec.UserIdentity.Type), PrincipalID: aws.ToString(rec.UserIdentity.PrincipalId)}
	}
	if d := rec.Dynamodb; d != nil {
		e.Change = events.DynamoDBStreamRecord{
			Keys:           streamImage(d.Keys),
			NewImage:       streamImage(d.NewImage),
			OldImage:       streamImage(d.OldImage),
			SequenceNumber: aws.ToString(d.SequenceNumber),
			SizeBytes:      aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		}
		if d.ApproximateCreationDateTime != nil {
			e.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
	}
	return e
}

func streamImage(img map[string]stypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if img == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(img))
	for k, v := range img {
		out[k] = streamValue(v)
	}
	return out
}

func streamValue(v stypes.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *stypes.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *stypes.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *stypes.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *stypes.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *stypes.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *stypes.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *stypes.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *stypes.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = streamValue(e)
		}
		return events.NewListAttribute(l)
	case *stypes.AttributeValueMemberM:
		return events.NewMapAttribute(streamImage(v.Value))
	}
	return events.NewNullAttribute()
}
