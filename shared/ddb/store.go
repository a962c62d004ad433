// Package ddb stores Orgplane in its one DynamoDB table. It owns the key
// layout, the private item records and every transaction; callers see only
// the domain types of package orgs. Every multi-item write is a single
// TransactWriteItems whose conditions enforce the invariants (guards,
// quotas, last owner, versions); nothing is checked by read-then-write.
package ddb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Store is Orgplane's table. Build one per process and share it.
type Store struct {
	DB    *dynamodb.Client
	Table string
	Now   func() time.Time
}

// New returns a store over the table.
func New(db *dynamodb.Client, tableName string) *Store {
	return &Store{DB: db, Table: tableName, Now: time.Now}
}

func (s *Store) now() time.Time { return s.Now().UTC() }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseStamp(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// stampOrEmpty leaves a zero time out of the item ("" with omitempty).
func stampOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stamp(t)
}

// sortableStamp is fixed-width so sort keys order by time as strings do.
func sortableStamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: itoa(v)}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func marshal(v any) map[string]types.AttributeValue {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		// Records are our own structs; a failure is a programming error.
		panic("ddb: marshal: " + err.Error())
	}
	return item
}

// get reads one item with a strongly consistent read.
func (s *Store) get(ctx context.Context, k map[string]types.AttributeValue, into any) error {
	it, err := s.getItem(ctx, k)
	if err != nil {
		return err
	}
	if it == nil {
		return ErrNotFound
	}
	return attributevalue.UnmarshalMap(it, into)
}

// getItem reads one item consistently; nil when there is none.
func (s *Store) getItem(ctx context.Context, k map[string]types.AttributeValue) (item, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.Table, Key: k, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// batch is what a batch read found, by key.
type batch map[string]item

// has reports whether the item with key k was found.
func (b batch) has(k map[string]types.AttributeValue) bool {
	_, ok := b[itemKey(k)]
	return ok
}

// decode unmarshals the item with key k into into, reporting whether it
// was found.
func (b batch) decode(k map[string]types.AttributeValue, into any) (bool, error) {
	it, ok := b[itemKey(k)]
	if !ok {
		return false, nil
	}
	return true, attributevalue.UnmarshalMap(it, into)
}

// getMany reads items by key, 100 per BatchGetItem (one round trip for up
// to 100 keys).
func (s *Store) getMany(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool) (batch, error) {
	found := batch{}
	for len(keys) > 0 {
		n := min(100, len(keys))
		pending := keys[:n]
		keys = keys[n:]
		for attempt := 0; len(pending) > 0; attempt++ {
			out, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{s.Table: {Keys: pending, ConsistentRead: aws.Bool(consistent)}},
			})
			if err != nil {
				return nil, err
			}
			for _, item := range out.Responses[s.Table] {
				found[itemKey(item)] = item
			}
			pending = out.UnprocessedKeys[s.Table].Keys
			if len(pending) > 0 {
				if attempt > 8 {
					return nil, fmt.Errorf("%w: BatchGetItem left keys unprocessed", ErrThrottled)
				}
				backoff(attempt)
			}
		}
	}
	return found, nil
}

// batchWrite sends puts and deletes 25 per BatchWriteItem, resending what
// DynamoDB leaves unprocessed with backoff.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for chunk := range slices.Chunk(reqs, 25) {
		pending := chunk
		for attempt := 0; len(pending) > 0; attempt++ {
			out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.Table: pending}})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems[s.Table]
			if len(pending) > 0 {
				if attempt > 8 {
					return fmt.Errorf("%w: BatchWriteItem left items unprocessed", ErrThrottled)
				}
				backoff(attempt)
			}
		}
	}
	return nil
}

func itemKey(it map[string]types.AttributeValue) string {
	return item(it).str("PK") + "|" + item(it).str("SK")
}

func backoff(attempt int) {
	d := time.Duration(10<<min(attempt, 6)) * time.Millisecond
	time.Sleep(d/2 + rand.N(d/2+1))
}

func unmarshalItem(it item, into any) error {
	return attributevalue.UnmarshalMap(it, into)
}

// conditionFailed reports whether a single-item write lost its condition.
func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func lower(s string) string { return strings.ToLower(s) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// orNotFound is err, or ErrNotFound when a read found nothing and failed
// no other way.
func orNotFound(err error) error {
	if err == nil {
		return ErrNotFound
	}
	return err
}
