package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// Roles. The built-ins (owner, admin, member) are listed with the org's
// custom roles and are read-only. Creating, editing and deleting custom
// roles takes roles:manage, and the rules of access.MayDefine: a role
// below your own level, holding only permissions you hold.

// Role field limits.
const (
	MaxRoleNameLen        = 48
	MaxRoleDescriptionLen = 200
)

type roleView struct {
	ID              string              `json:"id"`
	Name            string              `json:"name"`
	Description     string              `json:"description"`
	Level           int                 `json:"level"`
	Permissions     []access.Permission `json:"permissions"`
	BuiltIn         bool                `json:"built_in"`
	MemberCount     int                 `json:"member_count"`
	InvitationCount int                 `json:"invitation_count"`
	// CanAssign and CanEdit are computed for the caller, so a UI shows
	// only what the caller may do.
	CanAssign bool `json:"can_assign"`
	CanEdit   bool `json:"can_edit"`
}

func viewRole(c *call, o orgs.Organization, r access.Role) roleView {
	perms := r.Permissions
	if perms == nil {
		perms = []access.Permission{}
	}
	return roleView{ID: r.ID, Name: r.Name, Description: r.Description, Level: r.Level, Permissions: perms,
		BuiltIn: r.BuiltIn, MemberCount: o.RoleCounts[r.ID], InvitationCount: o.InviteRoleCounts[r.ID],
		CanAssign: !r.Deleting && access.CanAssign(c.role, r), CanEdit: !r.Deleting && access.CanEdit(c.role, r)}
}

// orgRoles are the org's roles as the roles page lists them: highest
// level first.
func orgRoles(o orgs.Organization) []access.Role {
	roles := slices.Clone(access.BuiltIns)
	for _, r := range o.CustomRoles {
		roles = append(roles, r)
	}
	return access.Sorted(roles)
}

func (s *Server) listRoles(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	if err := c.admit(); err != nil { // the roles came with the org
		return err
	}
	roles := orgRoles(c.org)
	views := make([]roleView, len(roles))
	for i, r := range roles {
		views[i] = viewRole(c, c.org, r)
	}
	return c.reply(http.StatusOK, listOf(views, ""))
}

// pathRole resolves the {role} of the path in the caller's org.
func pathRole(c *call) (access.Role, error) {
	if err := c.admit(); err != nil { // the roles came with the org
		return access.Role{}, err
	}
	id := c.r.PathValue("role")
	r, ok := c.org.Role(id)
	if !ok {
		return access.Role{}, problem.NotFoundf("Role")
	}
	return r, nil
}

func (s *Server) getRole(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	r, err := pathRole(c)
	if err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, r.Version, viewRole(c, c.org, r))
}

// roleFields are a role's editable fields as a request gives them.
type roleFields struct {
	Name        *string              `json:"name"`
	Description *string              `json:"description"`
	Level       *int                 `json:"level"`
	Permissions *[]access.Permission `json:"permissions"`
}

// check validates the fields given; required names the ones a create
// needs.
func (f roleFields) check(check *orgs.Check, required bool) {
	if f.Name == nil {
		if required {
			check.Add("name", "is required")
		}
	} else {
		check.Name("name", *f.Name)
		if utf8.RuneCountInString(strings.TrimSpace(*f.Name)) > MaxRoleNameLen {
			check.Add("name", "must be at most 48 characters")
		}
	}
	if f.Description != nil {
		check.Description("description", *f.Description)
		if utf8.RuneCountInString(*f.Description) > MaxRoleDescriptionLen {
			check.Add("description", "must be at most 200 characters")
		}
	}
	if f.Level == nil {
		if required {
			check.Add("level", "is required")
		}
	} else if *f.Level < access.MinCustomLevel || *f.Level > access.MaxCustomLevel {
		check.Add("level", "must be from 11 to 79: custom roles sit between member (10) and admin (80)")
	}
	if f.Permissions == nil {
		if required {
			check.Add("permissions", "is required (it may be empty)")
		}
		return
	}
	checkCatalog(check, *f.Permissions)
}

