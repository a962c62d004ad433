package ddb

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
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

// quotaExceeded explains which limit an org hit.
func quotaExceeded(what string) error {
	return problem.New(problem.QuotaExceeded, "The organization's plan allows no more %s; upgrade the plan or remove some.", what)
}

// CreateProject adds a project. The org's project counter moves in the
// same transaction, conditioned on the plan's limit: concurrent creates
// against room for L leave exactly L.
func (s *Store) CreateProject(ctx context.Context, orgID, name, description, createdBy string) (orgs.Project, error) {
	now := s.now()
	p := orgs.Project{ID: ids.New(ids.Project), OrganizationID: orgID, Name: strings.TrimSpace(name),
		Description: description, CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now, Version: 1}
	err := s.transact(ctx, []types.TransactWriteItem{
		s.update(key(orgPK(orgID), orgSK), "ADD project_count :one SET updated_at = :now",
			"#st = :active AND (attribute_not_exists(project_limit) OR project_count < project_limit)",
			map[string]string{"#st": "status"},
			map[string]types.AttributeValue{":one": num(1), ":now": str(stamp(now)), ":active": str(orgs.OrgActive)}),
		s.put(marshal(newProjectRecord(p)), "attribute_not_exists(PK)", nil, nil),
	})
	var f *txFailure
	if errors.As(err, &f) && f.Index == 0 {
		if f.Item == nil {
			return orgs.Project{}, ErrNotFound
		}
		return orgs.Project{}, quotaExceeded("projects")
	}
	return p, err
}

// GetProject reads one project.
func (s *Store) GetProject(ctx context.Context, orgID, projectID string) (orgs.Project, error) {
	var rec projectRecord
	if err := s.get(ctx, orgPK(orgID), projectSK(projectID), &rec); err != nil {
		return orgs.Project{}, err
	}
	return rec.project(), nil
}

// ProjectPatch changes some of a project's fields.
type ProjectPatch struct {
	Name        *string
	Description *string
}

// UpdateProject applies a patch, conditional on the version read (and on
// If-Match when given, which the caller passes as ifVersion).
func (s *Store) UpdateProject(ctx context.Context, current orgs.Project, p ProjectPatch, ifVersion int64) (orgs.Project, error) {
	if ifVersion > 0 && ifVersion != current.Version {
		return orgs.Project{}, problem.New(problem.VersionConflict, "The project changed since version %d.", ifVersion)
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
	rec := newProjectRecord(next)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.Table, Item: marshal(rec),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(current.Version)},
	})
	if conditionFailed(err) {
		return orgs.Project{}, problem.New(problem.VersionConflict, "The project changed while you edited it; read it again.")
	}
	return next, err
}

// DeleteProject removes a project and gives its quota room back.
func (s *Store) DeleteProject(ctx context.Context, current orgs.Project) error {
	err := s.transact(ctx, []types.TransactWriteItem{
		s.del(key(orgPK(current.OrganizationID), projectSK(current.ID)), "version = :v", nil,
			map[string]types.AttributeValue{":v": num(current.Version)}),
		s.update(key(orgPK(current.OrganizationID), orgSK), "ADD project_count :minus", "attribute_exists(PK)", nil,
			map[string]types.AttributeValue{":minus": num(-1)}),
	})
	if failedAt(err, 0) {
		return goneOrChanged(err, "Project")
	}
	return err
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
	in := &dynamodb.QueryInput{ExpressionAttributeValues: map[string]types.AttributeValue{}}
	switch f.Sort {
	case ByName:
		in.IndexName = aws.String(table.GSI1)
		in.KeyConditionExpression = aws.String("GSI1PK = :pk")
		in.ExpressionAttributeValues[":pk"] = str(projectListPK(orgID))
	case ByUpdatedAt:
		in.IndexName = aws.String(table.GSI2)
		in.KeyConditionExpression = aws.String("GSI2PK = :pk")
		in.ExpressionAttributeValues[":pk"] = str(projectListPK(orgID))
		in.ScanIndexForward = aws.Bool(false)
	default:
		in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :prefix)")
		in.ExpressionAttributeValues[":pk"] = str(orgPK(orgID))
		in.ExpressionAttributeValues[":prefix"] = str("PROJECT#")
		in.ConsistentRead = aws.Bool(true)
	}
	var conds []string
	if f.Query != "" {
		conds = append(conds, "contains(name_lc, :q)")
		in.ExpressionAttributeValues[":q"] = str(lower(f.Query))
	}
	if f.HasAPIKeys != nil {
		if *f.HasAPIKeys {
			conds = append(conds, "api_key_count > :zero")
		} else {
			conds = append(conds, "api_key_count = :zero")
		}
		in.ExpressionAttributeValues[":zero"] = num(0)
	}
	if len(conds) > 0 {
		in.FilterExpression = aws.String(strings.Join(conds, " AND "))
	}
	return queryRecords(ctx, s, in, page, projectRecord.project)
}
