package ddb

import (
	"context"
	"strings"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/table"
)

func newProjectRecord(p orgs.Project) projectRecord {
	updated := sortableStamp(p.UpdatedAt)
	return projectRecord{PK: orgPK(p.OrganizationID), SK: projectSK(p.ID),
		GSI1PK: projectListPK(p.OrganizationID), GSI1SK: projectNameSK(p.Name, p.ID),
		GSI2PK: projectListPK(p.OrganizationID), GSI2SK: projectUpdatedSK(updated, p.ID),
		Type: TypeProject, ID: p.ID, OrgID: p.OrganizationID, Name: p.Name, NameLC: lower(p.Name),
		Description: p.Description, CreatedBy: p.CreatedBy, APIKeyCount: p.APIKeyCount,
		CreatedAt: stamp(p.CreatedAt), UpdatedAt: stamp(p.UpdatedAt), Version: p.Version}
}

func projectTarget(p orgs.Project) activity.Target {
	return activity.Target{Type: activity.TargetProject, ID: p.ID, Name: p.Name}
}

// CreateProject adds a project to by's org. The org's project counter
// moves in the same transaction, conditioned on the plan's limit
// (concurrent creates against room for L leave exactly L), and by is held
// in their role.
func (s *Store) CreateProject(ctx context.Context, by orgs.Member, name, description string) (orgs.Project, error) {
	now := s.now()
	orgID := by.OrganizationID
	p := orgs.Project{ID: ids.New(ids.Project), OrganizationID: orgID, Name: strings.TrimSpace(name),
		Description: description, CreatedBy: by.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
	err := s.txn().
		update(orgKey(orgID), s.counters(counts{projects: 1}), orgActive.and(roomFor(projectRoom)), orgGoneOr(QuotaError{projectRoom.resource})).
		put(marshal(newProjectRecord(p)), notExists, nil).
		actorHolds(by).
		record(memberEvent(by, activity.ProjectCreated, projectTarget(p))).
		run(ctx)
	return p, err
}

// GetProject reads one project.
func (s *Store) GetProject(ctx context.Context, orgID, projectID string) (orgs.Project, error) {
	r := s.Reads()
	get := r.Project(orgID, projectID)
	if err := r.Run(ctx); err != nil {
		return orgs.Project{}, err
	}
	return get()
}

// ProjectPatch changes some of a project's fields.
type ProjectPatch struct {
	Name        *string
	Description *string
}

// UpdateProject applies a patch, conditional on the version read (and on
// If-Match when given, which the caller passes as ifVersion) and on by
// still holding their role.
func (s *Store) UpdateProject(ctx context.Context, by orgs.Member, current orgs.Project, p ProjectPatch, ifVersion int64) (orgs.Project, error) {
	if ifVersion > 0 && ifVersion != current.Version {
		return orgs.Project{}, ErrVersionConflict
	}
	next := current
	if p.Name != nil {
		next.Name = strings.TrimSpace(*p.Name)
	}
	if p.Description != nil {
		next.Description = *p.Description
	}
	next.UpdatedAt = s.now()
	next.Version = current.Version + 1
	// Only the fields a patch owns are written, so counters kept on the
	// item (api_key_count) never go back to the value read.
	rec := newProjectRecord(next)
	u := newUpdate().
		setValue("name", rec.Name).setValue("name_lc", rec.NameLC).setValue("description", rec.Description).
		setValue("GSI1SK", rec.GSI1SK).setValue("GSI2SK", rec.GSI2SK).setValue("updated_at", rec.UpdatedAt).bump()
	err := s.txn().
		update(key(rec.PK, rec.SK), u, versionIs(current.Version), goneOrChanged).
		actorHolds(by).
		record(memberEvent(by, activity.ProjectUpdated, projectTarget(next)).With(activity.Changes{}.
			Note("name", current.Name, next.Name).Note("description", current.Description, next.Description))).
		run(ctx)
	return next, err
}

// DeleteProject removes a project and gives its quota room back, with by
// held in their role. by's own pointer at the project (active_project_id)
// is cleared after it, best-effort; anyone else's is cleared when their
// /me is next read (see CurrentUser), since nothing indexes who points at
// a project.
func (s *Store) DeleteProject(ctx context.Context, by orgs.Member, current orgs.Project) error {
	err := s.txn().
		del(key(orgPK(current.OrganizationID), projectSK(current.ID)), versionIs(current.Version), goneOrChanged).
		update(orgKey(current.OrganizationID), s.counters(counts{projects: -1}), exists, ErrNotFound).
		actorHolds(by).
		record(memberEvent(by, activity.ProjectDeleted, projectTarget(current))).
		run(ctx)
	if err != nil {
		return err
	}
	s.clearActiveProject(ctx, by.UserID, current.ID)
	return nil
}

// Project list orders.
const (
	ByCreation  = ""            // id order: oldest first
	ByName      = "name"        // case-insensitive name
	ByUpdatedAt = "-updated_at" // most recently updated first
)

// ProjectFilter narrows and orders a project list.
type ProjectFilter struct {
	Sort       string
	Query      string // name contains, case-insensitive
	HasAPIKeys *bool
}

// ListProjects pages through an org's projects. Name and update orders read
// the GSI1 and GSI2 projections of the project items; creation order reads
// the org partition.
func (s *Store) ListProjects(ctx context.Context, orgID string, f ProjectFilter, page Page) ([]orgs.Project, Position, error) {
	var q *query
	switch f.Sort {
	case ByName:
		q = onIndex(table.GSI1, projectListPK(orgID))
	case ByUpdatedAt:
		q = onIndex(table.GSI2, projectListPK(orgID)).newestFirst()
	default:
		q = inPartition(orgPK(orgID), projectSK(""))
	}
	if f.Query != "" {
		q.where(contains("name_lc", lower(f.Query)))
	}
	switch {
	case f.HasAPIKeys == nil:
	case *f.HasAPIKeys:
		q.where(numAbove("api_key_count", 0))
	default:
		q.where(numIs("api_key_count", 0))
	}
	return queryRecords(ctx, s, q, page, projectRecord.project)
}
