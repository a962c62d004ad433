package ddb

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Position is where a list resumes: the key attributes of the last item
// returned. Callers carry it inside a signed cursor and never build one.
type Position map[string]string

// Page asks for up to Limit items after After.
type Page struct {
	Limit int
	After Position
}

// queryPage runs a Query until it has page.Limit items that pass the
// filter or the results end. DynamoDB applies Limit before FilterExpression,
// so one call may return fewer matches than asked; the loop keeps going.
// The position returned is the key of the last item handed to visit, or
// nil when nothing follows. A query with a call budget (q.calls) reads in
// larger steps and, out of calls, returns a short page (even an empty one)
// and the position where reading stopped.
func (s *Store) queryPage(ctx context.Context, q *query, page Page, visit func(map[string]types.AttributeValue) error) (Position, error) {
	in := q.input(s.Table)
	keyAttrs := q.keyAttrs()
	if len(page.After) > 0 {
		start := map[string]types.AttributeValue{}
		for _, a := range keyAttrs {
			v, ok := page.After[a]
			if !ok {
				return nil, ErrBadPosition
			}
			start[a] = str(v)
		}
		if len(page.After) != len(keyAttrs) {
			return nil, ErrBadPosition
		}
		in.ExclusiveStartKey = start
	}
	got := 0
	for call := 1; ; call++ {
		// Ask for one more than needed so a full final page is not
		// followed by an empty one.
		step := page.Limit - got + 1
		if q.calls > 0 && q.filter != nil {
			step = max(step, boundedStep)
		}
		in.Limit = aws.Int32(int32(step))
		out, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for i, item := range out.Items {
			if got == page.Limit {
				return positionOf(out.Items[i-1], keyAttrs), nil
			}
			if err := visit(item); err != nil {
				return nil, err
			}
			got++
		}
		if out.LastEvaluatedKey == nil {
			return nil, nil
		}
		if got == page.Limit {
			return positionOf(out.Items[len(out.Items)-1], keyAttrs), nil
		}
		if call == q.calls {
			// Out of calls for this page: resume where the reading
			// stopped, whether or not the page is full.
			return positionOf(out.LastEvaluatedKey, keyAttrs), nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// boundedStep is the least a budgeted, filtered query reads per call.
const boundedStep = 100

func positionOf(item map[string]types.AttributeValue, attrs []string) Position {
	p := Position{}
	for _, a := range attrs {
		if v, ok := item[a].(*types.AttributeValueMemberS); ok {
			p[a] = v.Value
		}
	}
	return p
}

// queryRecords is queryPage for the common case: decode each item into its
// record R and hand back the domain value to(R).
func queryRecords[R, T any](ctx context.Context, s *Store, q *query, page Page, to func(R) T) ([]T, Position, error) {
	var out []T
	next, err := s.queryPage(ctx, q, page, func(item map[string]types.AttributeValue) error {
		var rec R
		if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
			return err
		}
		out = append(out, to(rec))
		return nil
	})
	return out, next, err
}