// checkCatalog checks the permissions a request gives (a role's or a
// key's): each from the catalog, none twice.
func checkCatalog(check *orgs.Check, ps []access.Permission) {
	seen := map[access.Permission]bool{}
	for _, p := range ps {
		switch {
		case !access.Known(p):
			check.Add("permissions", "holds "+quoteClip(string(p))+", which is not a permission (see GET /permissions)")
		case seen[p]:
			check.Add("permissions", "holds "+string(p)+" twice")
		}
		seen[p] = true
	}
}

func quoteClip(s string) string {
	if utf8.RuneCountInString(s) > 64 {
		s = string([]rune(s)[:64]) + "…"
	}
	return `"` + s + `"`
}

// mayDefine applies access.MayDefine and says why not in the API's terms.
func mayDefine(c *call, level int, perms []access.Permission) error {
	var unheld access.UnheldError
	switch err := access.MayDefine(c.role, level, perms); {
	case err == nil:
		return nil
	case errors.Is(err, access.ErrLevelTooHigh):
		return problem.New(problem.RoleLevelTooHigh, "A role you define must sit below your own level (%d).", c.role.Level)
	case errors.As(err, &unheld):
		return &problem.Error{Code: problem.PermissionNotHeld,
			Detail:     "A role may hold only permissions you hold yourself.",
			Extensions: map[string]any{"unheld_permissions": unheld.Permissions}}
	default:
		return err
	}
}

