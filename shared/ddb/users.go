package ddb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/table"
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
	err := s.get(ctx, profileKey(p.UserID), &rec)
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
		org := newOrg(orgID, orgs.PersonalName(p.Name), orgs.SlugFrom(p.Name)+"-"+suffix(), "", user, now)
		org.Personal = true
		err := s.txn().put(marshal(rec), notExists, errUserExists).createOrg(org, user, now).run(ctx)
		switch {
		case err == nil:
			return user, true, nil
		case errors.Is(err, errUserExists): // a concurrent first request created the user
			if err := s.get(ctx, profileKey(p.UserID), &rec); err != nil {
				return orgs.User{}, false, err
			}
			return rec.user(), false, nil
		case errors.Is(err, ErrSlugTaken): // personal slug collided; draw another suffix
			continue
		default:
			return orgs.User{}, false, err
		}
	}
	return orgs.User{}, false, errors.New("ddb: could not find a free personal slug")
}

// errUserExists: a concurrent first request created the user.
var errUserExists = errors.New("ddb: user exists")

// touchLogin refreshes last_login_at at most once per loginGranularity.
func (s *Store) touchLogin(ctx context.Context, rec userRecord) orgs.User {
	now := s.now()
	if now.Sub(parseStamp(rec.LastLoginAt)) < loginGranularity {
		return rec.user()
	}
	err := s.updateItem(ctx, key(rec.PK, rec.SK), newUpdate().setValue("last_login_at", stamp(now)), exists, ErrNotFound, nil)
	if err == nil {
		rec.LastLoginAt = stamp(now)
	}
	// A failed refresh only leaves the login time stale; the request goes on.
	return rec.user()
}

// GetUser reads a user's profile.
func (s *Store) GetUser(ctx context.Context, id string) (orgs.User, error) {
	var rec userRecord
	if err := s.get(ctx, profileKey(id), &rec); err != nil {
		return orgs.User{}, err
	}
	return rec.user(), nil
}

// SetActiveOrganization points the user at an org they are an active
// member of, clearing the active project. The membership is checked in
// the same transaction as the write.
func (s *Store) SetActiveOrganization(ctx context.Context, userID, orgID string) (orgs.User, error) {
	err := s.txn().
		check(memberKey(orgID, userID), memberActive, ErrNotFound).
		update(profileKey(userID), newUpdate().setValue("active_organization_id", orgID).remove("active_project_id"), exists, ErrNotFound).
		run(ctx)
	if err != nil {
		return orgs.User{}, err
	}
	return s.GetUser(ctx, userID)
}

// SetActiveProject points the user at a project of their active org, with
// the membership, the project and the active org checked in the write.
func (s *Store) SetActiveProject(ctx context.Context, userID, orgID, projectID string) (orgs.User, error) {
	err := s.txn().
		check(memberKey(orgID, userID), memberActive, ErrNotFound).
		check(key(orgPK(orgID), projectSK(projectID)), exists, ErrNotFound).
		update(profileKey(userID), newUpdate().setValue("active_project_id", projectID),
			attrIs("active_organization_id", orgID), ErrActiveOrgChanged).
		run(ctx)
	if err != nil {
		return orgs.User{}, err
	}
	return s.GetUser(ctx, userID)
}

func suffix() string {
	id := ids.New("x")
	return id[len(id)-6:]
}

// clearActiveOrg drops a user's pointers at an org they left or that is
// going away, best-effort: a stale one only fails the membership check
// like any other non-member org.
func (s *Store) clearActiveOrg(ctx context.Context, userID, orgID string) {
	_ = s.updateItem(ctx, profileKey(userID), newUpdate().remove("active_organization_id", "active_project_id"),
		attrIs("active_organization_id", orgID), ErrNotFound, nil)
}

// clearActiveProject drops a user's pointer at a project that was
// deleted, best-effort: CurrentUser clears one left behind.
func (s *Store) clearActiveProject(ctx context.Context, userID, projectID string) {
	_ = s.updateItem(ctx, profileKey(userID), newUpdate().remove("active_project_id"),
		attrIs("active_project_id", projectID), ErrNotFound, nil)
}

