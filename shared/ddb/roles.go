package ddb

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/orgs"
)

// Custom roles live on the org item, in custom_roles (id → role, each
// with its own version), beside role_counts (members per role),
// invite_role_counts (pending invitations per role) and role_count under
// role_limit. Admission therefore resolves a custom role in the read it
// makes anyway. A write that acted on what a role allowed holds that role
// at the version read (authorityAt), and a write that gives a role holds
// it usable (roleUsable), both on the org item it updates anyway. A name
// guard (ORG#<org> / ROLENAME#<name>) keeps names unique per org, ignoring
// case.

type roleRecord struct {
	Name        string   `dynamodbav:"name"`
	Description string   `dynamodbav:"description"`
	Level       int      `dynamodbav:"level"`
	Permissions []string `dynamodbav:"permissions"`
	// Deleting marks a role whose holders are being moved to another
	// role: it can no longer be given, and it goes once nobody holds it.
	Deleting  bool   `dynamodbav:"deleting,omitempty"`
	CreatedAt string `dynamodbav:"created_at"`
	UpdatedAt string `dynamodbav:"updated_at"`
	Version   int64  `dynamodbav:"version"`
}

func newRoleRecord(r access.Role, now string) roleRecord {
	perms := make([]string, len(r.Permissions))
	for i, p := range r.Permissions {
		perms[i] = string(p)
	}
	return roleRecord{Name: r.Name, Description: r.Description, Level: r.Level, Permissions: perms, CreatedAt: now, UpdatedAt: now,
		Version: r.Version}
}

func customRoles(recs map[string]roleRecord) map[string]access.Role {
	out := make(map[string]access.Role, len(recs))
	for id, r := range recs {
		perms := make([]access.Permission, len(r.Permissions))
		for i, p := range r.Permissions {
			perms[i] = access.Permission(p)
		}
		out[id] = access.Role{ID: id, Name: r.Name, Description: r.Description, Level: r.Level, Permissions: perms,
			Deleting: r.Deleting, Version: r.Version}
	}
	return out
}

func roleNameGuard(org, name, role string) guardRecord {
	return guardRecord{PK: orgPK(org), SK: roleNameSK(name), Type: TypeRoleNameGuard, Owner: role}
}

// roleUsable: the role exists on the org item and is not being deleted.
func roleUsable(id string) cond {
	if _, ok := access.BuiltIn(id); ok {
		return exists
	}
	return has("custom_roles", id).and(func(e *expr) string {
		return "NOT " + e.path("custom_roles", id, "deleting") + " = " + e.value(&types.AttributeValueMemberBOOL{Value: true})
	})
}

// authorityAt: the actor's role allows what it allowed when admission
// read it: a custom role still at its version. Built-ins never change.
func authorityAt(r access.Role) cond {
	if r.BuiltIn || !ids.Valid(ids.Role, r.ID) { // a built-in, or an API key's own permissions
		return nil
	}
	return has("custom_roles", r.ID).and(func(e *expr) string {
		return e.path("custom_roles", r.ID, "version") + " = " + e.value(num(r.Version))
	})
}

// rolesOr explains a failed condition on the org item of a write that
// held roles as read: the org is gone (ErrNotFound), the role it gives is
// gone or being deleted (ErrRolesChanged), the actor's role changed
// (ErrActorChanged), or else err.
func rolesOr(give string, actor access.Role, err error) explained {
	return func(old item) error {
		var o orgRecord
		if old == nil || unmarshalItem(old, &o) != nil || o.Status != orgs.OrgActive {
			return ErrNotFound
		}
		if r, ok := o.CustomRoles[give]; give != "" && !isBuiltIn(give) && (!ok || r.Deleting) {
			return ErrRolesChanged
		}
		if r, ok := o.CustomRoles[actor.ID]; !actor.BuiltIn && ids.Valid(ids.Role, actor.ID) && (!ok || r.Version != actor.Version) {
			return ErrActorChanged
		}
		return err
	}
}

func isBuiltIn(id string) bool {
	_, ok := access.BuiltIn(id)
	return ok
}

