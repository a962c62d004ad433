package ddb

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/exports"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
)

// Export errors.
var (
	// ErrExportInProgress: an export of the org (or person) is still
	// being built.
	ErrExportInProgress = errors.New("ddb: an export is already being built")
	// ErrExportSettled: the job is ready or failed; its build is over.
	ErrExportSettled = errors.New("ddb: the export is no longer being built")
)

// exportRecord is an export job. Its INSERT is what the export-builder
// consumer builds; the file itself is in the export bucket.
type exportRecord struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	Type   string `dynamodbav:"type"`
	ID     string `dynamodbav:"id"`
	Kind   string `dynamodbav:"kind"`
	OrgID  string `dynamodbav:"organization_id,omitempty"`
	UserID string `dynamodbav:"user_id"`
	Status string `dynamodbav:"status"`
	Format string `dynamodbav:"format"`
	// An activity export's filter.
	ActorID    string `dynamodbav:"filter_actor_id,omitempty"`
	ActorType  string `dynamodbav:"filter_actor_type,omitempty"`
	Action     string `dynamodbav:"filter_action,omitempty"`
	TargetID   string `dynamodbav:"filter_target_id,omitempty"`
	Since      string `dynamodbav:"filter_since,omitempty"`
	Until      string `dynamodbav:"filter_until,omitempty"`
	CreatedAt  string `dynamodbav:"created_at"`
	StartedAt  string `dynamodbav:"started_at,omitempty"`
	FinishedAt string `dynamodbav:"finished_at,omitempty"`
	Attempts   int    `dynamodbav:"attempts"`
	Size       int64  `dynamodbav:"size"`
	Records    int    `dynamodbav:"records"`
	TTL        int64  `dynamodbav:"ttl"`
}

// exportKey is where a job lives: under its org, or its person's user.
func exportKey(j exports.Job) map[string]types.AttributeValue {
	switch j.Kind {
	case exports.KindUser:
		return key(userPK(j.UserID), userExportSK(j.ID))
	case exports.KindActivity:
		return key(orgPK(j.OrganizationID), activityExportSK(j.ID))
	}
	return key(orgPK(j.OrganizationID), orgExportSK(j.ID))
}

// exportLockKey is the lock an export of this kind takes, if any: one
// GDPR export per org and one personal export per person at a time.
// Activity exports are small, filtered reads and take none.
func exportLockKey(j exports.Job) map[string]types.AttributeValue {
	switch j.Kind {
	case exports.KindUser:
		return key(userPK(j.UserID), exportLockSK)
	case exports.KindOrganization:
		return key(orgPK(j.OrganizationID), exportLockSK)
	}
	return nil
}

func newExportRecord(j exports.Job) exportRecord {
	k := exportKey(j)
	return exportRecord{PK: item(k).str("PK"), SK: item(k).str("SK"), Type: TypeExport, ID: j.ID, Kind: j.Kind,
		OrgID: j.OrganizationID, UserID: j.UserID, Status: j.Status, Format: j.Format,
		ActorID: j.Filter.ActorID, ActorType: j.Filter.ActorType, Action: j.Filter.Action, TargetID: j.Filter.TargetID,
		Since: stampOrEmpty(j.Filter.Since), Until: stampOrEmpty(j.Filter.Until),
		CreatedAt: stamp(j.CreatedAt), TTL: j.ExpiresAt().Unix()}
}

func (r exportRecord) job() exports.Job {
	return exports.Job{ID: r.ID, Kind: r.Kind, OrganizationID: r.OrgID, UserID: r.UserID, Status: r.Status, Format: r.Format,
		Filter: activity.Filter{ActorID: r.ActorID, ActorType: r.ActorType, Action: r.Action, TargetID: r.TargetID,
			Since: parseStamp(r.Since), Until: parseStamp(r.Until)},
		CreatedAt: parseStamp(r.CreatedAt), StartedAt: parseStamp(r.StartedAt), FinishedAt: parseStamp(r.FinishedAt),
		Attempts: r.Attempts, Size: r.Size, Records: r.Records}
}

// DecodeExport reads an export job from its item image (a stream record's).
func DecodeExport(img map[string]types.AttributeValue) (exports.Job, error) {
	var r exportRecord
	if err := unmarshalItem(img, &r); err != nil {
		return exports.Job{}, err
	}
	if r.Type != TypeExport || r.ID == "" {
		return exports.Job{}, fmt.Errorf("ddb: item of type %q is not an export job", r.Type)
	}
	return r.job(), nil
}

// exportLockRecord holds the export being built; a lock whose build went
// stale (exports.StaleAfter) may be taken by the next request.
type exportLockRecord struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Type     string `dynamodbav:"type"`
	ExportID string `dynamodbav:"export_id"`
	Until    string `dynamodbav:"until"` // a sortableStamp
	TTL      int64  `dynamodbav:"ttl"`
}

