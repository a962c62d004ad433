package ddb

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
	"github.com/orgplane/orgplane/shared/table"
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

func runningPK(shard int) string { return fmt.Sprintf("RUNNING#%02d", shard) }

func shardOf(appID string) int {
	h := fnv.New32a()
	h.Write([]byte(appID))
	return int(h.Sum32() % RunningShards)
}

func runningSK(lastActive, appID string) string { return lastActive + "#" + appID }

func appLogSK(app string, at time.Time, ulid string) string {
	return app + "#" + sortableStamp(at) + "#" + ulid
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
	Version      int64  `dynamodbav:"version"`
}

func newAppRecord(i apps.Instance) appRecord {
	r := appRecord{PK: orgPK(i.OrganizationID), SK: appSK(i.ID), Type: TypeApp,
		ID: i.ID, OrgID: i.OrganizationID, TemplateID: i.TemplateID, Name: i.Name,
		Status: i.Status, StopReason: i.StopReason, Env: i.Env, Visibility: i.Access.Visibility,
		CreatedBy: i.CreatedBy, CreatedAt: stamp(i.CreatedAt), UpdatedAt: stamp(i.UpdatedAt),
		StartedAt: stamp(i.StartedAt), LastActiveAt: sortableStamp(i.LastActiveAt), Version: i.Version}
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
		LastActiveAt: parseStamp(r.LastActiveAt), TrialEndsAt: parseStamp(r.TrialEndsAt), Version: r.Version}
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

// logEntry is the put of one lifecycle log entry, for the transaction
// that makes the change it records.
func (s *Store) logEntry(i apps.Instance, kind, reason string, changes []string, actor apps.Actor, at time.Time) types.TransactWriteItem {
	ulid := ids.ULID(at)
	return s.put(marshal(appEventRecord{PK: appLogPK(i.OrganizationID), SK: appLogSK(i.ID, at, ulid), Type: TypeAppEvent,
		ID: ids.Event + "_" + strings.ToLower(ulid), OrgID: i.OrganizationID, AppID: i.ID, Kind: kind, Reason: reason,
		Changes: changes, ActorType: actor.Type, ActorID: actor.ID, At: stamp(at), TTL: at.Add(AppLogRetention).Unix()}), "", nil, nil)
}

func (r appEventRecord) event() apps.Event {
	return apps.Event{ID: r.ID, OrganizationID: r.OrgID, AppID: r.AppID, Kind: r.Kind, Reason: r.Reason,
		Changes: r.Changes, Actor: apps.Actor{Type: r.ActorType, ID: r.ActorID}, At: parseStamp(r.At)}
}

// NewApp is what installing an app takes.
type NewApp struct {
	OrganizationID string
	TemplateID     string
	Name           string
	Env            map[string]string // validated, defaults applied
	Visibility     string
	TrialDays      int
	Actor          apps.Actor
}

// InstallApp adds a running instance. The org's app counter moves in the
// same transaction, conditioned on the plan's limit, so concurrent
// installs against room for L leave exactly L; the installed log entry is
// written with it.
func (s *Store) InstallApp(ctx context.Context, in NewApp) (apps.Instance, error) {
	now := s.now()
	i := apps.Instance{ID: ids.New(ids.App), OrganizationID: in.OrganizationID, TemplateID: in.TemplateID,
		Name: strings.TrimSpace(in.Name), Status: apps.Running, Env: in.Env, Access: apps.Access{Visibility: in.Visibility},
		CreatedBy: in.Actor.ID, CreatedAt: now, UpdatedAt: now, StartedAt: now, LastActiveAt: now, Version: 1}
	if in.TrialDays > 0 {
		i.TrialEndsAt = now.AddDate(0, 0, in.TrialDays)
	}
	err := s.transact(ctx, []types.TransactWriteItem{
		s.update(key(orgPK(in.OrganizationID), orgSK), "ADD app_count :one SET updated_at = :now",
			"#st = :active AND (attribute_not_exists(app_limit) OR app_count < app_limit)",
			map[string]string{"#st": "status"},
			map[string]types.AttributeValue{":one": num(1), ":now": str(stamp(now)), ":active": str(orgs.OrgActive)}),
		s.put(marshal(newAppRecord(i)), "attribute_not_exists(PK)", nil, nil),
		s.logEntry(i, apps.Installed, "", nil, in.Actor, now),
	})
	var f *txFailure
	if errors.As(err, &f) && f.Index == 0 {
		if f.Item == nil || (&oldItem{item: f.Item}).attr("status") != orgs.OrgActive {
			return apps.Instance{}, ErrNotFound
		}
		return apps.Instance{}, quotaExceeded("apps")
	}
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
	var rec appRecord
	if err := s.get(ctx, orgPK(orgID), appSK(appID), &rec); err != nil {
		return apps.Instance{}, err
	}
	return rec.instance(), nil
}