// CreateRole adds a custom role to the actor's org: one transaction adds
// it to the org item under the plan's role limit, puts its name guard and
// holds the actor in their role (authority as read).
func (s *Store) CreateRole(ctx context.Context, actor orgs.Member, authority access.Role, org orgs.Organization, r access.Role) (access.Role, error) {
	now := stamp(s.now())
	r.ID, r.BuiltIn, r.Version = ids.New(ids.Role), false, 1
	u := newUpdate().setIn(newRoleRecord(r, now), "custom_roles", r.ID).add(1, "role_count").
		setIn(0, "role_counts", r.ID).setIn(0, "invite_role_counts", r.ID).setValue("updated_at", now)
	err := s.txn().
		update(orgKey(org.ID), u, all(orgActive, roomFor(roleRoom), authorityAt(authority)),
			rolesOr("", authority, QuotaError{roleRoom.resource})).
		put(marshal(roleNameGuard(org.ID, r.Name, r.ID)), notExists, ErrRoleNameTaken).
		actorHolds(actor).
		record(memberEvent(actor, activity.RoleCreated, roleTarget(r)).With(activity.Changes{}.
			Note("level", nil, r.Level).Note("permissions", nil, permissionNames(r.Permissions)))).
		run(ctx)
	if err != nil {
		return access.Role{}, err
	}
	return r, nil
}

// UpdateRole replaces a custom role's name, description, level and
// permissions (next holds them all), renaming its name guard when the
// name changes, and returns it at its new version. The role must still
// be at the version admission read (next.Version), so If-Match holds.
// Memberships and invitations hold the role's id, so nothing else moves.
func (s *Store) UpdateRole(ctx context.Context, actor orgs.Member, authority access.Role, org orgs.Organization, next access.Role) (access.Role, error) {
	cur, ok := org.CustomRoles[next.ID]
	if !ok || cur.Deleting {
		return access.Role{}, ErrNotFound
	}
	now := stamp(s.now())
	rec := newRoleRecord(next, now)
	u := newUpdate().setIn(rec.Name, "custom_roles", next.ID, "name").setIn(rec.Description, "custom_roles", next.ID, "description").
		setIn(rec.Level, "custom_roles", next.ID, "level").setIn(rec.Permissions, "custom_roles", next.ID, "permissions").
		setIn(now, "custom_roles", next.ID, "updated_at").add(1, "custom_roles", next.ID, "version").
		setValue("updated_at", now)
	at := func(e *expr) string {
		return e.path("custom_roles", next.ID, "version") + " = " + e.value(num(next.Version))
	}
	t := s.txn().
		update(orgKey(org.ID), u, all(orgActive, roleUsable(next.ID), at, authorityAt(authority)), explained(func(old item) error {
			var o orgRecord
			if old == nil || unmarshalItem(old, &o) != nil || o.Status != orgs.OrgActive {
				return ErrNotFound
			}
			if r, ok := o.CustomRoles[next.ID]; !ok || r.Deleting {
				return ErrNotFound
			} else if r.Version != next.Version {
				return ErrVersionConflict
			}
			return rolesOr("", authority, ErrRolesChanged)(old)
		})).
		actorHolds(actor).
		record(memberEvent(actor, activity.RoleUpdated, roleTarget(next)).With(activity.Changes{}.
			Note("name", cur.Name, next.Name).Note("description", cur.Description, next.Description).
			Note("level", cur.Level, next.Level).
			Note("permissions", permissionNames(cur.Permissions), permissionNames(next.Permissions))))
	if !strings.EqualFold(cur.Name, next.Name) {
		t.del(key(orgPK(org.ID), roleNameSK(cur.Name)), attrIs("owner", next.ID), ErrRolesChanged).
			put(marshal(roleNameGuard(org.ID, next.Name, next.ID)), notExists, ErrRoleNameTaken)
	} else if cur.Name != next.Name { // a change of case keeps the guard
		t.check(key(orgPK(org.ID), roleNameSK(cur.Name)), attrIs("owner", next.ID), ErrRolesChanged)
	}
	if err := t.run(ctx); err != nil {
		return access.Role{}, err
	}
	next.Version++
	return next, nil
}

// RoleInUseError: a role still has holders, so it cannot simply go.
type RoleInUseError struct {
	Members, Invitations int
}

func (e RoleInUseError) Error() string { return "ddb: role in use" }

// DeleteRole removes a custom role that nobody holds: its entry, its
// counters and its name guard, in one transaction conditioned on no
// member and no pending invitation holding it (RoleInUseError otherwise),
// so an assignment racing the delete either lands first (and the delete
// is refused) or fails on the role being gone.
func (s *Store) DeleteRole(ctx context.Context, actor orgs.Member, authority access.Role, org orgs.Organization, roleID string) error {
	return s.deleteRole(ctx, actor, authority, org, roleID, nil)
}

