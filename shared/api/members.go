package api

import (
	"net/http"

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
	if _, ok := q["role"]; ok {
		if _, known := access.BuiltIn(f.Role); !known {
			return problem.Field("role", "must be a role id: owner, admin or member")
		}
	}
	if _, ok := q["status"]; ok && f.Status != orgs.StatusActive && f.Status != orgs.StatusInactive {
		return problem.Field("status", "must be active or inactive")
	}
	pg, err := s.page(q, c.orgID, "members")
	if err != nil {
		return err
	}
	members, next, err := s.Store.ListMembers(c.ctx(), c.orgID, f, pg)
	if err != nil {
		return found(err, "Organization")
	}
	views := make([]memberView, len(members))
	for i, m := range members {
		views[i] = viewMember(m)
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, "members", next)))
}

// target reads the {user} of the path as a member of the caller's org.
func (s *Server) target(c *call) (orgs.Member, error) {
	id := c.r.PathValue("user")
	if !ids.Valid(ids.User, id) {
		return orgs.Member{}, problem.NotFoundf("Member")
	}
	m, err := s.Store.GetMemberWithLogin(c.ctx(), c.orgID, id)
	return m, found(err, "Member")
}

func levelOf(roleID string) int {
	r, _ := access.BuiltIn(roleID)
	return r.Level
}

// mayManageMember applies the role-level rule: only members below your
// own level (owners also manage owners).
func mayManageMember(c *call, target orgs.Member) error {
	if !access.MayManage(c.role.Level, levelOf(target.Role)) {
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
	return c.replyVersioned(http.StatusOK, m.Version, viewMember(m))
}

func (s *Server) updateMember(c *call) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	var in struct {
		Role   *string `json:"role"`
		Status *string `json:"status"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	if in.Role == nil && in.Status == nil {
		check.Add("role", "give a role or a status to change")
	}
	if in.Role != nil {
		if _, ok := access.BuiltIn(*in.Role); !ok {
			check.Add("role", "must be a role id: owner, admin or member")
		}
	}
	if in.Status != nil && *in.Status != orgs.StatusActive && *in.Status != orgs.StatusInactive {
		check.Add("status", "must be active or inactive")
	}
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
	role, status := t.Role, t.Status
	if in.Role != nil {
		role = *in.Role
		if role != t.Role && !access.MayGrant(c.role.Level, levelOf(role)) {
			return problem.New(problem.Forbidden, "You may grant only roles below your own.")
		}
	}
	if in.Status != nil {
		status = *in.Status
	}
	m, err := s.Store.ChangeMember(c.ctx(), c.member, t, role, status)
	if err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, m.Version, viewMember(m))
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
		return found(err, "Member")
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
	}{c.orgID, viewMember(prev), viewMember(next)})
}

type roleView struct {
	access.Role
	MemberCount int `json:"member_count"`
}

func (s *Server) listRoles(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	o, err := s.Store.GetOrganization(c.ctx(), c.orgID)
	if err != nil {
		return found(err, "Organization")
	}
	views := make([]roleView, len(access.BuiltIns))
	for i, r := range access.BuiltIns {
		views[i] = roleView{Role: r, MemberCount: o.RoleCounts[r.ID]}
	}
	return c.reply(http.StatusOK, listOf(views, ""))
}
