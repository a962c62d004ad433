package ddb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// loginGranularity is how stale last_login_at may get before a request
// refreshes it: one write an hour per user, not one per request.
const loginGranularity = time.Hour

// EnsureUser returns the principal's user, creating it with a personal org
// on first sight. Concurrent first requests race on one conditional put of
// the user item (its id derives from the identity), so exactly one user
// and one personal org come to exist.
func (s *Store) EnsureUser(ctx context.Context, p auth.Principal) (orgs.User, bool, error) {
	var rec userRecord
	err := s.get(ctx, userPK(p.UserID), profileSK, &rec)
	if err == nil {
		return s.touchLogin(ctx, rec), false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return orgs.User{}, false, err
	}
	now := s.now()
	for attempt := 0; attempt < 5; attempt++ {
		orgID := ids.New(ids.Organization)
		rec = userRecord{PK: userPK(p.UserID), SK: profileSK, Type: TypeUser, ID: p.UserID,
			Issuer: p.Issuer, Subject: p.Subject, Email: p.Email, Name: p.Name,
			ActiveOrganizationID: orgID, PersonalOrgID: orgID,
			CreatedAt: stamp(now), LastLoginAt: stamp(now)}
		user := rec.user()
		org := newOrg(orgID, p.Name+"'s workspace", orgs.SlugFrom(p.Name)+"-"+suffix(), "", user, now)
		org.Personal = true
		items := append([]types.TransactWriteItem{s.put(marshal(rec), "attribute_not_exists(PK)", nil, nil)},
			s.orgItems(org, user, now)...)
		err := s.transact(ctx, items)
		switch {
		case err == nil:
			return user, true, nil
		case failedAt(err, 0): // a concurrent first request created the user
			if err := s.get(ctx, userPK(p.UserID), profileSK, &rec); err != nil {
				return orgs.User{}, false, err
			}
			return rec.user(), false, nil
		case failedAt(err, 2): // personal slug collided; draw another suffix
			continue
		default:
			return orgs.User{}, false, err
		}
	}
	return orgs.User{}, false, errors.New("ddb: could not find a free personal slug")
}

// touchLogin refreshes last_login_at at most once per loginGranularity.
func (s *Store) touchLogin(ctx context.Context, rec userRecord) orgs.User {
	now := s.now()
	if now.Sub(parseStamp(rec.LastLoginAt)) < loginGranularity {
		return rec.user()
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(rec.PK, rec.SK),
		UpdateExpression:          aws.String("SET last_login_at = :now"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": str(stamp(now))},
	})
	if err == nil {
		rec.LastLoginAt = stamp(now)
	}
	// A failed refresh only leaves the login time stale; the request goes on.
	return rec.user()
}

// GetUser reads a user's profile.
func (s *Store) GetUser(ctx context.Context, id string) (orgs.User, error) {
	var rec userRecord
	if err := s.get(ctx, userPK(id), profileSK, &rec); err != nil {
		return orgs.User{}, err
	}
	return rec.user(), nil
}

// SetActiveOrganization points the user at an org they are an active
// member of, clearing the active project. The membership is checked in
// the same transaction as the write.
func (s *Store) SetActiveOrganization(ctx context.Context, userID, orgID string) (orgs.User, error) {
	err := s.transact(ctx, []types.TransactWriteItem{
		s.check(key(orgPK(orgID), memberSK(userID)), "#st = :active", map[string]string{"#st": "status"},
			map[string]types.AttributeValue{":active": str(orgs.StatusActive)}),
		s.update(key(userPK(userID), profileSK), "SET active_organization_id = :org REMOVE active_project_id",
			"attribute_exists(PK)", nil, map[string]types.AttributeValue{":org": str(orgID)}),
	})
	if failedAt(err, 0) {
		return orgs.User{}, problem.NotFoundf("Organization")
	}
	if err != nil {
		return orgs.User{}, err
	}
	return s.GetUser(ctx, userID)
}

// SetActiveProject points the user at a project of their active org, with
// the membership, the project and the active org checked in the write.
func (s *Store) SetActiveProject(ctx context.Context, userID, orgID, projectID string) (orgs.User, error) {
	err := s.transact(ctx, []types.TransactWriteItem{
		s.check(key(orgPK(orgID), memberSK(userID)), "#st = :active", map[string]string{"#st": "status"},
			map[string]types.AttributeValue{":active": str(orgs.StatusActive)}),
		s.check(key(orgPK(orgID), projectSK(projectID)), "attribute_exists(PK)", nil, nil),
		s.update(key(userPK(userID), profileSK), "SET active_project_id = :prj",
			"active_organization_id = :org", nil, map[string]types.AttributeValue{":prj": str(projectID), ":org": str(orgID)}),
	})
	switch {
	case failedAt(err, 0), failedAt(err, 1):
		return orgs.User{}, problem.NotFoundf("Project")
	case failedAt(err, 2):
		return orgs.User{}, problem.New(problem.Conflict, "Your active organization changed; set it again first.")
	case err != nil:
		return orgs.User{}, err
	}
	return s.GetUser(ctx, userID)
}

func suffix() string {
	id := ids.New("x")
	return id[len(id)-6:]
}
