package ddb

import (
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// query is a Query being built. Its key condition, filter and projection
// take their placeholders from one expr, as an action's expressions do.
type query struct {
	e          *expr
	index      string
	keyCond    string
	filter     cond
	projection []string
	consistent bool
	backward   bool
	// calls, when set, bounds the Query calls one page makes (see
	// queryPage); zero reads until the page is full.
	calls int
}

// inPartition reads a partition of the table, strongly consistent,
// optionally only the sort keys that start with prefix.
func inPartition(pk, prefix string) *query {
	q := &query{e: newExpr(), consistent: true}
	q.keyCond = q.e.name("PK") + " = " + q.e.value(str(pk))
	if prefix != "" {
		q.keyCond += " AND begins_with(" + q.e.name("SK") + ", " + q.e.value(str(prefix)) + ")"
	}
	return q
}

// onIndex reads one partition of a GSI (eventually consistent, as every
// GSI read is).
func onIndex(gsi, pk string) *query {
	q := &query{e: newExpr(), index: gsi}
	q.keyCond = q.e.name(gsi+"PK") + " = " + q.e.value(str(pk))
	return q
}

// sortBefore keeps the index sort keys strictly below v.
func (q *query) sortBefore(v string) *query {
	q.keyCond += " AND " + q.e.name(q.index+"SK") + " < " + q.e.value(str(v))
	return q
}

// sortBetween keeps the sort keys in [lo, hi] (a filter may not name a
// key attribute, so a caller that needs hi excluded picks a hi no item has).
func (q *query) sortBetween(lo, hi string) *query {
	sk := q.e.name(q.index + "SK")
	q.keyCond += " AND " + sk + " BETWEEN " + q.e.value(str(lo)) + " AND " + q.e.value(str(hi))
	return q
}

// sortPrefix keeps the index sort keys that start with prefix.
func (q *query) sortPrefix(prefix string) *query {
	q.keyCond += " AND begins_with(" + q.e.name(q.index+"SK") + ", " + q.e.value(str(prefix)) + ")"
	return q
}

// where adds a filter condition (ANDed with any before it).
func (q *query) where(c cond) *query {
	if q.filter == nil {
		q.filter = c
	} else {
		q.filter = q.filter.and(c)
	}
	return q
}

// newestFirst reads in descending sort-key order.
func (q *query) newestFirst() *query {
	q.backward = true
	return q
}

// only projects the query onto attrs.
func (q *query) only(attrs ...string) *query {
	q.projection = attrs
	return q
}

// keyAttrs are the attributes that position a list on this query.
func (q *query) keyAttrs() []string {
	attrs := []string{"PK", "SK"}
	if q.index != "" {
		attrs = append(attrs, q.index+"PK", q.index+"SK")
	}
	return attrs
}

// input renders the query. It may be called again (each page of a list):
// the filter and projection render into a copy of the key condition's
// placeholders, so no render leaves values behind for the next.
func (q *query) input(table string) *dynamodb.QueryInput {
	e := &expr{names: maps.Clone(q.e.names), values: maps.Clone(q.e.values), n: q.e.n}
	in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String(q.keyCond)}
	if q.index != "" {
		in.IndexName = aws.String(q.index)
	}
	if q.consistent {
		in.ConsistentRead = aws.Bool(true)
	}
	if q.backward {
		in.ScanIndexForward = aws.Bool(false)
	}
	if q.filter != nil {
		in.FilterExpression = aws.String(q.filter(e))
	}
	if len(q.projection) > 0 {
		p := ""
		for i, a := range q.projection {
			if i > 0 {
				p += ", "
			}
			p += e.name(a)
		}
		in.ProjectionExpression = aws.String(p)
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = nonEmpty(e.names), nonEmpty(e.values)
	return in
}
