package ddb

import (
	"context"
	"hash/fnv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
)

// App instances live in the org partition (ORG#<org> / APP#<app>). While
// running, an instance also carries GSI2 keys RUNNING#<shard> / <last
// active>#<app>: the sparse index the idle job reads instead of a Scan.
// Stopping removes the keys, so the index holds running instances only and
// its oldest entries are exactly the idle candidates. The shard (a hash of
// the app id) spreads the index over RunningShards partitions, since every
// access rewrites the sort key and one index partition takes at most about
// 1,000 writes a second. Lifecycle log entries are append-only and go to
// their own partition, ORG#<org>#APPLOG, sorted by app and time.

// RunningShards is the number of GSI2 partitions of running instances. The
// idle job reads each; changing it strands instances in shards no longer read.
const RunningShards = 16

// AppLogRetention is how long lifecycle log entries are kept (their ttl).
const AppLogRetention = 400 * 24 * time.Hour

func shardOf(appID string) int {
	h := fnv.New32a()
	h.Write([]byte(appID))
	return int(h.Sum32() % RunningShards)
}

type appRecord struct {
	PK         string            `dynamodbav:"PK"`
	SK         string            `dynamodbav:"SK"`
	GSI2PK     string            `dynamodbav:"GSI2PK,omitempty"` // only while running
	GSI2SK     string            `dynamodbav:"GSI2SK,omitempty"`
	Type       string            `dynamodbav:"type"`
	ID         string            `dynamodbav:"id"`
	OrgID      string            `dynamodbav:"organization_id"`
	TemplateID string            `dynamodbav:"template_id"`
	Name       string            `dynamodbav:"name"`
	Status     string            `dynamodbav:"status"`
	StopReason string            `dynamodbav:"stop_reason,omitempty"`
	Env        map[string]string `dynamodbav:"env"`
	Visibility string            `dynamodbav:"visibility"`
	CreatedBy  string            `dynamodbav:"created_by"`
	CreatedAt  string            `dynamodbav:"created_at"`
	UpdatedAt  string            `dynamodbav:"updated_at"`
	StartedAt  string            `dynamodbav:"started_at"`
	StoppedAt  string            `dynamodbav:"stopped_at,omitempty"`
	// LastActiveAt is a sortableStamp, compared as read by the idle stop's
	// condition and embedded in GSI2SK.
	LastActiveAt string `dynamodbav:"last_active_at"`
	TrialEndsAt  string `dynamodbav:"trial_ends_at,omitempty"`
	Billing      string `dynamodbav:"billing,omitempty"`
	Version      int64  `dynamodbav:"version"`
}

func newAppRecord(i apps.Instance) appRecord {
	r := appRecord{PK: orgPK(i.OrganizationID), SK: appSK(i.ID), Type: TypeApp,
		ID: i.ID, OrgID: i.OrganizationID, TemplateID: i.TemplateID, Name: i.Name,
		Status: i.Status, StopReason: i.StopReason, Env: i.Env, Visibility: i.Access.Visibility,
		CreatedBy: i.CreatedBy, CreatedAt: stamp(i.CreatedAt), UpdatedAt: stamp(i.UpdatedAt),
		StartedAt: stamp(i.StartedAt), LastActiveAt: sortableStamp(i.LastActiveAt), Billing: i.Billing, Version: i.Version}
	if r.Env == nil {
		r.Env = map[string]string{}
	}
	if !i.StoppedAt.IsZero() {
		r.StoppedAt = stamp(i.StoppedAt)
	}
	if !i.TrialEndsAt.IsZero() {
		r.TrialEndsAt = stamp(i.TrialEndsAt)
	}
	if i.Status == apps.Running {
		r.GSI2PK, r.GSI2SK = runningPK(shardOf(i.ID)), runningSK(r.LastActiveAt, i.ID)
	}
	return r
}

func (r appRecord) instance() apps.Instance {
	i := apps.Instance{ID: r.ID, OrganizationID: r.OrgID, TemplateID: r.TemplateID, Name: r.Name,
		Status: r.Status, StopReason: r.StopReason, Env: r.Env, Access: apps.Access{Visibility: r.Visibility},
		CreatedBy: r.CreatedBy, CreatedAt: parseStamp(r.CreatedAt), UpdatedAt: parseStamp(r.UpdatedAt),
		StartedAt: parseStamp(r.StartedAt), StoppedAt: parseStamp(r.StoppedAt),
		LastActiveAt: parseStamp(r.LastActiveAt), TrialEndsAt: parseStamp(r.TrialEndsAt), Billing: r.Billing, Version: r.Version}
	if i.Env == nil {
		i.Env = map[string]string{}
	}
	return i
}

