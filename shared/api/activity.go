package api

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/problem"
)

// activityFilterParams are the filters of the activity list, which an
// activity export takes too.
var activityFilterParams = []string{"actor_id", "actor_type", "action", "target_id", "since", "until"}

// actionPattern is an action ("member.role_changed") or a prefix of one
// ("member.*").
var actionPattern = regexp.MustCompile(`^[a-z_]{1,40}\.([a-z_]{1,60}|\*)$`)

// idPattern is what an actor or target id may be: an Orgplane id, or a
// system job's name.
var idPattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// activityFilter reads the filters from get (a query string's, or an
// export body's with its fields under prefix), every bad one a field error.
func activityFilter(prefix string, get func(string) (string, bool)) (activity.Filter, error) {
	var f activity.Filter
	var fields []problem.FieldError
	bad := func(field, msg string) {
		fields = append(fields, problem.FieldError{Field: prefix + field, Message: msg})
	}
	if v, ok := get("actor_id"); ok {
		if !idPattern.MatchString(v) {
			bad("actor_id", "must be a user id, an API key id or a system job's name")
		}
		f.ActorID = v
	}
	if v, ok := get("actor_type"); ok {
		switch v {
		case activity.ActorUser, activity.ActorAPIKey, activity.ActorSystem:
		default:
			bad("actor_type", "must be user, api_key or system")
		}
		f.ActorType = v
	}
	if v, ok := get("action"); ok {
		if !actionPattern.MatchString(v) {
			bad("action", `must be an action ("member.role_changed") or a prefix of one ("member.*")`)
		}
		f.Action = v
	}
	if v, ok := get("target_id"); ok {
		if !idPattern.MatchString(v) {
			bad("target_id", "must be an id")
		}
		f.TargetID = v
	}
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v, ok := get(p.name); ok {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				bad(p.name, "must be an RFC 3339 time, e.g. 2026-11-01T00:00:00Z")
			}
			*p.into = t.UTC()
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		bad("until", "must be after since")
	}
	return f, problem.Fields(fields)
}

// filterKey names a filter canonically, so a cursor issued for one filter
// is refused for another.
func filterKey(f activity.Filter) string {
	parts := []string{f.ActorID, f.ActorType, f.Action, f.TargetID}
	for _, t := range []time.Time{f.Since, f.Until} {
		if t.IsZero() {
			parts = append(parts, "")
		} else {
			parts = append(parts, t.Format(time.RFC3339Nano))
		}
	}
	return "activity?" + strings.Join(parts, "&")
}

// millis is RFC 3339 with milliseconds: events a request apart still order.
const millis = "2006-01-02T15:04:05.000Z07:00"

// activityView is an event as the API shows it.
type activityView struct {
	ID         string            `json:"id"`
	Action     string            `json:"action"`
	OccurredAt string            `json:"occurred_at"`
	Actor      activity.Actor    `json:"actor"`
	Targets    []activity.Target `json:"targets"`
	Context    activity.Context  `json:"context"`
	Changes    activity.Changes  `json:"changes"`
}

func viewActivity(e activity.Event) activityView {
	v := activityView{ID: e.ID, Action: e.Action, OccurredAt: e.OccurredAt.UTC().Format(millis), Actor: e.Actor,
		Targets: e.Targets, Context: e.Context, Changes: e.Changes}
	if v.Targets == nil {
		v.Targets = []activity.Target{}
	}
	if v.Changes == nil {
		v.Changes = activity.Changes{}
	}
	return v
}

func viewActivities(es []activity.Event) []activityView {
	out := make([]activityView, len(es))
	for i, e := range es {
		out[i] = viewActivity(e)
	}
	return out
}

// listActivity pages through the org's activity, newest first. A filter
// that matches rarely may answer a short or even empty page with a
// cursor: each page reads a bounded part of the log.
func (s *Server) listActivity(c *call) error {
	q, err := query(c.r, append([]string{"limit", "cursor"}, activityFilterParams...)...)
	if err != nil {
		return err
	}
	f, err := activityFilter("", func(k string) (string, bool) {
		v, ok := q[k]
		if !ok {
			return "", false
		}
		return v[0], true
	})
	if err != nil {
		return err
	}
	list := filterKey(f)
	pg, err := s.page(q, c.orgID, list)
	if err != nil {
		return err
	}
	var events []activity.Event
	var next ddb.Position
	err = c.alongside(func() (err error) {
		events, next, err = s.Store.ListActivity(c.ctx(), c.orgID, f, pg)
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	return c.reply(http.StatusOK, listOf(viewActivities(events), s.next(c.orgID, list, next)))
}
