package ddb

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// updateExpr builds an UpdateExpression with its placeholders, so callers
// never splice attribute names or values into expression text.
type updateExpr struct {
	sets, removes, adds []string
	names               map[string]string
	values              map[string]types.AttributeValue
	n                   int
}

func newUpdate() *updateExpr {
	return &updateExpr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

func (u *updateExpr) placeholders(attr string) (string, string) {
	u.n++
	n := strconv.Itoa(u.n)
	u.names["#a"+n] = attr
	return "#a" + n, ":v" + n
}

func (u *updateExpr) setValue(attr string, v any) {
	name, val := u.placeholders(attr)
	av, err := attributevalue.Marshal(v)
	if err != nil {
		panic("ddb: marshal " + attr + ": " + err.Error())
	}
	u.values[val] = av
	u.sets = append(u.sets, name+" = "+val)
}

func (u *updateExpr) set(attr string, v *string) {
	if v != nil {
		u.setValue(attr, *v)
	}
}

// setOrRemove sets a non-empty value and removes the attribute for "".
func (u *updateExpr) setOrRemove(attr string, v *string) {
	switch {
	case v == nil:
	case *v == "":
		name, _ := u.placeholders(attr)
		u.removes = append(u.removes, name)
	default:
		u.setValue(attr, *v)
	}
}

func (u *updateExpr) add(attr string, delta int64) {
	name, val := u.placeholders(attr)
	u.values[val] = num(delta)
	u.adds = append(u.adds, name+" "+val)
}

func (u *updateExpr) String() string {
	var parts []string
	if len(u.sets) > 0 {
		parts = append(parts, "SET "+strings.Join(u.sets, ", "))
	}
	if len(u.removes) > 0 {
		parts = append(parts, "REMOVE "+strings.Join(u.removes, ", "))
	}
	if len(u.adds) > 0 {
		parts = append(parts, "ADD "+strings.Join(u.adds, ", "))
	}
	return strings.Join(parts, " ")
}