type appEventRecord struct {
	PK        string   `dynamodbav:"PK"`
	SK        string   `dynamodbav:"SK"`
	Type      string   `dynamodbav:"type"`
	ID        string   `dynamodbav:"id"`
	OrgID     string   `dynamodbav:"organization_id"`
	AppID     string   `dynamodbav:"app_id"`
	Kind      string   `dynamodbav:"event"`
	Reason    string   `dynamodbav:"reason,omitempty"`
	Changes   []string `dynamodbav:"changes,omitempty"`
	ActorType string   `dynamodbav:"actor_type"`
	ActorID   string   `dynamodbav:"actor_id"`
	At        string   `dynamodbav:"created_at"`
	TTL       int64    `dynamodbav:"ttl"`
}

// logApp adds the put of one lifecycle log entry, and the org activity
// event that records the same change, to the transaction that makes it.
// The app's log names the fields that changed; the activity event also
// says from what to what, except for env values, which may be secrets.
func (t *txn) logApp(i apps.Instance, kind, reason string, fields []string, changes activity.Changes, actor apps.Actor, at time.Time) *txn {
	ulid := ids.ULID(at)
	if kind == apps.StoppedEvent {
		changes = activity.Changes{}.Note("status", apps.Running, apps.Stopped).Note("stop_reason", nil, reason)
	}
	return t.put(marshal(appEventRecord{PK: appLogPK(i.OrganizationID), SK: appLogSK(i.ID, at, ulid), Type: TypeAppEvent,
		ID: ids.Event + "_" + strings.ToLower(ulid), OrgID: i.OrganizationID, AppID: i.ID, Kind: kind, Reason: reason,
		Changes: fields, ActorType: actor.Type, ActorID: actor.ID, At: stamp(at), TTL: at.Add(AppLogRetention).Unix()}), nil, nil).
		record(event(i.OrganizationID, appActivityActor(actor), appAction(kind, reason), appTarget(i)).With(changes))
}

// appAction is the activity action of an app log entry.
func appAction(kind, reason string) string {
	switch {
	case kind == apps.Installed:
		return activity.AppInstalled
	case kind == apps.SettingsChanged:
		return activity.AppUpdated
	case kind == apps.StoppedEvent:
		return activity.AppStopped
	case kind == apps.Restarted, reason == apps.StartedByRestart:
		return activity.AppRestarted
	case reason == apps.StartedByAccess:
		return activity.AppWoken
	}
	return activity.AppStarted
}

// appActivityActor is an app log actor as the activity log shows it.
func appActivityActor(a apps.Actor) activity.Actor {
	switch a.Type {
	case apps.ActorSchedule:
		return activity.System(a.ID)
	case apps.ActorAPIKey:
		return activity.Actor{Type: activity.ActorAPIKey, ID: a.ID, Name: a.Name}
	}
	return activity.Person(a.ID, a.Name, "")
}

// appActorOf is m as an app log actor.
func appActorOf(m orgs.Member) apps.Actor {
	a := actorOf(m)
	return apps.NamedActor(m.UserID, a.Name)
}

func appTarget(i apps.Instance) activity.Target {
	return activity.Target{Type: activity.TargetApp, ID: i.ID, Name: i.Name}
}

func appKey(org, app string) map[string]types.AttributeValue { return key(orgPK(org), appSK(app)) }

func (r appEventRecord) event() apps.Event {
	return apps.Event{ID: r.ID, OrganizationID: r.OrgID, AppID: r.AppID, Kind: r.Kind, Reason: r.Reason,
		Changes: r.Changes, Actor: apps.Actor{Type: r.ActorType, ID: r.ActorID}, At: parseStamp(r.At)}
}

// NewApp is what installing an app takes.
type NewApp struct {
	By         orgs.Member // the installing member, held in their role; the org is theirs
	TemplateID string
	Name       string
	Env        map[string]string // validated, defaults applied
	Visibility string
	TrialDays  int
	// Billing is how the install pays (billing.Monthly, …) and Price what
	// that costs; a price of 0 installs it free. Period sizes the trial.
	Billing string
	Price   int64
	Period  billing.Period
}

// InstallApp adds a running instance. The org's app counter moves in the
// same transaction, conditioned on the plan's limit, so concurrent
// installs against room for L leave exactly L; the installed log entry is
// written with it.
func (s *Store) InstallApp(ctx context.Context, in NewApp) (apps.Instance, error) {
	now := s.now()
	orgID, actor := in.By.OrganizationID, appActorOf(in.By)
	i := apps.Instance{ID: ids.New(ids.App), OrganizationID: orgID, TemplateID: in.TemplateID,
		Name: strings.TrimSpace(in.Name), Status: apps.Running, Env: in.Env, Access: apps.Access{Visibility: in.Visibility},
		CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now, StartedAt: now, LastActiveAt: now, Version: 1}
	if in.TrialDays > 0 {
		i.TrialEndsAt = in.Period.TrialEnd(now, in.TrialDays)
	}
	i.Billing = in.Billing
	t := s.txn().
		update(orgKey(orgID), s.counters(counts{apps: 1}), orgActive.and(roomFor(appRoom)), orgGoneOr(QuotaError{appRoom.resource})).
		put(marshal(newAppRecord(i)), notExists, nil).
		logApp(i, apps.Installed, "", nil, nil, actor, now).
		actorHolds(in.By)
	if in.Price > 0 {
		t.put(marshal(newAppBilling(i, in.Billing, in.Price, now)), notExists, nil)
	}
	err := t.run(ctx)
	if err != nil {
		return apps.Instance{}, err
	}
	if i.Env == nil {
		i.Env = map[string]string{}
	}
	return i, nil
}

