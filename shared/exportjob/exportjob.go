// Package exportjob is the export-builder stream consumer: each export
// job's INSERT is one file to build into the export bucket (package
// bucket) — an org's GDPR export or a person's own data as one gzip JSON,
// or an org's filtered activity as CSV or JSON Lines — after which the
// job is ready and its status route hands out a short-lived link.
//
// A build is idempotent: the file's key is the job's, so a redelivered
// record that finds the job running builds it again over the same key,
// and one that finds it ready or failed does nothing.
package exportjob

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/bucket"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/exports"
	"github.com/orgplane/orgplane/shared/tablestream"
)

// Name is the consumer's function name.
const Name = "build-export"

// MaxAttempts is how many builds a job gets before it is marked failed
// (the stream retries a failing record; see triggers).
const MaxAttempts = 3

// Builder builds export files.
type Builder struct {
	Store  *ddb.Store
	Bucket *bucket.Bucket
	Now    func() time.Time
}

// Handler builds the file of each export job inserted in the batch.
func (b *Builder) Handler() func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return tablestream.Each(ctx, Name, ev, func(ctx context.Context, rec events.DynamoDBEventRecord) error {
			img, err := tablestream.NewImage(rec)
			if err != nil {
				return err
			}
			j, err := ddb.DecodeExport(img)
			if err != nil {
				return err
			}
			return b.Build(ctx, j)
		}), nil
	}
}

// Build builds the job's file, then marks it ready. A job already settled
// is left alone; a build that keeps failing marks it failed.
func (b *Builder) Build(ctx context.Context, j exports.Job) error {
	j, err := b.Store.StartExport(ctx, j)
	if errors.Is(err, ddb.ErrExportSettled) || errors.Is(err, ddb.ErrNotFound) {
		return nil // built already, or gone with its org
	}
	if err != nil {
		return err
	}
	began := time.Now()
	body, records, err := b.file(ctx, j)
	if err == nil {
		err = b.Bucket.Put(ctx, j.Object(), j.ContentType(), body)
	}
	if err != nil {
		if j.Attempts < MaxAttempts {
			return err // the stream delivers the record again
		}
		slog.ErrorContext(ctx, "export: build failed for good", "export", j.ID, "kind", j.Kind, "attempts", j.Attempts, "err", err)
		return b.Store.FinishExport(ctx, j, exports.StatusFailed, 0, 0)
	}
	slog.InfoContext(ctx, "export: built", "export", j.ID, "kind", j.Kind, "records", records, "bytes", len(body),
		"took", time.Since(began).String())
	return b.Store.FinishExport(ctx, j, exports.StatusReady, int64(len(body)), records)
}

// file is the job's file and how many records it holds.
func (b *Builder) file(ctx context.Context, j exports.Job) ([]byte, int, error) {
	switch j.Kind {
	case exports.KindOrganization:
		return b.organization(ctx, j)
	case exports.KindUser:
		return b.user(ctx, j)
	case exports.KindActivity:
		return b.activity(ctx, j)
	}
	return nil, 0, fmt.Errorf("exportjob: unknown kind %q", j.Kind)
}

// header is every JSON export's manifest: what it is and what it leaves out.
type header struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	OrganizationID string    `json:"organization_id,omitempty"`
	UserID         string    `json:"user_id,omitempty"`
	GeneratedAt    time.Time `json:"generated_at"`
	FormatVersion  int       `json:"format_version"`
	Excluded       string    `json:"excluded"`
}

const excluded = "API key secrets and their hashes, invitation tokens and their hashes, request hashes, " +
	"uniqueness guards and internal markers; app environment values marked secret are masked"

func (b *Builder) header(j exports.Job) header {
	h := header{ID: j.ID, Kind: j.Kind, OrganizationID: j.OrganizationID, GeneratedAt: b.Now().UTC(), FormatVersion: 1, Excluded: excluded}
	if j.Kind == exports.KindUser {
		h.UserID = j.UserID
	}
	return h
}

// singleSections are one object (or null) in an org export; every other
// section is a list, empty when the org holds none.
var singleSections = map[string]bool{ddb.SectionOrganization: true, ddb.SectionWallet: true, ddb.SectionSubscription: true}

// sections is the order of an org export's sections.
var sections = []string{ddb.SectionOrganization, ddb.SectionRoles, ddb.SectionMembers, ddb.SectionInvitations,
	ddb.SectionProjects, ddb.SectionAPIKeys, ddb.SectionAPIKeySpend, ddb.SectionWallet, ddb.SectionLedger,
	ddb.SectionSubscription, ddb.SectionApps, ddb.SectionAppBilling, ddb.SectionAppLog, ddb.SectionActivity, ddb.SectionUsage, ddb.SectionExports}

func (b *Builder) organization(ctx context.Context, j exports.Job) ([]byte, int, error) {
	data, err := b.Store.ExportOrganization(ctx, j.OrganizationID)
	if err != nil {
		return nil, 0, err
	}
	doc := orderedDoc{{"manifest", b.header(j)}}
	records := 0
	for _, s := range sections {
		items := data[s]
		records += len(items)
		switch {
		case singleSections[s] && len(items) > 0:
			doc = append(doc, field{s, items[0]})
		case singleSections[s]:
			doc = append(doc, field{s, nil})
		case items == nil:
			doc = append(doc, field{s, []any{}})
		default:
			doc = append(doc, field{s, items})
		}
	}
	body, err := gzipJSON(doc)
	return body, records, err
}

// actorEvent is an event with its org, in a personal export.
type actorEvent struct {
	OrganizationID string `json:"organization_id"`
	activity.Event
}

func (b *Builder) user(ctx context.Context, j exports.Job) ([]byte, int, error) {
	u, err := b.Store.ExportUser(ctx, j.UserID)
	if err != nil {
		return nil, 0, err
	}
	events := []actorEvent{}
	for _, org := range u.OrganizationIDs {
		err := eachEvent(ctx, b.Store, org, activity.Filter{ActorID: j.UserID}, func(e activity.Event) error {
			events = append(events, actorEvent{OrganizationID: org, Event: e})
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	memberships := u.Memberships
	if memberships == nil {
		memberships = []map[string]any{}
	}
	doc := orderedDoc{{"manifest", b.header(j)}, {"profile", u.Profile}, {"memberships", memberships}, {"activity", events}}
	body, err := gzipJSON(doc)
	return body, 1 + len(memberships) + len(events), err
}

// activityPage is how many events one read of an activity export asks for.
const activityPage = 100

// eachEvent hands every event of the org that passes the filter to visit,
// newest first, paging to the end.
func eachEvent(ctx context.Context, s *ddb.Store, org string, f activity.Filter, visit func(activity.Event) error) error {
	page := ddb.Page{Limit: activityPage}
	for {
		evs, next, err := s.ListActivity(ctx, org, f, page)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if err := visit(e); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		page.After = next
	}
}

func (b *Builder) activity(ctx context.Context, j exports.Job) ([]byte, int, error) {
	var buf bytes.Buffer
	w := newEventWriter(&buf, j.Format)
	n := 0
	err := eachEvent(ctx, b.Store, j.OrganizationID, j.Filter, func(e activity.Event) error {
		n++
		return w.write(e)
	})
	if err == nil {
		err = w.close()
	}
	return buf.Bytes(), n, err
}

// field and orderedDoc write a JSON object with its keys in order.
type field struct {
	key   string
	value any
}

type orderedDoc []field

func (d orderedDoc) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range d {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		buf.Write(k)
		buf.WriteByte(':')
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func gzipJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
