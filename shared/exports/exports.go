// Package exports owns export jobs: an org's GDPR export (everything it
// holds, one gzip JSON), a person's own data across their orgs (GDPR Art.
// 15), and an activity export (the filtered audit trail as CSV or JSON
// Lines). A request writes a pending job; a stream consumer builds the
// file into the export bucket; the job's status route hands out a
// short-lived link to it. Files and jobs are kept for Retention.
package exports

import (
	"time"

	"github.com/orgplane/orgplane/shared/activity"
)

// What an export holds.
const (
	KindOrganization = "organization" // everything the org holds
	KindUser         = "user"         // a person's own data across their orgs
	KindActivity     = "activity"     // an org's activity, filtered
)

// A job's status.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusReady   = "ready"
	StatusFailed  = "failed"
	StatusExpired = "expired"
)

// File formats.
const (
	FormatJSON  = "json" // gzip JSON, the GDPR exports
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

const (
	// Retention is how long a job and its file are kept: the table's TTL
	// and the bucket's lifecycle rule remove them; reads say expired from
	// then on even before they do.
	Retention = 7 * 24 * time.Hour
	// LinkTTL is how long a download link works.
	LinkTTL = 15 * time.Minute
	// StaleAfter bounds a build: a job still pending or running this long
	// after it was requested has failed (its builder died after its
	// retries), and no longer blocks a new export.
	StaleAfter = time.Hour
)

// Prefix is the part of the bucket export files live under: the only
// part the export writer may write and the link routes may read.
const Prefix = "exports/"

// Job is one export.
type Job struct {
	ID   string
	Kind string
	// OrganizationID is the org exported (organization, activity); empty
	// for a person's own export.
	OrganizationID string
	// UserID is who asked, and for KindUser whose data it is.
	UserID string
	Status string
	Format string
	// Filter selects the events of an activity export.
	Filter     activity.Filter
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	// Attempts counts the builds started.
	Attempts int
	// Size is the file's size in bytes, Records how many records it holds,
	// once ready.
	Size    int64
	Records int
}

// StatusAt is the status a reader sees at now: expired after Retention,
// failed once a build has been stale for StaleAfter.
func (j Job) StatusAt(now time.Time) string {
	switch {
	case !now.Before(j.ExpiresAt()):
		return StatusExpired
	case (j.Status == StatusPending || j.Status == StatusRunning) && !now.Before(j.CreatedAt.Add(StaleAfter)):
		return StatusFailed
	}
	return j.Status
}

// ExpiresAt is when the job and its file are gone.
func (j Job) ExpiresAt() time.Time { return j.CreatedAt.Add(Retention) }

// Object is the file's key in the export bucket, under Prefix and the
// kind, so IAM can scope a function to the files it may touch.
func (j Job) Object() string {
	owner := j.OrganizationID
	if j.Kind == KindUser {
		owner = j.UserID
	}
	return Prefix + j.Kind + "/" + owner + "/" + j.Filename()
}

// Filename is the name the file downloads as.
func (j Job) Filename() string {
	switch j.Format {
	case FormatCSV:
		return j.ID + ".csv"
	case FormatJSONL:
		return j.ID + ".jsonl"
	}
	return j.ID + ".json.gz"
}

// ContentType is the file's media type.
func (j Job) ContentType() string {
	switch j.Format {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatJSONL:
		return "application/jsonl"
	}
	return "application/gzip"
}
