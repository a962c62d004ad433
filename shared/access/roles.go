package access

import (
	"slices"
)

// Find resolves a role id among the built-ins and an org's custom roles.
func Find(id string, custom map[string]Role) (Role, bool) {
	if r, ok := BuiltIn(id); ok {
		return r, true
	}
	r, ok := custom[id]
	return r, ok
}

// Templates are the custom roles the seeds' hierarchy asks for, made in
// one call: Co-Admin manages members and assigns Manager and below;
// Manager views members and invites new ones with the member role, and
// can neither edit roles nor remove anyone.
var Templates = map[string]Role{
	"co_admin": {Name: "Co-Admin", Description: "Manages members, projects and apps; assigns Manager and below.", Level: 60,
		Permissions: []Permission{OrgRead, ProjectsRead, ProjectsCreate, ProjectsManageOwn, ProjectsManage,
			MembersRead, MembersInvite, MembersUpdate, MembersRemove, RolesRead, AppsRead, AppsManage, ActivityRead}},
	"manager": {Name: "Manager", Description: "Views members and invites new ones; cannot edit roles or remove anyone.", Level: 40,
		Permissions: []Permission{OrgRead, ProjectsRead, MembersRead, MembersInvite, RolesRead}},
}

// UnheldError names the permissions an actor tried to put into a role (or
// an API key) without holding them.
type UnheldError struct {
	Permissions []Permission
}

func (e UnheldError) Error() string { return "access: permissions not held" }

// MayDefine is the one rule for creating or editing a role: its level must
// be below the actor's own, and it may hold only permissions the actor
// holds. It returns ErrLevelTooHigh or an UnheldError, or nil.
func MayDefine(actor Role, level int, perms []Permission) error {
	if level >= actor.Level {
		return ErrLevelTooHigh
	}
	return MayHold(actor, perms)
}

// MayHold reports the permissions of perms that actor lacks (an
// UnheldError), or nil when it holds them all.
func MayHold(actor Role, perms []Permission) error {
	var unheld []Permission
	for _, p := range perms {
		if !actor.Can(p) && !slices.Contains(unheld, p) {
			unheld = append(unheld, p)
		}
	}
	if len(unheld) > 0 {
		return UnheldError{Permissions: unheld}
	}
	return nil
}

// CanAssign reports whether a holder of actor may give target to someone,
// by invitation or by a role change.
func CanAssign(actor, target Role) bool {
	return MayInvite(actor, target) == nil || (actor.Can(MembersUpdate) && MayGrant(actor.Level, target.Level))
}

// CanEdit reports whether a holder of actor may edit or delete target:
// custom roles below the actor's own level, with roles:manage.
func CanEdit(actor, target Role) bool {
	return !target.BuiltIn && actor.Can(RolesManage) && target.Level < actor.Level
}

// Granters are the roles (built-in and custom) whose holders may invite
// someone with target (MayInvite).
func Granters(target Role, custom map[string]Role) []string {
	var ids []string
	for _, r := range BuiltIns {
		if MayInvite(r, target) == nil {
			ids = append(ids, r.ID)
		}
	}
	for id, r := range custom {
		if MayInvite(r, target) == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Sorted returns the roles highest level first, then by name: the order
// the roles page lists them in.
func Sorted(roles []Role) []Role {
	return slices.SortedStableFunc(slices.Values(roles), func(a, b Role) int {
		if a.Level != b.Level {
			return b.Level - a.Level
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
}
