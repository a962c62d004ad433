package ddb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/orgs"
)

// GetMember reads one membership with a consistent read: it is the
// tenant-isolation check every org-scoped request makes first.
func (s *Store) GetMember(ctx context.Context, orgID, userID string) (orgs.Member, error) {
	var rec memberRecord
	if err := s.get(ctx, memberKey(orgID, userID), &rec); err != nil {
		return orgs.Member{}, err
	}
	return rec.member(), nil
}

// MemberAndOrg reads a membership and its org in one consistent
// BatchGetItem: the admission read of every org-scoped request. The org
// comes back whatever its status (zero when it does not exist), with its
// custom roles, so admission resolves the member's role from this read.
func (s *Store) MemberAndOrg(ctx context.Context, orgID, userID string) (orgs.Member, orgs.Organization, error) {
	r := s.Reads()
	get := r.Membership(orgID, userID)
	if err := r.Run(ctx); err != nil {
		return orgs.Member{}, orgs.Organization{}, err
	}
	return get()
}

// MemberFilter narrows a member list.
type MemberFilter struct {
	Query  string // name or email contains, case-insensitive
	Role   string
	Status string
}

// ListMembers pages through an org's members in id order, each with the
// user's last login (one batch read for the page).
func (s *Store) ListMembers(ctx context.Context, orgID string, f MemberFilter, page Page) ([]orgs.Member, Position, error) {
	q := inPartition(orgPK(orgID), memberSK(""))
	if f.Query != "" {
		q.where(contains("name_lc", lower(f.Query)).or(contains("email", lower(f.Query))))
	}
	if f.Role != "" {
		q.where(attrIs("role", f.Role))
	}
	if f.Status != "" {
		q.where(attrIs("status", f.Status))
	}
	members, next, err := queryRecords(ctx, s, q, page, memberRecord.member)
	if err != nil {
		return nil, nil, err
	}
	return members, next, s.fillLastLogin(ctx, members)
}

// fillLastLogin copies each member's last login from their profile.
func (s *Store) fillLastLogin(ctx context.Context, members []orgs.Member) error {
	if len(members) == 0 {
		return nil
	}
	keys := make([]map[string]types.AttributeValue, len(members))
	for i, m := range members {
		keys[i] = profileKey(m.UserID)
	}
	found, err := s.getMany(ctx, keys, false)
	if err != nil {
		return err
	}
	for i, m := range members {
		var rec userRecord
		if ok, err := found.decode(profileKey(m.UserID), &rec); ok && err == nil {
			members[i].LastLoginAt = parseStamp(rec.LastLoginAt)
		}
	}
	return nil
}

// GetMemberWithLogin reads one membership and its user's last login.
func (s *Store) GetMemberWithLogin(ctx context.Context, orgID, userID string) (orgs.Member, error) {
	r := s.Reads()
	get := r.MemberWithLogin(orgID, userID)
	if err := r.Run(ctx); err != nil {
		return orgs.Member{}, err
	}
	return get()
}

// activeOwner reports whether the membership counts toward owner_count.
func activeOwner(role, status string) bool {
	return role == access.Owner && status == orgs.StatusActive
}

// MemberChange is a member's new role, its expiry (zero: none) and status.
type MemberChange struct {
	Role          string
	RoleExpiresAt time.Time
	Status        string
}

// ChangeMember sets a member's role (with its expiry) and status. The
// transaction holds the target at the version read, the actor in their
// role with the authority admission read (authority), the new role still
// usable, and the org's counters: the last active owner cannot be demoted
// or deactivated.
func (s *Store) ChangeMember(ctx context.Context, actor orgs.Member, authority access.Role, target orgs.Member, c MemberChange) (orgs.Member, error) {
	d := counts{roles: map[string]int{}}
	if c.Role != target.Role {
		d.roles[target.Role]--
		d.roles[c.Role]++
	}
	d.owners = b2i(activeOwner(c.Role, c.Status)) - b2i(activeOwner(target.Role, target.Status))
	u := newUpdate().setValue("role", c.Role).setValue("status", c.Status).bump()
	if c.RoleExpiresAt.IsZero() {
		u.remove("role_expires_at")
	} else {
		u.setValue("role_expires_at", stamp(c.RoleExpiresAt))
	}
	t := s.txn().
		update(memberKey(target.OrganizationID, target.UserID), u, versionIs(target.Version), goneOrChanged).
		update(orgKey(target.OrganizationID), s.counters(d), all(d.guard(), roleUsable(c.Role), authorityAt(authority)),
			rolesOr(c.Role, authority, ErrLastOwner))
	if actor.UserID != target.UserID {
		t.actorHolds(actor)
	}
	changes := activity.Changes{}.Note("role", target.Role, c.Role).Note("status", target.Status, c.Status).
		Note("role_expires_at", stampOrNil(target.RoleExpiresAt), stampOrNil(c.RoleExpiresAt))
	t.record(memberEvent(actor, memberChangeAction(changes), memberTarget(target)).With(changes))
	if err := t.run(ctx); err != nil {
		return orgs.Member{}, err
	}
	target.Role, target.RoleExpiresAt, target.Status, target.Version = c.Role, c.RoleExpiresAt, c.Status, target.Version+1
	return target, nil
}

