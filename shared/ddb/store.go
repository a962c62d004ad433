// Package ddb stores Orgplane in its one DynamoDB table. It owns the key
// layout, the private item records and every transaction; callers see only
// the domain types of package orgs. Every multi-item write is a single
// TransactWriteItems whose conditions enforce the invariants (guards,
// quotas, last owner, versions); nothing is checked by read-then-write.
package ddb

import (
	"context"
	"errors"
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

// ErrNotFound is returned when an item does not exist.
var ErrNotFound = errors.New("ddb: not found")

// ErrBadPosition is returned for a list position that does not fit the
// list (a cursor from another list that still carried a valid signature).
var ErrBadPosition = errors.New("ddb: position does not fit this list")

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

// sortableStamp is fixed-width so sort keys order by time as strings do.
func sortableStamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk},
		"SK": &types.AttributeValueMemberS{Value: sk},
	}
}

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
func (s *Store) get(ctx context.Context, pk, sk string, into any) error {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.Table, Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return err
	}
	if out.Item == nil {
		return ErrNotFound
	}
	return attributevalue.UnmarshalMap(out.Item, into)
}

// getMany reads items by key, 100 per BatchGetItem (one round trip for up
// to 100 keys), returning them by "PK|SK".
func (s *Store) getMany(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool) (map[string]map[string]types.AttributeValue, error) {
	found := map[string]map[string]types.AttributeValue{}
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
					return nil, errors.New("ddb: BatchGetItem left keys unprocessed")
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
					return errors.New("ddb: BatchWriteItem left items unprocessed")
				}
				backoff(attempt)
			}
		}
	}
	return nil
}

func itemKey(item map[string]types.AttributeValue) string {
	pk, _ := item["PK"].(*types.AttributeValueMemberS)
	sk, _ := item["SK"].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return ""
	}
	return pk.Value + "|" + sk.Value
}

func backoff(attempt int) {
	d := time.Duration(10<<min(attempt, 6)) * time.Millisecond
	time.Sleep(d/2 + rand.N(d/2+1))
}

// txFailure is a transaction cancelled by one of its conditions.
type txFailure struct {
	// Index of the first action whose condition failed, and that item as
	// it was (when the action asked for it).
	Index int
	Item  map[string]types.AttributeValue
}

func (e *txFailure) Error() string {
	return "ddb: transaction condition failed at action " + itoa(int64(e.Index))
}

// transact runs one TransactWriteItems. A condition failure comes back as
// *txFailure naming the action; a conflict with a concurrent transaction
// is retried, since every condition is evaluated afresh each time.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	for attempt := 0; ; attempt++ {
		_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) {
			return err
		}
		conflict := false
		for i, r := range cancelled.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				return &txFailure{Index: i, Item: r.Item}
			case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
				conflict = true
			}
		}
		if !conflict || attempt >= 12 {
			return err
		}
		backoff(attempt)
	}
}

func failedAt(err error, index int) bool {
	var f *txFailure
	return errors.As(err, &f) && f.Index == index
}

// conditionFailed reports whether a single-item write lost its condition.
func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// put, update, del and check build transaction actions on this table.
func (s *Store) put(item map[string]types.AttributeValue, cond string, names map[string]string, values map[string]types.AttributeValue) types.TransactWriteItem {
	p := &types.Put{TableName: &s.Table, Item: item}
	if cond != "" {
		p.ConditionExpression = &cond
		p.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	p.ExpressionAttributeNames, p.ExpressionAttributeValues = nonEmpty(names), nonEmptyV(values)
	return types.TransactWriteItem{Put: p}
}

func (s *Store) update(k map[string]types.AttributeValue, expr, cond string, names map[string]string, values map[string]types.AttributeValue) types.TransactWriteItem {
	u := &types.Update{TableName: &s.Table, Key: k, UpdateExpression: &expr,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	if cond != "" {
		u.ConditionExpression = &cond
	}
	u.ExpressionAttributeNames, u.ExpressionAttributeValues = nonEmpty(names), nonEmptyV(values)
	return types.TransactWriteItem{Update: u}
}

func (s *Store) del(k map[string]types.AttributeValue, cond string, names map[string]string, values map[string]types.AttributeValue) types.TransactWriteItem {
	d := &types.Delete{TableName: &s.Table, Key: k,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	if cond != "" {
		d.ConditionExpression = &cond
	}
	d.ExpressionAttributeNames, d.ExpressionAttributeValues = nonEmpty(names), nonEmptyV(values)
	return types.TransactWriteItem{Delete: d}
}

func (s *Store) check(k map[string]types.AttributeValue, cond string, names map[string]string, values map[string]types.AttributeValue) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.Table, Key: k,
		ConditionExpression: &cond, ExpressionAttributeNames: nonEmpty(names), ExpressionAttributeValues: nonEmptyV(values),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nonEmptyV(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if len(m) == 0 {
		return nil
	}
	return m
}

func lower(s string) string { return strings.ToLower(s) }