func (s *Server) createRole(c *call) error {
	var in struct {
		roleFields
		Template *string `json:"template"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	r := access.Role{}
	if in.Template != nil {
		t, ok := access.Templates[*in.Template]
		if !ok {
			check.Add("template", "must be co_admin or manager")
		}
		if in.Level != nil || in.Permissions != nil {
			check.Add("template", "a template sets level and permissions; give only a name and description beside it")
		}
		in.check(&check, false)
		r = t
		if in.Name != nil {
			r.Name = *in.Name
		}
		if in.Description != nil {
			r.Description = *in.Description
		}
	} else {
		in.check(&check, true)
		if err := check.Err(); err != nil {
			return err
		}
		r = access.Role{Name: *in.Name, Level: *in.Level, Permissions: *in.Permissions}
		if in.Description != nil {
			r.Description = *in.Description
		}
	}
	if err := check.Err(); err != nil {
		return err
	}
	r.Name = strings.TrimSpace(r.Name)
	if err := mayDefine(c, r.Level, r.Permissions); err != nil {
		return err
	}
	r, err := s.Store.CreateRole(c.ctx(), c.member, c.role, c.org, r)
	if err != nil {
		return storeError(err, "Organization")
	}
	if c.org.CustomRoles == nil {
		c.org.CustomRoles = map[string]access.Role{}
	}
	c.org.CustomRoles[r.ID] = r
	c.w.Header().Set("Location", "/organizations/"+c.orgID+"/roles/"+r.ID)
	return c.replyVersioned(http.StatusCreated, r.Version, viewRole(c, c.org, r))
}

// mayEdit refuses built-ins and roles the caller may not edit.
func mayEdit(c *call, r access.Role) error {
	switch {
	case r.BuiltIn:
		return problem.New(problem.Forbidden, "Built-in roles are read-only; create a custom role instead.")
	case r.Deleting:
		return problem.New(problem.Conflict, "The role is being deleted.")
	case r.Level >= c.role.Level:
		return problem.New(problem.RoleLevelTooHigh, "You may change only roles below your own level (%d).", c.role.Level)
	}
	return nil
}

func (s *Server) updateRole(c *call) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	var in roleFields
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	in.check(&check, false)
	if err := check.Err(); err != nil {
		return err
	}
	cur, err := pathRole(c)
	if err != nil {
		return err
	}
	if err := mayEdit(c, cur); err != nil {
		return err
	}
	if version > 0 && version != cur.Version {
		return problem.New(problem.VersionConflict, "The role changed since version %d.", version)
	}
	next := cur
	if in.Name != nil {
		next.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		next.Description = *in.Description
	}
	if in.Level != nil {
		next.Level = *in.Level
	}
	if in.Permissions != nil {
		next.Permissions = *in.Permissions
	}
	added, removed := diff(cur.Permissions, next.Permissions)
	// Removing a permission you lack is fine (it narrows the role); adding
	// one is not.
	if err := mayDefine(c, next.Level, added); err != nil {
		return err
	}
	next, err = s.Store.UpdateRole(c.ctx(), c.member, c.role, c.org, next)
	if err != nil {
		return storeError(err, "Role")
	}
	c.org.CustomRoles[next.ID] = next
	return c.replyVersioned(http.StatusOK, next.Version, struct {
		Role            roleView            `json:"role"`
		Added           []access.Permission `json:"added"`
		Removed         []access.Permission `json:"removed"`
		AffectedMembers int                 `json:"affected_members"`
	}{viewRole(c, c.org, next), added, removed, c.org.RoleCounts[next.ID]})
}

// diff is what next adds to and removes from cur, in catalog order.
func diff(cur, next []access.Permission) (added, removed []access.Permission) {
	added, removed = []access.Permission{}, []access.Permission{}
	for _, p := range access.All() {
		in, was := slices.Contains(next, p), slices.Contains(cur, p)
		switch {
		case in && !was:
			added = append(added, p)
		case was && !in:
			removed = append(removed, p)
		}
	}
	return added, removed
}

func (s *Server) deleteRole(c *call) error {
	q, err := query(c.r, "reassign_to")
	if err != nil {
		return err
	}
	r, err := pathRole(c)
	if err != nil {
		return err
	}
	if r.BuiltIn {
		return problem.New(problem.Forbidden, "Built-in roles are read-only.")
	}
	if r.Level >= c.role.Level {
		return problem.New(problem.RoleLevelTooHigh, "You may delete only roles below your own level (%d).", c.role.Level)
	}
	to, ok := q["reassign_to"]
	if !ok {
		if err := s.Store.DeleteRole(c.ctx(), c.member, c.role, c.org, r.ID); err != nil {
			return storeError(err, "Role")
		}
		return c.noContent()
	}
	target, known := c.org.Role(to[0])
	switch {
	case !known || target.Deleting || target.ID == r.ID:
		return &problem.Error{Code: problem.UnknownRole, Detail: "reassign_to must name another role of this organization.",
			Fields: []problem.FieldError{{Field: "reassign_to", Message: "is not a role of this organization"}}}
	case target.ID == access.Owner || !access.MayGrant(c.role.Level, target.Level) || !c.can(access.MembersUpdate):
		return problem.New(problem.Forbidden, "You may move the role's holders only to a role you may assign, below owner.")
	}
	if err := s.Store.ReassignRole(c.ctx(), c.member, c.role, c.org, r.ID, target.ID); err != nil {
		return storeError(err, "Role")
	}
	return c.noContent()
}

// knownRole resolves a role id a request gives (a member's new role, an
// invitation's role) in the caller's org; 400 unknown_role otherwise, so a
// role id from another org is refused and nothing changes.
func knownRole(c *call, field, id string) (access.Role, error) {
	r, ok := c.org.Role(id)
	if !ok || r.Deleting || (!ids.Valid(ids.Role, id) && !r.BuiltIn) {
		return access.Role{}, &problem.Error{Code: problem.UnknownRole,
			Detail: "The role is not a role of this organization (owner, admin, member or a custom role id).",
			Fields: []problem.FieldError{{Field: field, Message: "is not a role of this organization"}}}
	}
	return r, nil
}
