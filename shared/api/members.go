package api

import (
	"net/http"
	"time"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

func (s *Server) listMembers(c *call) error {
	q, err := query(c.r, "limit", "cursor", "q", "role", "status")
	if err != nil {
		return err
	}
	f := ddb.MemberFilter{Query: q.Get("q"), Role: q.Get("role"), Status: q.Get("status")}
	if len(f.Query) > 254 {
		return problem.Field("q", "must be at most 254 characters")
	}
	if _, ok := q["status"]; ok && f.Status != orgs.StatusActive && f.Status != orgs.StatusInactive {
		return problem.Field("status", "must be active or inactive")
	}
	pg, err := s.page(q, c.orgID, "members")
	if err != nil {
		return err
	}
	var members []orgs.Member
	var next ddb.Position
	err = c.alongside(func() (err error) {
		members, next, err = s.Store.ListMembers(c.ctx(), c.orgID, f, pg)
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	// The org's roles came with admission, sent beside the Query.
	if _, ok := q["role"]; ok {
		if _, known := c.org.Role(f.Role); !known {
			return problem.Field("role", "must be a role of this organization")
		}
	}
	views := make([]memberView, len(members))
	for i, m := range members {
		views[i] = viewMember(m, c.now())
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, "members", next)))
}

// target reads the {user} of the path as a member of the caller's org.
func (s *Server) target(c *call) (orgs.Member, error) {
	id := c.r.PathValue("user")
	if !ids.Valid(ids.User, id) {
		return orgs.Member{}, problem.NotFoundf("Member")
	}
	get := c.reads.MemberWithLogin(c.orgID, id)
	if err := c.load(); err != nil {
		return orgs.Member{}, err
	}
	m, err := get()
	return m, storeError(err, "Member")
}

// levelOf is the level of a role of the caller's org (0 when unknown).
func levelOf(c *call, roleID string) int {
	r, _ := c.org.Role(roleID)
	return r.Level
}

// mayManageMember applies the role-level rule to the role the target acts
// with: only members below your own level (owners also manage owners).
func mayManageMember(c *call, target orgs.Member) error {
	if !access.MayManage(c.role.Level, levelOf(c, target.RoleAt(c.now()))) {
		return problem.New(problem.Forbidden, "You may change only members whose role is below yours.")
	}
	return nil
}

func (s *Server) getMember(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	m, err := s.target(c)
	if err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, m.Version, viewMember(m, c.now()))
}

func (s *Server) updateMember(c *call) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	var in struct {
		Role          *string          `json:"role"`
		RoleExpiresAt Optional[string] `json:"role_expires_at"`
		Status        *string          `json:"status"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	if in.Role == nil && in.Status == nil && !in.RoleExpiresAt.Set {
		check.Add("role", "give a role, a role_expires_at or a status to change")
	}
	if in.Status != nil && *in.Status != orgs.StatusActive && *in.Status != orgs.StatusInactive {
		check.Add("status", "must be active or inactive")
	}
	expires := elevationEnd(&check, in.RoleExpiresAt, c.now())
	if err := check.Err(); err != nil {
		return err
	}
	t, err := s.target(c)
	if err != nil {
		return err
	}
	if version > 0 && version != t.Version {
		return problem.New(problem.VersionConflict, "The member changed since version %d.", version)
	}
	if err := mayManageMember(c, t); err != nil {
		return err
	}
	change := ddb.MemberChange{Role: t.RoleAt(c.now()), RoleExpiresAt: t.ElevatedUntil(c.now()), Status: t.Status}
	if in.Role != nil {
		r, err := knownRole(c, "role", *in.Role)
		if err != nil {
			return err
		}
		if r.ID != change.Role && !access.MayGrant(c.role.Level, r.Level) {
			return problem.New(problem.Forbidden, "You may grant only roles below your own.")
		}
		// A new role is permanent unless role_expires_at comes with it.
		change.Role, change.RoleExpiresAt = r.ID, time.Time{}
	}
	if in.RoleExpiresAt.Set {
		change.RoleExpiresAt = expires
	}
	if !change.RoleExpiresAt.IsZero() && (change.Role == access.Owner || change.Role == access.Member) {
		return problem.Field("role_expires_at", "applies to an elevation: a role above member and below owner")
	}
	if in.Status != nil {
		change.Status = *in.Status
	}
	m, err := s.Store.ChangeMember(c.ctx(), c.member, c.role, t, change)
	if err != nil {
		return storeError(err, "Member")
	}
	return c.replyVersioned(http.StatusOK, m.Version, viewMember(m, c.now()))
}

// MaxElevation is how far ahead a time-bound elevation may end.
const MaxElevation = 365 * 24 * time.Hour

// elevationEnd checks a role_expires_at a request gives: an RFC 3339 time
// in the future, at most MaxElevation ahead; null (or absent) is none.
func elevationEnd(check *orgs.Check, v Optional[string], now time.Time) time.Time {
	if !v.Set || v.Null {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v.Value)
	switch {
	case err != nil:
		check.Add("role_expires_at", "must be an RFC 3339 time such as 2027-01-31T18:00:00Z")
	case !t.After(now):
		check.Add("role_expires_at", "must be in the future")
	case t.Sub(now) > MaxElevation:
		check.Add("role_expires_at", "must be at most 365 days ahead")
	}
	return t.UTC()
}

func (s *Server) removeMember(c *call) error {
	t, err := s.target(c)
	if err != nil {
		return err
	}
	if t.UserID != c.member.UserID {
		if err := mayManageMember(c, t); err != nil {
			return err
		}
	}
	if err := s.Store.RemoveMember(c.ctx(), c.member, t); err != nil {
		return err
	}
	return c.noContent()
}

func (s *Server) leaveOrganization(c *call) error {
	if err := s.Store.RemoveMember(c.ctx(), c.member, c.member); err != nil {
		return err
	}
	return c.noContent()
}

func (s *Server) transferOwnership(c *call) error {
	var in struct {
		UserID *string `json:"user_id"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.UserID == nil {
		return problem.Field("user_id", "is required")
	}
	if *in.UserID == c.member.UserID {
		return problem.Field("user_id", "must be another member")
	}
	if !ids.Valid(ids.User, *in.UserID) {
		return problem.Field("user_id", "must be a user id (usr_…)")
	}
	t, err := s.Store.GetMember(c.ctx(), c.orgID, *in.UserID)
	if err != nil {
		return storeError(err, "Member")
	}
	switch {
	case t.Status != orgs.StatusActive:
		return problem.New(problem.Conflict, "Ownership can go only to an active member.")
	case t.Role == access.Owner:
		return problem.New(problem.Conflict, "That member is already an owner.")
	}
	prev, next, err := s.Store.TransferOwnership(c.ctx(), c.member, t)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, struct {
		OrganizationID string     `json:"organization_id"`
		PreviousOwner  memberView `json:"previous_owner"`
		NewOwner       memberView `json:"new_owner"`
	}{c.orgID, viewMember(prev, c.now()), viewMember(next, c.now())})
}
