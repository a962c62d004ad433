package ddb

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
)

// item is an item image as DynamoDB returned it: a query result, or the
// item as it was when a condition failed (nil when it did not exist).
type item map[string]types.AttributeValue

// str is a string attribute of the item, "" when absent.
func (i item) str(attr string) string {
	if v, ok := i[attr].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// explained is what a failed condition means when that depends on the item
// as it was: an org that is gone is not a full quota.
type explained func(old item) error

func (explained) Error() string { return "ddb: condition failed" }

// orgGoneOr explains a failed condition on the org item: the org is gone
// or being deleted (ErrNotFound), else err.
func orgGoneOr(err error) explained {
	return func(old item) error {
		if old == nil || old.str("status") != orgs.OrgActive {
			return ErrNotFound
		}
		return err
	}
}

// goneOrChanged explains a failed version condition on an item read
// earlier: deleted meanwhile (ErrNotFound) or changed (ErrVersionConflict).
var goneOrChanged explained = func(old item) error {
	if old == nil {
		return ErrNotFound
	}
	return ErrVersionConflict
}

// action is one write of a transaction: what it writes, the condition
// that must hold, and the error its failure means.
type action struct {
	write  types.TransactWriteItem
	onFail error
}

func (a action) failed(old item) error {
	switch f := a.onFail.(type) {
	case nil:
		return errors.New("ddb: a transaction action failed a condition nobody explained")
	case explained:
		return f(old)
	default:
		return f
	}
}

// txn is one TransactWriteItems being built. Each action names its own
// condition and failure, so nothing decodes a cancellation by position.
type txn struct {
	s       *Store
	actions []action
	events  []activity.Event // recorded, written when the transaction runs
}

func (s *Store) txn() *txn { return &txn{s: s} }

// A nil cond writes unconditionally (and cannot fail).
func (t *txn) add(w types.TransactWriteItem, onFail error) *txn {
	t.actions = append(t.actions, action{write: w, onFail: onFail})
	return t
}

func condition(c cond, e *expr) (*string, map[string]string, map[string]types.AttributeValue) {
	var text *string
	if c != nil {
		text = aws.String(c(e))
	}
	return text, nonEmpty(e.names), nonEmpty(e.values)
}

func (t *txn) put(it map[string]types.AttributeValue, c cond, onFail error) *txn {
	p := &types.Put{TableName: &t.s.Table, Item: it, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues = condition(c, newExpr())
	return t.add(types.TransactWriteItem{Put: p}, onFail)
}

func (t *txn) update(k map[string]types.AttributeValue, u *update, c cond, onFail error) *txn {
	w := &types.Update{TableName: &t.s.Table, Key: k, UpdateExpression: aws.String(u.String()),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	w.ConditionExpression, w.ExpressionAttributeNames, w.ExpressionAttributeValues = condition(c, u.expr)
	return t.add(types.TransactWriteItem{Update: w}, onFail)
}

func (t *txn) del(k map[string]types.AttributeValue, c cond, onFail error) *txn {
	d := &types.Delete{TableName: &t.s.Table, Key: k, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues = condition(c, newExpr())
	return t.add(types.TransactWriteItem{Delete: d}, onFail)
}

func (t *txn) check(k map[string]types.AttributeValue, c cond, onFail error) *txn {
	w := &types.ConditionCheck{TableName: &t.s.Table, Key: k, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	w.ConditionExpression, w.ExpressionAttributeNames, w.ExpressionAttributeValues = condition(c, newExpr())
	return t.add(types.TransactWriteItem{ConditionCheck: w}, onFail)
}

// actorHolds adds the check that the actor still has the authority it
// acted with: a member still active in the role they had, or an API key
// (acting as a member whose UserID is its key id) still not revoked.
func (t *txn) actorHolds(actor orgs.Member) *txn {
	if ids.Valid(ids.APIKey, actor.UserID) {
		return t.check(key(orgPK(actor.OrganizationID), apiKeySK(actor.UserID)), keyActive, ErrActorChanged)
	}
	return t.check(memberKey(actor.OrganizationID, actor.UserID), holdsRole(actor), ErrActorChanged)
}

// maxTxnAttempts bounds the retries of a transaction that keeps losing to
// concurrent ones.
const maxTxnAttempts = 12

// run sends the transaction. A failed condition returns its action's
// error. A cancellation for a conflict with a concurrent transaction (or
// throttling) is retried with backoff, since every condition is evaluated
// afresh; one that keeps conflicting is ErrContention.
func (t *txn) run(ctx context.Context) error {
	failed, err := t.runAll(ctx)
	if len(failed) > 0 {
		return failed[0]
	}
	return err
}

// runAll is run for a caller that resolves every failed condition at once
// (the idle job drops the instances that changed and sends the rest
// again): it returns each failed action's error, in action order.
func (t *txn) runAll(ctx context.Context) ([]error, error) {
	t.stampEvents(ctx)
	writes := make([]types.TransactWriteItem, len(t.actions))
	for i, a := range t.actions {
		writes[i] = a.write
	}
	for attempt := 0; ; attempt++ {
		_, err := t.s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) {
			return nil, err
		}
		var failed []error
		busy := false
		for i, r := range cancelled.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				if i < len(t.actions) {
					failed = append(failed, t.actions[i].failed(r.Item))
				}
			case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
				busy = true
			}
		}
		switch {
		case len(failed) > 0:
			return failed, err
		case !busy:
			return nil, err
		case attempt >= maxTxnAttempts:
			return nil, fmt.Errorf("%w: %w", ErrContention, err)
		}
		backoff(attempt)
	}
}

// updateItem writes one item's update without a transaction (half the
// cost of a one-action transaction) and, when out is not nil, decodes the
// item as it now is into out. A failed condition returns onFail, as a
// transaction action's would.
func (s *Store) updateItem(ctx context.Context, k map[string]types.AttributeValue, u *update, c cond, onFail error, out any) error {
	in := &dynamodb.UpdateItemInput{TableName: &s.Table, Key: k, UpdateExpression: aws.String(u.String()),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = condition(c, u.expr)
	if out != nil {
		in.ReturnValues = types.ReturnValueAllNew
	}
	res, err := s.DB.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return action{onFail: onFail}.failed(ccf.Item)
	}
	if err != nil || out == nil {
		return err
	}
	return attributevalue.UnmarshalMap(res.Attributes, out)
}

func nonEmpty[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return nil
	}
	return m
}