// RequestExport writes a pending export job; the export builder picks it
// up from the stream. An org export (GDPR or activity) is requested by a
// member of the org, in one transaction with its activity event; a GDPR
// export, like a personal one, also takes the lock that allows one build
// at a time (ErrExportInProgress while another holds it).
func (s *Store) RequestExport(ctx context.Context, kind string, format string, f activity.Filter, by orgs.Member) (exports.Job, error) {
	j := exports.Job{ID: ids.NewAt(ids.Export, s.now()), Kind: kind, OrganizationID: by.OrganizationID, UserID: by.UserID,
		Status: exports.StatusPending, Format: format, Filter: f, CreatedAt: s.now()}
	t := s.txn().actorHolds(by)
	t.record(memberEvent(by, activity.ExportRequested, exportTarget(j)))
	return j, s.requestExport(ctx, t, j)
}

// RequestUserExport writes a pending export of the person's own data.
func (s *Store) RequestUserExport(ctx context.Context, userID string) (exports.Job, error) {
	j := exports.Job{ID: ids.NewAt(ids.Export, s.now()), Kind: exports.KindUser, UserID: userID,
		Status: exports.StatusPending, Format: exports.FormatJSON, CreatedAt: s.now()}
	return j, s.requestExport(ctx, s.txn(), j)
}

func (s *Store) requestExport(ctx context.Context, t *txn, j exports.Job) error {
	t.put(marshal(newExportRecord(j)), notExists, nil)
	if lk := exportLockKey(j); lk != nil {
		lock := exportLockRecord{PK: item(lk).str("PK"), SK: exportLockSK, Type: TypeExportLock, ExportID: j.ID,
			Until: sortableStamp(j.CreatedAt.Add(exports.StaleAfter)), TTL: j.ExpiresAt().Unix()}
		t.put(marshal(lock), notExists.or(attrBefore("until", sortableStamp(j.CreatedAt))), ErrExportInProgress)
	}
	return t.run(ctx)
}

func exportTarget(j exports.Job) activity.Target {
	return activity.Target{Type: activity.TargetExport, ID: j.ID, Name: j.Kind}
}

// Export reads a job: an org's (kind organization or activity) or a
// person's (kind user, owner their user id).
func (s *Store) Export(ctx context.Context, kind, owner, id string) (exports.Job, error) {
	r := s.Reads()
	get := r.Export(kind, owner, id)
	if err := r.Run(ctx); err != nil {
		return exports.Job{}, err
	}
	return get()
}

// ListExports pages through an org's exports of a kind (organization or
// activity), newest first.
func (s *Store) ListExports(ctx context.Context, orgID, kind string, page Page) ([]exports.Job, Position, error) {
	prefix := orgExportSK("")
	if kind == exports.KindActivity {
		prefix = activityExportSK("")
	}
	return queryRecords(ctx, s, inPartition(orgPK(orgID), prefix).newestFirst(), page, exportRecord.job)
}

// StartExport marks a job running for a build attempt. A job already
// ready or failed (a redelivered record) is ErrExportSettled; a running
// one is taken over (its builder died before finishing).
func (s *Store) StartExport(ctx context.Context, j exports.Job) (exports.Job, error) {
	u := newUpdate().setValue("status", exports.StatusRunning).setValue("started_at", stamp(s.now())).add(1, "attempts")
	var rec exportRecord
	err := s.updateItem(ctx, exportKey(j), u, oneOf("status", []string{exports.StatusPending, exports.StatusRunning}),
		explained(func(old item) error {
			if old == nil {
				return ErrNotFound
			}
			return ErrExportSettled
		}), &rec)
	if err != nil {
		return exports.Job{}, err
	}
	return rec.job(), nil
}

// FinishExport settles a running job as ready (its file written) or
// failed, and frees the lock it holds.
func (s *Store) FinishExport(ctx context.Context, j exports.Job, status string, size int64, records int) error {
	u := newUpdate().setValue("status", status).setValue("finished_at", stamp(s.now())).
		setValue("size", size).setValue("records", records)
	if err := s.updateItem(ctx, exportKey(j), u, attrIs("status", exports.StatusRunning), ErrExportSettled, nil); err != nil {
		return err
	}
	if lk := exportLockKey(j); lk != nil {
		// Only this job's lock: a stale one may have been taken since.
		err := s.txn().del(lk, attrIs("export_id", j.ID), ErrExportSettled).run(ctx)
		if err != nil && !errors.Is(err, ErrExportSettled) {
			return err
		}
	}
	return nil
}
