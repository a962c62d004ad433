package ddb

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/orgs"
)

// expr holds the placeholders of one action's expressions (its update and
// its condition). Every attribute name and value gets its placeholder from
// one counter, so conditions and updates combine without clashes and no
// caller ever spells a placeholder.
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
	n      int
}

func newExpr() *expr {
	return &expr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// name is the placeholder of an attribute name; one per name per action.
func (e *expr) name(attr string) string {
	for p, a := range e.names {
		if a == attr {
			return p
		}
	}
	e.n++
	p := string(strconv.AppendInt([]byte{'#', 'n'}, int64(e.n), 10))
	e.names[p] = attr
	return p
}

// value is a fresh placeholder for a value.
func (e *expr) value(v types.AttributeValue) string {
	e.n++
	p := string(strconv.AppendInt([]byte{':', 'v'}, int64(e.n), 10))
	e.values[p] = v
	return p
}

// cond is a condition expression, written once as a named value and
// rendered into whichever action uses it.
type cond func(e *expr) string

// and is c and every other condition.
func (c cond) and(others ...cond) cond {
	return func(e *expr) string {
		parts := []string{"(" + c(e) + ")"}
		for _, o := range others {
			parts = append(parts, "("+o(e)+")")
		}
		return strings.Join(parts, " AND ")
	}
}

// or is c or the other condition.
func (c cond) or(other cond) cond {
	return func(e *expr) string { return "(" + c(e) + ") OR (" + other(e) + ")" }
}

// The conditions the store's transactions are made of.
var (
	// notExists: the item is new (puts of new items and guards).
	notExists cond = func(*expr) string { return "attribute_not_exists(PK)" }
	// exists: the item is there, whatever it holds.
	exists cond = func(*expr) string { return "attribute_exists(PK)" }
	// orgActive: the org item exists and is not being deleted.
	orgActive = attrIs("status", orgs.OrgActive)
	// memberActive: the membership exists and is active.
	memberActive = attrIs("status", orgs.StatusActive)
	// seatFree: the org's plan has a seat left (members plus open invitations).
	seatFree = roomFor(seats)
	// anotherOwner: the org keeps an active owner after losing one.
	anotherOwner = numAbove("owner_count", 1)
)

// attrIs: a string attribute holds v (so the item exists).
func attrIs(attr, v string) cond {
	return func(e *expr) string { return e.name(attr) + " = " + e.value(str(v)) }
}

// attrBefore and attrAfter compare a fixed-width time attribute (a
// sortableStamp) with a moment.
func attrBefore(attr, stamp string) cond {
	return func(e *expr) string { return e.name(attr) + " <= " + e.value(str(stamp)) }
}

func attrAfter(attr, stamp string) cond {
	return func(e *expr) string { return e.name(attr) + " > " + e.value(str(stamp)) }
}

// absent: the attribute is not set.
func absent(attr string) cond {
	return func(e *expr) string { return "attribute_not_exists(" + e.name(attr) + ")" }
}

// versionIs: the item is at the version it was read at (If-Match, and
// every read-then-write of one item).
func versionIs(v int64) cond {
	return func(e *expr) string { return e.name("version") + " = " + e.value(num(v)) }
}

// holdsRole: the member is still active in the role they acted with, so a
// demoted or removed actor's in-flight change cannot land.
func holdsRole(m orgs.Member) cond { return attrIs("role", m.Role).and(memberActive) }

// oneOf: a string attribute holds one of vs (never true for none).
func oneOf(attr string, vs []string) cond {
	return func(e *expr) string {
		if len(vs) == 0 {
			vs = []string{""} // no stored value is empty: the check fails
		}
		ps := make([]string, len(vs))
		for i, v := range vs {
			ps[i] = e.value(str(v))
		}
		return e.name(attr) + " IN (" + strings.Join(ps, ", ") + ")"
	}
}

// quota is an org counter beside the plan's limit for it; an absent limit
// is unlimited.
type quota struct{ resource, count, limit string }

var (
	seats       = quota{"members", "seat_count", "seat_limit"}
	projectRoom = quota{"projects", "project_count", "project_limit"}
	appRoom     = quota{"apps", "app_count", "app_limit"}
	roleRoom    = quota{"roles", "role_count", "role_limit"}
	apiKeyRoom  = quota{"api_keys", "api_key_count", "api_key_limit"}
)

// roomFor: the org may add one more of the quota's resource.
func roomFor(q quota) cond {
	return func(e *expr) string {
		return "attribute_not_exists(" + e.name(q.limit) + ") OR " + e.name(q.count) + " < " + e.name(q.limit)
	}
}

// update builds an UpdateExpression on its action's placeholders.
type update struct {
	*expr
	sets, removes, adds []string
}

func newUpdate() *update { return &update{expr: newExpr()} }

func (u *update) setValue(attr string, v any) *update {
	av, err := attributevalue.Marshal(v)
	if err != nil {
		panic("ddb: marshal " + attr + ": " + err.Error())
	}
	u.sets = append(u.sets, u.name(attr)+" = "+u.value(av))
	return u
}

// set sets a field a patch gives (nil leaves it).
func (u *update) set(attr string, v *string) *update {
	if v != nil {
		u.setValue(attr, *v)
	}
	return u
}

// setOrRemove sets a non-empty value and removes the attribute for "".
func (u *update) setOrRemove(attr string, v *string) *update {
	switch {
	case v == nil:
	case *v == "":
		u.remove(attr)
	default:
		u.setValue(attr, *v)
	}
	return u
}

func (u *update) remove(attrs ...string) *update {
	for _, a := range attrs {
		u.removes = append(u.removes, u.name(a))
	}
	return u
}

// add adds delta to a number attribute; path names a map entry
// (add(1, "role_counts", "admin")).
func (u *update) add(delta int64, path ...string) *update {
	u.adds = append(u.adds, u.path(path...)+" "+u.value(num(delta)))
	return u
}

// bump moves the version on, for every change a client may If-Match.
func (u *update) bump() *update { return u.add(1, "version") }

func (u *update) String() string {
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

// atLeast and atMost bound a number attribute.
func atLeast(attr string, n int64) cond {
	return func(e *expr) string { return e.name(attr) + " >= " + e.value(num(n)) }
}

func atMost(attr string, n int64) cond {
	return func(e *expr) string { return e.name(attr) + " <= " + e.value(num(n)) }
}

// notAttr: a string attribute does not hold v.
func notAttr(attr, v string) cond {
	return func(e *expr) string { return e.name(attr) + " <> " + e.value(str(v)) }
}

// contains: a string attribute contains v.
func contains(attr, v string) cond {
	return func(e *expr) string { return "contains(" + e.name(attr) + ", " + e.value(str(v)) + ")" }
}

// beginsWith: a string attribute starts with prefix.
func beginsWith(attr, prefix string) cond {
	return func(e *expr) string { return "begins_with(" + e.name(attr) + ", " + e.value(str(prefix)) + ")" }
}

// numIs: a number attribute equals n; numAbove: it exceeds n.
func numIs(attr string, n int64) cond {
	return func(e *expr) string { return e.name(attr) + " = " + e.value(num(n)) }
}

func numAbove(attr string, n int64) cond {
	return func(e *expr) string { return e.name(attr) + " > " + e.value(num(n)) }
}

// path is the placeholder path of a nested attribute (a map entry).
func (e *expr) path(names ...string) string {
	ps := make([]string, len(names))
	for i, n := range names {
		ps[i] = e.name(n)
	}
	return strings.Join(ps, ".")
}

// setIn sets a nested attribute (setIn(v, "custom_roles", id)).
func (u *update) setIn(v any, path ...string) *update {
	av, err := attributevalue.Marshal(v)
	if err != nil {
		panic("ddb: marshal " + strings.Join(path, ".") + ": " + err.Error())
	}
	u.sets = append(u.sets, u.path(path...)+" = "+u.value(av))
	return u
}

// removeIn removes a nested attribute.
func (u *update) removeIn(path ...string) *update {
	u.removes = append(u.removes, u.path(path...))
	return u
}

// has: the nested attribute exists.
func has(path ...string) cond {
	return func(e *expr) string { return "attribute_exists(" + e.path(path...) + ")" }
}

// noneCounted: a counter in a map is absent or zero.
func noneCounted(path ...string) cond {
	return func(e *expr) string {
		p := e.path(path...)
		return "attribute_not_exists(" + p + ") OR " + p + " = " + e.value(num(0))
	}
}

// all is every condition given; nil ones are left out (nil when none).
func all(conds ...cond) cond {
	var out cond
	for _, c := range conds {
		switch {
		case c == nil:
		case out == nil:
			out = c
		default:
			out = out.and(c)
		}
	}
	return out
}
