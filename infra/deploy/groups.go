package deploy

import (
	"strconv"
	"strings"
)

// MaxFunctionsPerGroup bounds the functions of one group (one nested
// stack of the CDK app). The binding limit is CloudFormation's 60 dynamic
// references per template: every function holds two (its cursor and
// invitation secrets). 25 functions also keep a template near 175 of its
// 500 resources (at most 7 per function).
const MaxFunctionsPerGroup = 25

// Area is the part of the API the function serves, for grouping: the
// collection under an organization ("/organizations/{org}/projects/…" →
// "projects"), else the path's first segment ("/me/…" → "me"); stream
// consumers and schedules are "triggers".
func (f Function) Area() string {
	if f.Kind != HTTP {
		return "triggers"
	}
	segs := strings.Split(strings.Trim(f.Route.Path, "/"), "/")
	if len(segs) > 2 && segs[0] == "organizations" {
		return segs[2]
	}
	return segs[0]
}

// Group is functions deployed together, in one nested stack.
type Group struct {
	// Name is the CamelCase name of the group's first area ("Me",
	// "Apps", "Triggers"), suffixed by a number when one area fills more
	// than one group.
	Name      string
	Functions []Function
}

// Groups packs the functions, in list order, into groups of at most max:
// whole areas while they fit, so that a function stays in its group when
// routes of other areas come and go; an area larger than max fills groups
// of its own.
func Groups(fns []Function, max int) []Group {
	var areas [][]Function
	index := map[string]int{}
	for _, f := range fns {
		i, ok := index[f.Area()]
		if !ok {
			i = len(areas)
			index[f.Area()] = i
			areas = append(areas, nil)
		}
		areas[i] = append(areas[i], f)
	}
	var groups []Group
	for _, area := range areas {
		name := camel(area[0].Area())
		if len(area) > max {
			for part := 0; len(area) > 0; part++ {
				n := min(max, len(area))
				groups = append(groups, Group{Name: name + strconv.Itoa(part+1), Functions: area[:n:n]})
				area = area[n:]
			}
			continue
		}
		if last := len(groups) - 1; last >= 0 && len(groups[last].Functions)+len(area) <= max {
			groups[last].Functions = append(groups[last].Functions, area...)
			continue
		}
		groups = append(groups, Group{Name: name, Functions: area})
	}
	return groups
}

// camel is kebab-case in CamelCase ("top-ups" → "TopUps").
func camel(s string) string { return Function{Name: s}.ID() }
