package ddb

import (
	"context"
	"encoding/json"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
)

// An activity event is one item in the org's activity partition, written
// by the transaction whose change it records (txn.record), so a change
// that fails leaves no event and a change that lands leaves exactly one.
type activityRecord struct {
	PK         string           `dynamodbav:"PK"`
	SK         string           `dynamodbav:"SK"`
	Type       string           `dynamodbav:"type"`
	ID         string           `dynamodbav:"id"`
	OrgID      string           `dynamodbav:"org_id"`
	Action     string           `dynamodbav:"action"`
	OccurredAt string           `dynamodbav:"occurred_at"`
	ActorType  string           `dynamodbav:"actor_type"`
	ActorID    string           `dynamodbav:"actor_id"`
	ActorName  string           `dynamodbav:"actor_name"`
	Targets    []activityTarget `dynamodbav:"targets"`
	// TargetIDs repeats the targets' ids for the filter's contains().
	TargetIDs []string `dynamodbav:"target_ids,stringset,omitempty"`
	IP        string   `dynamodbav:"ip,omitempty"`
	UserAgent string   `dynamodbav:"user_agent,omitempty"`
	RequestID string   `dynamodbav:"request_id,omitempty"`
	// Changes keep their JSON values exactly as the API shows them.
	Changes string `dynamodbav:"changes,omitempty"`
	TTL     int64  `dynamodbav:"ttl"`
}

type activityTarget struct {
	Type string `dynamodbav:"type"`
	ID   string `dynamodbav:"id"`
	Name string `dynamodbav:"name,omitempty"`
}

func newActivityRecord(e activity.Event) activityRecord {
	r := activityRecord{PK: activityPK(e.OrganizationID), SK: activitySK(e.ID), Type: TypeActivity, ID: e.ID,
		OrgID: e.OrganizationID, Action: e.Action, OccurredAt: stamp(e.OccurredAt),
		ActorType: e.Actor.Type, ActorID: e.Actor.ID, ActorName: e.Actor.Name,
		IP: e.Context.IP, UserAgent: e.Context.UserAgent, RequestID: e.Context.RequestID,
		TTL: e.OccurredAt.Add(activity.Retention).Unix()}
	for _, t := range e.Targets {
		r.Targets = append(r.Targets, activityTarget(t))
		r.TargetIDs = append(r.TargetIDs, t.ID)
	}
	if len(e.Changes) > 0 {
		b, err := json.Marshal(e.Changes)
		if err != nil {
			panic("ddb: activity changes are not JSON: " + err.Error()) // values are the API's own
		}
		r.Changes = string(b)
	}
	return r
}

func (r activityRecord) event() activity.Event {
	e := activity.Event{ID: r.ID, OrganizationID: r.OrgID, Action: r.Action, OccurredAt: parseStamp(r.OccurredAt),
		Actor:   activity.Actor{Type: r.ActorType, ID: r.ActorID, Name: r.ActorName},
		Context: activity.Context{IP: r.IP, UserAgent: r.UserAgent, RequestID: r.RequestID}, Targets: []activity.Target{}}
	for _, t := range r.Targets {
		e.Targets = append(e.Targets, activity.Target(t))
	}
	if r.Changes != "" {
		_ = json.Unmarshal([]byte(r.Changes), &e.Changes) // written by newActivityRecord
	}
	return e
}

// actorOf is who acts as m: a person, or an API key standing in as a
// member (its UserID is the key's id).
func actorOf(m orgs.Member) activity.Actor {
	if ids.Valid(ids.APIKey, m.UserID) {
		return activity.Actor{Type: activity.ActorAPIKey, ID: m.UserID, Name: m.Name}
	}
	return activity.Person(m.UserID, m.Name, m.Email)
}

// actorOrSystem is by's actor, or the system job's when by is nil.
func actorOrSystem(by *orgs.Member, job string) activity.Actor {
	if by == nil {
		return activity.System(job)
	}
	return actorOf(*by)
}

func userActor(u orgs.User) activity.Actor { return activity.Person(u.ID, u.Name, u.Email) }

// event is an event of org by actor, to be completed and written by the
// transaction that records it.
func event(org string, by activity.Actor, action string, targets ...activity.Target) activity.Event {
	return activity.Event{OrganizationID: org, Actor: by, Action: action, Targets: targets}
}

// memberEvent is an event that m made in their org.
func memberEvent(m orgs.Member, action string, targets ...activity.Target) activity.Event {
	return event(m.OrganizationID, actorOf(m), action, targets...)
}

func orgTarget(o orgs.Organization) activity.Target {
	return activity.Target{Type: activity.TargetOrganization, ID: o.ID, Name: o.Name}
}

func memberTarget(m orgs.Member) activity.Target {
	return activity.Target{Type: activity.TargetMember, ID: m.UserID, Name: activity.Person(m.UserID, m.Name, m.Email).Name}
}

// record adds e to the transaction. Its id, time and request context are
// fixed when the transaction first runs, so a retried transaction writes
// the same event.
func (t *txn) record(e activity.Event) *txn {
	t.events = append(t.events, e)
	return t
}

// stampEvents completes the recorded events and adds their puts.
func (t *txn) stampEvents(ctx context.Context) {
	now := t.s.now()
	rc := activity.RequestFrom(ctx)
	for _, e := range t.events {
		e.ID, e.OccurredAt = ids.NewAt(ids.Event, now), now
		if e.Actor.Type != activity.ActorSystem {
			e.Context = rc
		}
		if e.Targets == nil {
			e.Targets = []activity.Target{}
		}
		t.put(marshal(newActivityRecord(e)), nil, nil)
	}
	t.events = nil
}

// activityPageCalls bounds the Query calls one page of a filtered activity
// list makes: a filter that matches rarely returns a short (even empty)
// page and a cursor rather than reading the whole partition at once.
const activityPageCalls = 4

// ListActivity pages through an org's events, newest first, within the
// retention window.
func (s *Store) ListActivity(ctx context.Context, orgID string, f activity.Filter, page Page) ([]activity.Event, Position, error) {
	since, until := f.Window(s.now())
	if !until.After(since) {
		return []activity.Event{}, nil, nil
	}
	q := inPartition(activityPK(orgID), "").
		sortBetween(activitySK(ids.Floor(ids.Event, since)), activitySK(ids.Floor(ids.Event, until))).
		newestFirst()
	q.calls = activityPageCalls
	if f.ActorID != "" {
		q.where(attrIs("actor_id", f.ActorID))
	}
	if f.ActorType != "" {
		q.where(attrIs("actor_type", f.ActorType))
	}
	if f.Action != "" {
		if p, prefix := f.ActionPrefix(); prefix {
			q.where(beginsWith("action", p))
		} else {
			q.where(attrIs("action", p))
		}
	}
	if f.TargetID != "" {
		q.where(contains("target_ids", f.TargetID))
	}
	return queryRecords(ctx, s, q, page, activityRecord.event)
}