// deleteRole is DeleteRole recording the changes that came with it (the
// role its holders were moved to).
func (s *Store) deleteRole(ctx context.Context, actor orgs.Member, authority access.Role, org orgs.Organization, roleID string, changes activity.Changes) error {
	r, ok := org.CustomRoles[roleID]
	if !ok {
		return ErrNotFound
	}
	u := newUpdate().removeIn("custom_roles", roleID).removeIn("role_counts", roleID).removeIn("invite_role_counts", roleID).
		add(-1, "role_count").setValue("updated_at", stamp(s.now()))
	return s.txn().
		update(orgKey(org.ID), u, all(orgActive, has("custom_roles", roleID), noneCounted("role_counts", roleID),
			noneCounted("invite_role_counts", roleID), authorityAt(authority)),
			explained(func(old item) error {
				if old == nil || old.str("status") != orgs.OrgActive {
					return ErrNotFound
				}
				var o orgRecord
				if err := unmarshalItem(old, &o); err != nil {
					return err
				}
				if _, ok := o.CustomRoles[roleID]; !ok {
					return ErrNotFound
				}
				if o.RoleCounts[roleID] > 0 || o.InviteRoleCounts[roleID] > 0 {
					return RoleInUseError{Members: o.RoleCounts[roleID], Invitations: o.InviteRoleCounts[roleID]}
				}
				return ErrActorChanged
			})).
		del(key(orgPK(org.ID), roleNameSK(r.Name)), attrIs("owner", roleID), nil).
		actorHolds(actor).
		record(memberEvent(actor, activity.RoleDeleted, roleTarget(r)).With(changes)).
		run(ctx)
}

func roleTarget(r access.Role) activity.Target {
	return activity.Target{Type: activity.TargetRole, ID: r.ID, Name: r.Name}
}

// permissionNames are a role's permissions as the API lists them, sorted.
func permissionNames(ps []access.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	slices.Sort(out)
	return out
}

// maxMovesPerTransaction bounds the holders one reassignment transaction
// moves (each is one action, beside the org's counters).
const maxMovesPerTransaction = 40

// ReassignRole moves every holder of a custom role (members and pending
// invitations) to another role, then deletes it. It first marks the role
// deleting, so no racing request can give it; then moves holders in
// bounded transactions, each moving the counters with them, so at every
// moment each holder holds a role that exists. A run cut short leaves the
// role marked and held by the rest: sending the delete again resumes.
func (s *Store) ReassignRole(ctx context.Context, actor orgs.Member, authority access.Role, org orgs.Organization, roleID, to string) error {
	r, ok := org.CustomRoles[roleID]
	if !ok {
		return ErrNotFound
	}
	if !r.Deleting {
		// Marking moves the role's version, so a write holding it (an
		// assignment admitted before) fails and is refused.
		mark := newUpdate().setIn(true, "custom_roles", roleID, "deleting").add(1, "custom_roles", roleID, "version")
		err := s.txn().
			update(orgKey(org.ID), mark, all(orgActive, has("custom_roles", roleID), roleUsable(to), authorityAt(authority)),
				rolesOr(to, authority, ErrNotFound)).
			actorHolds(actor).
			run(ctx)
		if err != nil {
			return err
		}
	}
	if err := s.moveHolders(ctx, org.ID, roleID, to, memberSK(""), "role_counts"); err != nil {
		return err
	}
	if err := s.moveHolders(ctx, org.ID, roleID, to, invitationSK(""), "invite_role_counts"); err != nil {
		return err
	}
	// The moves belong to the delete: its one event says where they went.
	return s.deleteRole(ctx, actor, authority, org, roleID, activity.Changes{}.Note("reassigned_to", nil, to))
}

// moveHolders moves the items under prefix (memberships or invitations)
// that hold role from to `to`, with the org's per-role counter.
func (s *Store) moveHolders(ctx context.Context, orgID, role, to, prefix, counter string) error {
	q := inPartition(orgPK(orgID), prefix).where(attrIs("role", role))
	if prefix == invitationSK("") {
		q.where(attrIs("status", invites.Pending))
	}
	for {
		var holders []item
		if _, err := s.queryPage(ctx, q, Page{Limit: maxMovesPerTransaction}, func(it map[string]types.AttributeValue) error {
			holders = append(holders, it)
			return nil
		}); err != nil {
			return err
		}
		if len(holders) == 0 {
			return nil
		}
		t := s.txn()
		for _, h := range holders {
			t.update(key(orgPK(orgID), h.str("SK")), newUpdate().setValue("role", to).bump(), attrIs("role", role), errHolderMoved)
		}
		n := int64(len(holders))
		t.update(orgKey(orgID), newUpdate().add(-n, counter, role).add(n, counter, to), orgActive, ErrNotFound)
		failed, err := t.runAll(ctx)
		// A holder that changed meanwhile (removed, re-roled, closed) is
		// read again on the next round; anything else ends the move.
		if slices.ContainsFunc(failed, func(e error) bool { return !errors.Is(e, errHolderMoved) }) {
			return failed[0]
		}
		if err != nil && len(failed) == 0 {
			return err
		}
	}
}

var errHolderMoved = errors.New("ddb: a role holder changed during the move")