// ListApps pages through an org's instances in install order, optionally
// only those with a status.
func (s *Store) ListApps(ctx context.Context, orgID, status string, page Page) ([]apps.Instance, Position, error) {
	in := &dynamodb.QueryInput{ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(orgPK(orgID)), ":prefix": str(appSK("")),
		}}
	if status != "" {
		in.FilterExpression = aws.String("#st = :status")
		in.ExpressionAttributeNames = map[string]string{"#st": "status"}
		in.ExpressionAttributeValues[":status"] = str(status)
	}
	return queryRecords(ctx, s, in, page, appRecord.instance)
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
func (s *Store) UpdateApp(ctx context.Context, current apps.Instance, p AppPatch, ifVersion int64, actor apps.Actor) (apps.Instance, error) {
	if ifVersion > 0 && ifVersion != current.Version {
		return apps.Instance{}, problem.New(problem.VersionConflict, "The app changed since version %d.", ifVersion)
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
	u.setValue("updated_at", stamp(now))
	u.add("version", 1)
	u.values[":v"] = num(current.Version)
	err := s.transact(ctx, []types.TransactWriteItem{
		s.update(key(orgPK(current.OrganizationID), appSK(current.ID)), u.String(), "version = :v", u.names, u.values),
		s.logEntry(next, apps.SettingsChanged, "", p.Changes, actor, now),
	})
	if failedAt(err, 0) {
		return apps.Instance{}, goneOrChanged(err, "App")
	}
	if err != nil {
		return apps.Instance{}, err
	}
	return next, nil
}

// UninstallApp removes an instance and gives its quota room back in the
// same transaction. Its log entries stay until their ttl or the org's
// deletion; they are unreachable once the instance is gone.
func (s *Store) UninstallApp(ctx context.Context, current apps.Instance) error {
	err := s.transact(ctx, []types.TransactWriteItem{
		s.del(key(orgPK(current.OrganizationID), appSK(current.ID)), "attribute_exists(PK)", nil, nil),
		s.update(key(orgPK(current.OrganizationID), orgSK), "ADD app_count :minus", "attribute_exists(PK)", nil,
			map[string]types.AttributeValue{":minus": num(-1)}),
	})
	if failedAt(err, 0) {
		return ErrNotFound
	}
	return err
}

// Lifecycle changes. Each is computed on the instance as read, written
// with a condition on its version (traffic does not move it) together with
// its log entry, and retried from a fresh read when a concurrent change
// wins, a few times.

const lifecycleAttempts = 5

// errBusy is the answer when an instance kept changing under a lifecycle
// change; the client may simply retry.
var errBusy = problem.New(problem.Conflict, "The app is changing right now; try again.")

// StopApp stops a running instance by hand (stop_reason manual). An
// instance already stopped is returned as it is.
func (s *Store) StopApp(ctx context.Context, orgID, appID string, actor apps.Actor) (apps.Instance, error) {
	for range lifecycleAttempts {
		cur, err := s.GetApp(ctx, orgID, appID)
		if err != nil || cur.Status == apps.Stopped {
			return cur, err
		}
		now := s.now()
		next := stopped(cur, apps.StopManual, now)
		u := stopExpr(apps.StopManual, now)
		u.values[":v"] = num(cur.Version)
		err = s.transact(ctx, []types.TransactWriteItem{
			s.update(key(orgPK(orgID), appSK(appID)), u.String(), "version = :v", u.names, u.values),
			s.logEntry(cur, apps.StoppedEvent, apps.StopManual, nil, actor, now),
		})
		if !failedAt(err, 0) {
			return next, err
		}
	}
	return apps.Instance{}, errBusy
}

// RestartApp restarts a running instance (restarted) or starts a stopped
// one (started, reason restart). Either way it counts as activity.
func (s *Store) RestartApp(ctx context.Context, orgID, appID string, actor apps.Actor) (apps.Instance, error) {
	for range lifecycleAttempts {
		cur, err := s.GetApp(ctx, orgID, appID)
		if err != nil {
			return cur, err
		}
		kind, reason := apps.Restarted, ""
		if cur.Status == apps.Stopped {
			kind, reason = apps.Started, apps.StartedByRestart
		}
		next, err := s.start(ctx, cur, "version = :v", nil, nil, kind, reason, actor)
		if !failedAt(err, 0) {
			return next, err
		}
	}
	return apps.Instance{}, errBusy
}

// ErrPrivateApp is the answer to a member without apps:manage using a
// private instance.
var ErrPrivateApp = problem.New(problem.Forbidden, "This app is private: using it takes the permission apps:manage.")

// AccessApp records traffic to an instance: last_active_at moves to now
// (and the instance's GSI2 sort key with it), in one conditional
// UpdateItem while it runs. A stopped instance is started, with its env and
// settings as they were, and a started log entry. mayUsePrivate is whether
// the caller may use private instances.
//
// Against the idle job: the job stops an instance only if last_active_at
// is still the value it read, so an access that lands first makes the
// stop fail, and an access that lands after a stop starts the instance
// again. Either way the instance runs when AccessApp returns.
func (s *Store) AccessApp(ctx context.Context, orgID, appID string, actor apps.Actor, mayUsePrivate bool) (apps.Instance, error) {
	for attempt := 0; attempt < 3*lifecycleAttempts; attempt++ {
		now := s.now()
		la := sortableStamp(now)
		u := newUpdate()
		u.setValue("last_active_at", la)
		u.setValue(table.GSI2SK, runningSK(la, appID))
		cond := "#st = :running"
		u.names["#st"], u.values[":running"] = "status", str(apps.Running)
		if !mayUsePrivate {
			cond += " AND #vis <> :private"
			u.names["#vis"], u.values[":private"] = "visibility", str(apps.Private)
		}
		var rec appRecord
		err := s.updateItem(ctx, key(orgPK(orgID), appSK(appID)), u, cond, &rec)
		if err == nil {
			return rec.instance(), nil
		}
		if txConflict(err) { // a stop of this instance is in flight
			backoff(attempt)
			continue
		}
		var old *oldItem
		if !errors.As(err, &old) {
			return apps.Instance{}, err
		}
		if old.item == nil {
			return apps.Instance{}, ErrNotFound
		}
		var was appRecord
		if err := attributevalue.UnmarshalMap(old.item, &was); err != nil {
			return apps.Instance{}, err
		}
		if !mayUsePrivate && was.Visibility == apps.Private {
			return apps.Instance{}, ErrPrivateApp
		}
		if was.Status != apps.Stopped {
			continue // it started meanwhile: record the access on it
		}
		next, err := s.start(ctx, was.instance(), "version = :v AND #st = :stopped", map[string]string{"#st": "status"},
			map[string]types.AttributeValue{":stopped": str(apps.Stopped)}, apps.Started, apps.StartedByAccess, actor)
		if !failedAt(err, 0) {
			return next, err
		}
	}
	return apps.Instance{}, errBusy
}

// start writes cur running (started_at and last_active_at now, GSI2 keys
// back) on cond, which may use :v (cur's version) and the names and values
// given, with a log entry of kind.
func (s *Store) start(ctx context.Context, cur apps.Instance, cond string, names map[string]string, values map[string]types.AttributeValue, kind, reason string, actor apps.Actor) (apps.Instance, error) {
	now := s.now()
	next := started(cur, now)
	u := startExpr(cur.ID, now)
	u.values[":v"] = num(cur.Version)
	maps.Copy(u.names, names)
	maps.Copy(u.values, values)
	err := s.transact(ctx, []types.TransactWriteItem{
		s.update(key(orgPK(cur.OrganizationID), appSK(cur.ID)), u.String(), cond, u.names, u.values),
		s.logEntry(cur, kind, reason, nil, actor, now),
	})
	return next, err
}

// started and stopped are the lifecycle transitions on the domain value;
// startExpr and stopExpr write the same change to the item.
func started(i apps.Instance, now time.Time) apps.Instance {
	i.Status, i.StopReason, i.StoppedAt = apps.Running, "", time.Time{}
	i.StartedAt, i.LastActiveAt, i.UpdatedAt = now, now, now
	i.Version++
	return i
}

func stopped(i apps.Instance, reason string, now time.Time) apps.Instance {
	i.Status, i.StopReason, i.StoppedAt, i.UpdatedAt = apps.Stopped, reason, now, now
	i.Version++
	return i
}

func startExpr(appID string, now time.Time) *updateExpr {
	la := sortableStamp(now)
	u := newUpdate()
	u.setValue("status", apps.Running)
	u.setValue("started_at", stamp(now))
	u.setValue("last_active_at", la)
	u.setValue("updated_at", stamp(now))
	u.setValue(table.GSI2PK, runningPK(shardOf(appID)))
	u.setValue(table.GSI2SK, runningSK(la, appID))
	remove(u, "stop_reason", "stopped_at")
	u.add("version", 1)
	return u
}

func stopExpr(reason string, now time.Time) *updateExpr {
	u := newUpdate()
	u.setValue("status", apps.Stopped)
	u.setValue("stop_reason", reason)
	u.setValue("stopped_at", stamp(now))
	u.setValue("updated_at", stamp(now))
	remove(u, table.GSI2PK, table.GSI2SK) // out of the running index
	u.add("version", 1)
	return u
}

func remove(u *updateExpr, attrs ...string) {
	empty := ""
	for _, a := range attrs {
		u.setOrRemove(a, &empty)
	}
}

func txConflict(err error) bool {
	var e *types.TransactionConflictException
	return errors.As(err, &e)
}

// ListAppEvents pages through an instance's lifecycle log, newest first.
func (s *Store) ListAppEvents(ctx context.Context, orgID, appID string, page Page) ([]apps.Event, Position, error) {
	in := &dynamodb.QueryInput{ConsistentRead: aws.Bool(true), ScanIndexForward: aws.Bool(false),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(appLogPK(orgID)), ":prefix": str(appID + "#"),
		}}
	if len(page.After) > 0 && !strings.HasPrefix(page.After["SK"], appID+"#") {
		return nil, nil, ErrBadPosition
	}
	return queryRecords(ctx, s, in, page, appEventRecord.event)
}