// CurrentUser is EnsureUser for whoever shows the user their pointers
// (GET /me): it never names an org or project that is gone. Deleting a
// project or an org clears the pointers of the member who deleted it (and
// an org's purge those of its other members), but nothing indexes which
// users point at a project, and a best-effort clear can be cut short; so
// the pointers are checked here, in one consistent BatchGetItem of the
// active org, the user's membership there and the active project, and
// cleared when what they name is gone. An org is gone for the user when
// it is missing or being deleted, or their membership is missing or
// inactive (the org answers them 404); a project when it is missing from
// the active org. The clear is conditional on the pointer read, so a
// pointer set meanwhile is kept.
func (s *Store) CurrentUser(ctx context.Context, p auth.Principal) (orgs.User, bool, error) {
	u, created, err := s.EnsureUser(ctx, p)
	if err != nil || created || u.ActiveOrganizationID == "" {
		return u, created, err
	}
	org, project := u.ActiveOrganizationID, u.ActiveProjectID
	keys := []map[string]types.AttributeValue{orgKey(org), memberKey(org, u.ID)}
	if project != "" {
		keys = append(keys, key(orgPK(org), projectSK(project)))
	}
	found, err := s.getMany(ctx, keys, true)
	if err != nil {
		return orgs.User{}, false, err
	}
	var o orgRecord
	var m memberRecord
	okOrg, err := found.decode(orgKey(org), &o)
	if err != nil {
		return orgs.User{}, false, err
	}
	okMember, err := found.decode(memberKey(org, u.ID), &m)
	if err != nil {
		return orgs.User{}, false, err
	}
	switch {
	case !okOrg || o.Status != orgs.OrgActive || !okMember || m.Status != orgs.StatusActive:
		s.clearActiveOrg(ctx, u.ID, org)
		u.ActiveOrganizationID, u.ActiveProjectID = "", ""
	case project != "" && !found.has(key(orgPK(org), projectSK(project))):
		s.clearActiveProject(ctx, u.ID, project)
		u.ActiveProjectID = ""
	}
	return u, false, nil
}

// MyOrganization is an org as one of its members sees it in their list.
type MyOrganization struct {
	orgs.Organization
	Role string
}

// ListUserOrganizations pages through the orgs a user is an active member
// of (GSI1 on memberships), with each org read in one batch per page.
func (s *Store) ListUserOrganizations(ctx context.Context, userID string, page Page) ([]MyOrganization, Position, error) {
	out, next, _, err := s.listUserOrganizations(ctx, userID, page, nil)
	return out, next, err
}

// MyOrganizations is ListUserOrganizations for the principal, who is
// provisioned on first sight as EnsureUser does. It takes two round trips:
// the Query, then one consistent batch of the page's orgs with the user's
// profile (a new user's first request takes more, creating them).
func (s *Store) MyOrganizations(ctx context.Context, p auth.Principal, page Page) ([]MyOrganization, Position, error) {
	var profile userRecord
	out, next, ok, err := s.listUserOrganizations(ctx, p.UserID, page, &profile)
	switch {
	case err != nil:
		return nil, nil, err
	case ok:
		s.touchLogin(ctx, profile)
		return out, next, nil
	}
	if _, _, err := s.EnsureUser(ctx, p); err != nil {
		return nil, nil, err
	}
	return s.ListUserOrganizations(ctx, p.UserID, page)
}

// listUserOrganizations reads a page of the user's orgs and, when profile
// is not nil, the user's profile into it in the same batch (ok: found).
func (s *Store) listUserOrganizations(ctx context.Context, userID string, page Page, profile *userRecord) ([]MyOrganization, Position, bool, error) {
	q := onIndex(table.GSI1, userPK(userID)).sortPrefix(membershipGSI1SK("")).where(memberActive)
	members, next, err := queryRecords(ctx, s, q, page, func(r memberRecord) memberRecord { return r })
	if err != nil {
		return nil, next, false, err
	}
	keys := make([]map[string]types.AttributeValue, 0, 2*len(members)+1)
	if profile != nil {
		keys = append(keys, profileKey(userID))
	}
	for _, m := range members {
		keys = append(keys, orgKey(m.OrgID), walletKey(m.OrgID))
	}
	if len(keys) == 0 {
		return nil, next, false, nil
	}
	found, err := s.getMany(ctx, keys, profile != nil)
	if err != nil {
		return nil, nil, false, err
	}
	ok := false
	if profile != nil {
		if ok, err = found.decode(profileKey(userID), profile); err != nil {
			return nil, nil, false, err
		}
	}
	out := make([]MyOrganization, 0, len(members))
	for _, m := range members {
		if o, err := found.org(m.OrgID); err == nil {
			out = append(out, MyOrganization{Organization: o, Role: m.Role})
		}
	}
	return out, next, ok, nil
}