// GetApp reads one instance.
func (s *Store) GetApp(ctx context.Context, orgID, appID string) (apps.Instance, error) {
	r := s.Reads()
	get := r.App(orgID, appID)
	if err := r.Run(ctx); err != nil {
		return apps.Instance{}, err
	}
	return get()
}

// ListApps pages through an org's instances in install order, optionally
// only those with a status.
func (s *Store) ListApps(ctx context.Context, orgID, status string, page Page) ([]apps.Instance, Position, error) {
	q := inPartition(orgPK(orgID), appSK(""))
	if status != "" {
		q.where(attrIs("status", status))
	}
	return queryRecords(ctx, s, q, page, appRecord.instance)
}

// AppPatch changes an instance's settings. Changes names what changed
// (for the log); an empty patch writes nothing.
type AppPatch struct {
	Name       *string
	Env        map[string]string // the whole new env; nil leaves it
	Visibility *string
	Changes    []string
}

// UpdateApp applies a settings patch, conditional on the version read (and
// on If-Match when given, passed as ifVersion), with a settings_changed log
// entry in the same transaction. Traffic does not move the version, so
// If-Match fails only on a real concurrent change.
func (s *Store) UpdateApp(ctx context.Context, by orgs.Member, current apps.Instance, p AppPatch, ifVersion int64) (apps.Instance, error) {
	if ifVersion > 0 && ifVersion != current.Version {
		return apps.Instance{}, ErrVersionConflict
	}
	if len(p.Changes) == 0 {
		return current, nil
	}
	now := s.now()
	next := current
	u := newUpdate()
	if p.Name != nil {
		next.Name = strings.TrimSpace(*p.Name)
		u.setValue("name", next.Name)
	}
	if p.Env != nil {
		next.Env = p.Env
		u.setValue("env", p.Env)
	}
	if p.Visibility != nil {
		next.Access.Visibility = *p.Visibility
		u.setValue("visibility", *p.Visibility)
	}
	next.UpdatedAt, next.Version = now, current.Version+1
	u.setValue("updated_at", stamp(now)).bump()
	err := s.txn().
		update(appKey(current.OrganizationID, current.ID), u, versionIs(current.Version), goneOrChanged).
		logApp(next, apps.SettingsChanged, "", p.Changes, appChanges(current, next, p.Changes), appActorOf(by), now).
		actorHolds(by).
		run(ctx)
	if err != nil {
		return apps.Instance{}, err
	}
	return next, nil
}

// appChanges are the moves of the fields a patch changed (named as the
// app log names them); an env value is never recorded, only that it moved.
func appChanges(cur, next apps.Instance, fields []string) activity.Changes {
	c := activity.Changes{}
	for _, f := range fields {
		switch f {
		case "name":
			c.Note(f, cur.Name, next.Name)
		case "access.visibility":
			c.Note(f, cur.Access.Visibility, next.Access.Visibility)
		default:
			c[f] = activity.Change{}
		}
	}
	return c
}

// UninstallApp removes an instance and gives its quota room back in the
// same transaction. Its log entries stay until their ttl or the org's
// deletion; they are unreachable once the instance is gone. by is held in
// their role.
func (s *Store) UninstallApp(ctx context.Context, by orgs.Member, current apps.Instance) error {
	return s.txn().
		del(appKey(current.OrganizationID, current.ID), exists, ErrNotFound).
		del(appBillingKey(current.OrganizationID, current.ID), nil, nil).
		update(orgKey(current.OrganizationID), s.counters(counts{apps: -1}), exists, ErrNotFound).
		actorHolds(by).
		record(memberEvent(by, activity.AppUninstalled, appTarget(current))).
		run(ctx)
}

// ListAppEvents pages through an instance's lifecycle log, newest first.
func (s *Store) ListAppEvents(ctx context.Context, orgID, appID string, page Page) ([]apps.Event, Position, error) {
	prefix := appLogPrefix(appID)
	q := inPartition(appLogPK(orgID), prefix).newestFirst()
	if len(page.After) > 0 && !strings.HasPrefix(page.After["SK"], prefix) {
		return nil, nil, ErrBadPosition
	}
	return queryRecords(ctx, s, q, page, appEventRecord.event)
}