// IdleApp is a running instance that the idle index shows last active
// before a cutoff. The index is eventually consistent, so it is a
// candidate only: StopIdleApps re-checks it on the item.
type IdleApp struct {
	OrganizationID string
	ID             string
	LastActiveAt   time.Time
	lastActive     string // as stored, for the stop's condition
}

// IdleApps pages through the running instances of one shard whose last
// access is strictly before cutoff, oldest first: a Query on GSI2, never a
// Scan, reading only the attributes the stop needs.
func (s *Store) IdleApps(ctx context.Context, shard int, cutoff time.Time, page Page) ([]IdleApp, Position, error) {
	in := &dynamodb.QueryInput{IndexName: aws.String(table.GSI2),
		KeyConditionExpression:   aws.String("GSI2PK = :pk AND GSI2SK < :cutoff"),
		ProjectionExpression:     aws.String("PK, SK, GSI2PK, GSI2SK, #org, #id, #la"),
		ExpressionAttributeNames: map[string]string{"#org": "organization_id", "#id": "id", "#la": "last_active_at"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(runningPK(shard)), ":cutoff": str(sortableStamp(cutoff)),
		}}
	var out []IdleApp
	next, err := s.queryPage(ctx, in, page, func(item map[string]types.AttributeValue) error {
		var rec appRecord
		if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
			return err
		}
		out = append(out, IdleApp{OrganizationID: rec.OrgID, ID: rec.ID,
			LastActiveAt: parseStamp(rec.LastActiveAt), lastActive: rec.LastActiveAt})
		return nil
	})
	return out, next, err
}

