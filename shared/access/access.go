// Package access owns the permission catalog, the built-in roles and the
// role templates with their levels, and the rules for who may grant,
// change, define or edit which role.
package access

import (
	"errors"
	"slices"
)

// Permission is one named capability, "resource:action".
type Permission string

// The catalog. Add new permissions here and to a Group below.
const (
	OrgRead           Permission = "organization:read"
	OrgUpdate         Permission = "organization:update"
	OrgDelete         Permission = "organization:delete"
	OrgExport         Permission = "organization:export"
	OwnershipTransfer Permission = "organization:transfer"
	ProjectsRead      Permission = "projects:read"
	ProjectsCreate    Permission = "projects:create"
	ProjectsManageOwn Permission = "projects:manage_own"
	ProjectsManage    Permission = "projects:manage"
	MembersRead       Permission = "members:read"
	MembersInvite     Permission = "members:invite"
	MembersUpdate     Permission = "members:update"
	MembersRemove     Permission = "members:remove"
	RolesRead         Permission = "roles:read"
	RolesManage       Permission = "roles:manage"
	APIKeysRead       Permission = "api_keys:read"
	APIKeysManage     Permission = "api_keys:manage"
	BillingRead       Permission = "billing:read"
	BillingManage     Permission = "billing:manage"
	CreditsSpend      Permission = "credits:spend"
	AppsRead          Permission = "apps:read"
	AppsManage        Permission = "apps:manage"
	ActivityRead      Permission = "activity:read"
	AnalyticsRead     Permission = "analytics:read"
)

// Group is a titled set of permissions, as GET /permissions shows them.
type Group struct {
	Name        string       `json:"name"`
	Permissions []Permission `json:"permissions"`
}

// Catalog is every permission, grouped.
var Catalog = []Group{
	{"organization", []Permission{OrgRead, OrgUpdate, OrgDelete, OrgExport, OwnershipTransfer}},
	{"projects", []Permission{ProjectsRead, ProjectsCreate, ProjectsManageOwn, ProjectsManage}},
	{"members", []Permission{MembersRead, MembersInvite, MembersUpdate, MembersRemove}},
	{"roles", []Permission{RolesRead, RolesManage}},
	{"api_keys", []Permission{APIKeysRead, APIKeysManage}},
	{"billing", []Permission{BillingRead, BillingManage, CreditsSpend}},
	{"apps", []Permission{AppsRead, AppsManage}},
	{"insights", []Permission{ActivityRead, AnalyticsRead}},
}

// Known reports whether p is in the catalog.
func Known(p Permission) bool {
	for _, g := range Catalog {
		if slices.Contains(g.Permissions, p) {
			return true
		}
	}
	return false
}

// All is every permission in catalog order.
func All() []Permission {
	var all []Permission
	for _, g := range Catalog {
		all = append(all, g.Permissions...)
	}
	return all
}

// Built-in role ids and levels. Custom roles sit strictly between member
// and admin.
const (
	Owner  = "owner"
	Admin  = "admin"
	Member = "member"

	OwnerLevel     = 100
	AdminLevel     = 80
	MemberLevel    = 10
	MinCustomLevel = 11
	MaxCustomLevel = 79
)

// Role is a named permission set with a level: a built-in, or an org's
// custom role (id role_…, level MinCustomLevel–MaxCustomLevel).
type Role struct {
	ID          string
	Name        string
	Description string
	Level       int
	Permissions []Permission
	BuiltIn     bool
	// Deleting: the role's holders are being moved to another role; it can
	// no longer be given.
	Deleting bool
	// Version moves on every change to a custom role (its ETag).
	Version int64
}

// Can reports whether the role grants p. Managing every project includes
// managing one's own.
func (r Role) Can(p Permission) bool {
	return slices.Contains(r.Permissions, p) || (p == ProjectsManageOwn && slices.Contains(r.Permissions, ProjectsManage))
}

func without(ps []Permission, drop ...Permission) []Permission {
	return slices.DeleteFunc(slices.Clone(ps), func(p Permission) bool { return slices.Contains(drop, p) })
}

// BuiltIns are owner (everything), admin (everything but billing, deleting
// the org and transferring ownership) and member (read the org, create
// projects and manage the ones they created).
var BuiltIns = []Role{
	{ID: Owner, Name: "Owner", Level: OwnerLevel, Permissions: All(), BuiltIn: true, Version: 1},
	{ID: Admin, Name: "Admin", Level: AdminLevel, BuiltIn: true, Version: 1,
		Permissions: without(All(), BillingManage, OrgDelete, OwnershipTransfer, OrgExport)},
	{ID: Member, Name: "Member", Level: MemberLevel, BuiltIn: true, Version: 1,
		Permissions: []Permission{OrgRead, ProjectsRead, ProjectsCreate, ProjectsManageOwn, MembersRead, RolesRead, AppsRead, ActivityRead}},
}

// BuiltIn returns the built-in role with the id.
func BuiltIn(id string) (Role, bool) {
	for _, r := range BuiltIns {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

// MayGrant reports whether an actor at level actor may give a role at
// level target (by invitation or role change): only strictly below, except
// that owners may make more owners (an org may have several).
func MayGrant(actor, target int) bool { return target < actor || actor == OwnerLevel }

// Why a role may not invite with another.
var (
	ErrCannotInvite   = errors.New("access: the role cannot invite")
	ErrMemberRoleOnly = errors.New("access: without members:update only the member role may be given")
	ErrLevelTooHigh   = errors.New("access: the role is not below the actor's own")
)

// MayInvite is the one rule for inviting: a holder of actor may invite
// someone with target if actor can invite, may grant target's level, and
// — for any role but member — may update members. nil when they may.
func MayInvite(actor, target Role) error {
	switch {
	case !actor.Can(MembersInvite):
		return ErrCannotInvite
	case target.ID != Member && !actor.Can(MembersUpdate):
		return ErrMemberRoleOnly
	case !MayGrant(actor.Level, target.Level):
		return ErrLevelTooHigh
	}
	return nil
}

// MayManage reports whether an actor at level actor may change or remove a
// member whose role is at level target: only strictly below, except that
// owners manage owners (ownership changes are guarded by the last-owner rule).
func MayManage(actor, target int) bool {
	return target < actor || (actor == OwnerLevel && target == OwnerLevel)
}