// memberChangeAction names a member change by what it moved.
func memberChangeAction(c activity.Changes) string {
	_, role := c["role"]
	_, status := c["status"]
	switch {
	case role && status:
		return activity.MemberUpdated
	case status:
		return activity.MemberStatusChanged
	case role:
		return activity.MemberRoleChanged
	}
	return activity.MemberUpdated
}

// stampOrNil is a time as the API shows it, nil when zero.
func stampOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return stamp(t)
}

// RemoveMember deletes a membership and its email guard. Leaving is
// removing oneself (actor == target).
func (s *Store) RemoveMember(ctx context.Context, actor, target orgs.Member) error {
	d := counts{members: -1, seats: -1, owners: -b2i(activeOwner(target.Role, target.Status)), roles: map[string]int{target.Role: -1}}
	t := s.txn().
		del(memberKey(target.OrganizationID, target.UserID), versionIs(target.Version), goneOrChanged).
		update(orgKey(target.OrganizationID), s.counters(d), d.guard(), ErrLastOwner).
		del(key(orgPK(target.OrganizationID), emailSK(email.Address(target.Email))), nil, nil)
	if actor.UserID != target.UserID {
		t.actorHolds(actor).record(memberEvent(actor, activity.MemberRemoved, memberTarget(target)))
	} else {
		t.record(memberEvent(actor, activity.MemberLeft, memberTarget(target)))
	}
	if err := t.run(ctx); err != nil {
		return err
	}
	// The user's pointer at this org is cleared best-effort; a stale one
	// only fails the membership check like any other non-member org.
	s.clearActiveOrg(ctx, target.UserID, target.OrganizationID)
	return nil
}

// TransferOwnership makes target an owner and the current owner an admin,
// in one transaction holding both memberships at their versions.
func (s *Store) TransferOwnership(ctx context.Context, owner, target orgs.Member) (orgs.Member, orgs.Member, error) {
	roles := map[string]int{target.Role: -1, access.Owner: 1}
	roles[access.Owner]--
	roles[access.Admin]++
	err := s.txn().
		update(memberKey(owner.OrganizationID, owner.UserID), newUpdate().setValue("role", access.Admin).bump(),
			versionIs(owner.Version).and(attrIs("role", access.Owner)), ErrActorChanged).
		update(memberKey(target.OrganizationID, target.UserID), newUpdate().setValue("role", access.Owner).bump(),
			versionIs(target.Version).and(memberActive), goneOrChanged).
		update(orgKey(owner.OrganizationID), s.counters(counts{roles: roles}), exists, ErrNotFound).
		record(memberEvent(owner, activity.OwnershipTransferred, memberTarget(target)).With(activity.Changes{}.
			Note("owner", owner.UserID, target.UserID))).
		run(ctx)
	if err != nil {
		return orgs.Member{}, orgs.Member{}, err
	}
	owner.Role, owner.Version = access.Admin, owner.Version+1
	target.Role, target.Version = access.Owner, target.Version+1
	return owner, target, nil
}

// AddMember makes a user a member of an org with a role, taking a seat:
// the membership, the user's email guard and the org's counters move in
// one transaction, conditioned on the seat limit of the org's plan. A
// full org first gives back the seats of its expired invitations (see
// closeExpired).
func (s *Store) AddMember(ctx context.Context, orgID string, u orgs.User, role string) (orgs.Member, error) {
	for attempt := 0; ; attempt++ {
		now := s.now()
		m := orgs.Member{OrganizationID: orgID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: role,
			Status: orgs.StatusActive, JoinedAt: now, Version: 1}
		err := s.txn().
			put(marshal(newMemberRecord(m)), notExists, ErrAlreadyMember).
			put(marshal(emailGuard(orgID, email.Address(u.Email), u.ID)), notExists, ErrAlreadyMember).
			update(orgKey(orgID), s.counters(counts{members: 1, seats: 1, owners: b2i(activeOwner(role, m.Status)), roles: map[string]int{role: 1}}),
				orgActive.and(seatFree), orgGoneOr(QuotaError{seats.resource})).
			record(event(orgID, userActor(u), activity.MemberJoined, memberTarget(m))).
			run(ctx)
		if errors.Is(err, ErrQuotaExceeded) && attempt < 2 {
			expired, cerr := s.closeExpired(ctx, orgID, now)
			if cerr != nil {
				return orgs.Member{}, cerr
			}
			if expired > 0 {
				continue
			}
		}
		if err != nil {
			return orgs.Member{}, err
		}
		return m, nil
	}
}

// SetNotifications replaces m's email choices in their org (only the
// categories set are stored), recording what moved. m must still be the
// active member admission read.
func (s *Store) SetNotifications(ctx context.Context, m orgs.Member, prefs orgs.EmailPrefs) (orgs.Member, error) {
	changes := activity.Changes{}
	for _, c := range orgs.NotificationCategories {
		changes.Note("email."+c, m.Notifications.Wants(m.Role, c), prefs.Wants(m.Role, c))
	}
	err := s.txn().
		update(memberKey(m.OrganizationID, m.UserID), newUpdate().setValue("notifications", prefs).bump(),
			versionIs(m.Version).and(memberActive), goneOrChanged).
		record(memberEvent(m, activity.NotificationsSet, memberTarget(m)).With(changes)).
		run(ctx)
	if err != nil {
		return orgs.Member{}, err
	}
	m.Notifications, m.Version = prefs, m.Version+1
	return m, nil
}