// MaxIdleStopsPerTransaction is how many instances one TransactWriteItems
// stops: two actions each (the stop and its log entry), 100 actions in all.
const MaxIdleStopsPerTransaction = 50

// StopIdleApps stops idle candidates (stop_reason idle), each on condition
// that it is still running and last active exactly when the index said, and
// writes each one's stopped log entry with actor, MaxIdleStopsPerTransaction
// at a time. An instance accessed, stopped, restarted or uninstalled since
// the index was read fails its condition and is skipped: the concurrent
// change wins, and the rest of its transaction is sent again without it.
// It returns how many instances it stopped and how many it skipped.
func (s *Store) StopIdleApps(ctx context.Context, candidates []IdleApp, actor apps.Actor) (done, skipped int, err error) {
	for batch := range slices.Chunk(candidates, MaxIdleStopsPerTransaction) {
		n, k, err := s.stopIdleBatch(ctx, batch, actor)
		done, skipped = done+n, skipped+k
		if err != nil {
			return done, skipped, err
		}
	}
	return done, skipped, nil
}

func (s *Store) stopIdleBatch(ctx context.Context, pending []IdleApp, actor apps.Actor) (done, skipped int, err error) {
	for attempt := 0; len(pending) > 0; attempt++ {
		now := s.now()
		items := make([]types.TransactWriteItem, 0, 2*len(pending))
		for _, a := range pending {
			u := stopExpr(apps.StopIdle, now)
			u.names["#st"] = "status"
			u.values[":running"], u.values[":seen"] = str(apps.Running), str(a.lastActive)
			items = append(items,
				s.update(key(orgPK(a.OrganizationID), appSK(a.ID)), u.String(), "#st = :running AND last_active_at = :seen", u.names, u.values),
				s.logEntry(apps.Instance{ID: a.ID, OrganizationID: a.OrganizationID}, apps.StoppedEvent, apps.StopIdle, nil, actor, now))
		}
		_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return done + len(pending), skipped, nil
		}
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) || len(cancelled.CancellationReasons) != len(items) {
			return done, skipped, err
		}
		keep, busy := pending[:0:0], false
		for i, a := range pending {
			switch code := aws.ToString(cancelled.CancellationReasons[2*i].Code); code {
			case "ConditionalCheckFailed":
				skipped++
			case "None", "":
				keep = append(keep, a)
			case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
				keep, busy = append(keep, a), true
			default:
				return done, skipped, fmt.Errorf("ddb: idle stop of %s: %s: %w", a.ID, code, err)
			}
		}
		if busy {
			if attempt >= 12 {
				return done, skipped, fmt.Errorf("ddb: idle stops kept conflicting: %w", err)
			}
			backoff(attempt)
		}
		pending = keep
	}
	return done, skipped, nil
}

// PutApps writes instances exactly as given, 25 per BatchWriteItem, with no
// condition, no counter and no log: a bulk load for fixtures and benchmarks
// (the idle job over 10,000 instances), never a path a request takes.
func (s *Store) PutApps(ctx context.Context, instances []apps.Instance) error {
	reqs := make([]types.WriteRequest, len(instances))
	for i, in := range instances {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: marshal(newAppRecord(in))}}
	}
	return s.batchWrite(ctx, reqs)
}
