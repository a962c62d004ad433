package deploy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/triggers"
)

// Kind is what invokes a function.
type Kind int

const (
	HTTP     Kind = iota // an API Gateway HTTP API route
	Stream               // the table's stream, through an event source mapping
	Schedule             // an EventBridge rule on a fixed rate
)

func (k Kind) String() string {
	switch k {
	case HTTP:
		return "route"
	case Stream:
		return "stream consumer"
	case Schedule:
		return "schedule"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Function is one Lambda function. Exactly one of Route, Consumer and
// Schedule is set, matching Kind.
type Function struct {
	Name           string
	Kind           Kind
	MemoryMB       int
	TimeoutSeconds int
	// Writes grants write actions on the table; otherwise read actions only.
	Writes bool
	// SendsEmail grants SES send on the configured sender identity.
	SendsEmail bool
	// Exports is what the function may do in the export bucket.
	Exports ExportAccess

	Route    *api.Route
	Consumer *triggers.StreamConsumer
	Schedule *triggers.Schedule
}

// ExportAccess is a function's access to the export bucket's files
// (under exports.Prefix only).
type ExportAccess int

const (
	NoExports    ExportAccess = iota
	ReadExports               // GetObject: presigned download links
	WriteExports              // PutObject: the export builder
)

// Lists is the three source lists the functions come from. Tests pass
// their own, to exercise kinds whose real list is still empty.
type Lists struct {
	Routes          []api.Route
	StreamConsumers []triggers.StreamConsumer
	Schedules       []triggers.Schedule
}

// Current is Orgplane's lists as compiled in.
func Current() Lists {
	return Lists{Routes: api.Routes, StreamConsumers: triggers.StreamConsumers, Schedules: triggers.Schedules}
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// All returns every function of the lists: routes first, then stream
// consumers, then schedules, each in list order. Names must be kebab-case
// and unique across all three lists, since each names a folder under
// functions/.
func (l Lists) All() ([]Function, error) {
	var fns []Function
	for i := range l.Routes {
		r := &l.Routes[i]
		f := Function{Name: r.Name, Kind: HTTP, MemoryMB: r.Memory(), TimeoutSeconds: r.Timeout(),
			Writes: r.Writes, Route: r}
		if r.ReadsExports {
			f.Exports = ReadExports
		}
		fns = append(fns, f)
	}
	for i := range l.StreamConsumers {
		c := &l.StreamConsumers[i]
		f := Function{Name: c.Name, Kind: Stream, MemoryMB: c.Memory(), TimeoutSeconds: c.Timeout(),
			Writes: c.Writes, SendsEmail: c.SendsEmail, Consumer: c}
		if c.WritesExports {
			f.Exports = WriteExports
		}
		fns = append(fns, f)
	}
	for i := range l.Schedules {
		s := &l.Schedules[i]
		fns = append(fns, Function{Name: s.Name, Kind: Schedule, MemoryMB: s.Memory(), TimeoutSeconds: s.Timeout(),
			Writes: s.Writes, Schedule: s})
	}
	seen := map[string]Kind{}
	for _, f := range fns {
		if !validName.MatchString(f.Name) {
			return nil, fmt.Errorf("deploy: %s name %q is not kebab-case ([a-z0-9-])", f.Kind, f.Name)
		}
		if k, dup := seen[f.Name]; dup {
			return nil, fmt.Errorf("deploy: %q names both a %s and a %s", f.Name, k, f.Kind)
		}
		seen[f.Name] = f.Kind
	}
	return fns, nil
}

// MustAll is All for lists known to be valid (the compiled-in ones, which
// a test checks).
func (l Lists) MustAll() []Function {
	fns, err := l.All()
	if err != nil {
		panic(err)
	}
	return fns
}

// ID is the name in CamelCase ("get-me" → "GetMe"): the CDK construct id
// and, with a "Function" suffix, the SAM logical id.
func (f Function) ID() string {
	var b strings.Builder
	for part := range strings.SplitSeq(f.Name, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	return b.String()
}

// SAMLogicalID is the function's logical id in template.yaml; SAM's
// makefile build runs `make build-<SAMLogicalID>`.
func (f Function) SAMLogicalID() string { return f.ID() + "Function" }

// Describe is a short phrase for what invokes the function, for comments.
func (f Function) Describe() string {
	switch f.Kind {
	case HTTP:
		return f.Route.Method + " " + f.Route.Path
	case Stream:
		var what []string
		for _, flt := range f.Consumer.Filters() {
			what = append(what, strings.Join(flt.EventNames, ", ")+" of "+strings.Join(flt.ItemTypes, ", "))
		}
		return "the table's stream (" + strings.Join(what, "; ") + ")"
	case Schedule:
		return "the schedule " + f.Schedule.Expression()
	}
	return f.Kind.String()
}
