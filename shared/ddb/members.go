package ddb

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// GetMember reads one membership with a consistent read: it is the
// tenant-isolation check every org-scoped request makes first.
func (s *Store) GetMember(ctx context.Context, orgID, userID string) (orgs.Member, error) {
	var rec memberRecord
	if err := s.get(ctx, orgPK(orgID), memberSK(userID), &rec); err != nil {
		return orgs.Member{}, err
	}
	return rec.member(), nil
}

// MemberAndOrg reads a membership and its org's status in one consistent
// BatchGetItem: the admission check of every org-scoped request. The
// status is "" when the org does not exist.
func (s *Store) MemberAndOrg(ctx context.Context, orgID, userID string) (orgs.Member, string, error) {
	found, err := s.getMany(ctx, []map[string]types.AttributeValue{key(orgPK(orgID), memberSK(userID)), key(orgPK(orgID), orgSK)}, true)
	if err != nil {
		return orgs.Member{}, "", err
	}
	status := ""
	if item, ok := found[orgPK(orgID)+"|"+orgSK]; ok {
		status = (&oldItem{item: item}).attr("status")
	}
	item, ok := found[orgPK(orgID)+"|"+memberSK(userID)]
	if !ok {
		return orgs.Member{}, status, ErrNotFound
	}
	var rec memberRecord
	if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
		return orgs.Member{}, status, err
	}
	return rec.member(), status, nil
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
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :member)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(orgPK(orgID)), ":member": str("MEMBER#")},
		ConsistentRead:            aws.Bool(true),
	}
	var conds []string
	names := map[string]string{}
	if f.Query != "" {
		conds = append(conds, "(contains(name_lc, :q) OR contains(email, :q))")
		in.ExpressionAttributeValues[":q"] = str(lower(f.Query))
	}
	if f.Role != "" {
		conds = append(conds, "#role = :role")
		names["#role"] = "role"
		in.ExpressionAttributeValues[":role"] = str(f.Role)
	}
	if f.Status != "" {
		conds = append(conds, "#status = :status")
		names["#status"] = "status"
		in.ExpressionAttributeValues[":status"] = str(f.Status)
	}
	if len(conds) > 0 {
		in.FilterExpression = aws.String(strings.Join(conds, " AND "))
		in.ExpressionAttributeNames = nonEmpty(names)
	}
	members, next, err := queryRecords(ctx, s, in, page, memberRecord.member)
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
		keys[i] = key(userPK(m.UserID), profileSK)
	}
	found, err := s.getMany(ctx, keys, false)
	if err != nil {
		return err
	}
	for i, m := range members {
		var rec userRecord
		if item, ok := found[userPK(m.UserID)+"|"+profileSK]; ok && attributevalue.UnmarshalMap(item, &rec) == nil {
			members[i].LastLoginAt = parseStamp(rec.LastLoginAt)
		}
	}
	return nil
}

// GetMemberWithLogin reads one membership and its user's last login.
func (s *Store) GetMemberWithLogin(ctx context.Context, orgID, userID string) (orgs.Member, error) {
	found, err := s.getMany(ctx, []map[string]types.AttributeValue{key(orgPK(orgID), memberSK(userID)), key(userPK(userID), profileSK)}, true)
	if err != nil {
		return orgs.Member{}, err
	}
	var rec memberRecord
	item, ok := found[orgPK(orgID)+"|"+memberSK(userID)]
	if !ok {
		return orgs.Member{}, ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
		return orgs.Member{}, err
	}
	m := rec.member()
	var u userRecord
	if item, ok := found[userPK(userID)+"|"+profileSK]; ok && attributevalue.UnmarshalMap(item, &u) == nil {
		m.LastLoginAt = parseStamp(u.LastLoginAt)
	}
	return m, nil
}

// activeOwner reports whether the membership counts toward owner_count.
func activeOwner(role, status string) bool {
	return role == access.Owner && status == orgs.StatusActive
}

// orgCounterUpdate changes an org's counters by deltas in one update
// action. Losing an active owner is conditioned on another remaining.
type orgCounterUpdate struct {
	members, invites, seats, owners int
	roles                           map[string]int
}

func (s *Store) counterAction(orgID string, d orgCounterUpdate) types.TransactWriteItem {
	u := newUpdate()
	if d.members != 0 {
		u.add("member_count", int64(d.members))
	}
	if d.invites != 0 {
		u.add("invite_count", int64(d.invites))
	}
	if d.seats != 0 {
		u.add("seat_count", int64(d.seats))
	}
	if d.owners != 0 {
		u.add("owner_count", int64(d.owners))
	}
	for role, delta := range d.roles {
		if delta == 0 {
			continue
		}
		u.names["#rc"] = "role_counts"
		name, val := u.placeholders(role)
		u.values[val] = num(int64(delta))
		u.adds = append(u.adds, "#rc."+name+" "+val)
	}
	u.setValue("updated_at", stamp(s.now()))
	cond := "attribute_exists(PK)"
	if d.owners < 0 {
		cond += " AND owner_count > :one"
		u.values[":one"] = num(1)
	}
	return s.update(key(orgPK(orgID), orgSK), u.String(), cond, u.names, u.values)
}

// memberAt conditions an action on the membership being exactly as read.
func (s *Store) memberAt(m orgs.Member) (string, map[string]types.AttributeValue) {
	return "version = :mv", map[string]types.AttributeValue{":mv": num(m.Version)}
}

// actorCheck conditions a transaction on the actor still holding their
// role, so a demoted admin's in-flight change cannot land.
func (s *Store) actorCheck(actor orgs.Member) types.TransactWriteItem {
	return s.check(key(orgPK(actor.OrganizationID), memberSK(actor.UserID)), "#r = :r AND #st = :active",
		map[string]string{"#r": "role", "#st": "status"},
		map[string]types.AttributeValue{":r": str(actor.Role), ":active": str(orgs.StatusActive)})
}

// ChangeMember sets a member's role and status. The transaction holds the
// target at the version read, the actor in their role, and the org's
// counters — the last active owner cannot be demoted or deactivated.
func (s *Store) ChangeMember(ctx context.Context, actor, target orgs.Member, role, status string) (orgs.Member, error) {
	d := orgCounterUpdate{roles: map[string]int{}}
	if role != target.Role {
		d.roles[target.Role]--
		d.roles[role]++
	}
	d.owners = b2i(activeOwner(role, status)) - b2i(activeOwner(target.Role, target.Status))
	cond, vals := s.memberAt(target)
	vals[":role"], vals[":status"] = str(role), str(status)
	items := []types.TransactWriteItem{
		s.update(key(orgPK(target.OrganizationID), memberSK(target.UserID)),
			"SET #r = :role, #st = :status ADD version :one", cond,
			map[string]string{"#r": "role", "#st": "status"}, withOne(vals)),
		s.counterAction(target.OrganizationID, d),
	}
	if actor.UserID != target.UserID {
		items = append(items, s.actorCheck(actor))
	}
	err := s.transact(ctx, items)
	switch {
	case failedAt(err, 0):
		return orgs.Member{}, goneOrChanged(err, "Member")
	case failedAt(err, 1):
		return orgs.Member{}, lastOwner()
	case failedAt(err, 2):
		return orgs.Member{}, problem.New(problem.Conflict, "Your own role changed; retry.")
	case err != nil:
		return orgs.Member{}, err
	}
	target.Role, target.Status, target.Version = role, status, target.Version+1
	return target, nil
}

// RemoveMember deletes a membership and its email guard. Leaving is
// removing oneself (actor == target).
func (s *Store) RemoveMember(ctx context.Context, actor, target orgs.Member) error {
	cond, vals := s.memberAt(target)
	items := []types.TransactWriteItem{
		s.del(key(orgPK(target.OrganizationID), memberSK(target.UserID)), cond, nil, vals),
		s.counterAction(target.OrganizationID, orgCounterUpdate{members: -1, seats: -1,
			owners: -b2i(activeOwner(target.Role, target.Status)), roles: map[string]int{target.Role: -1}}),
		s.del(key(orgPK(target.OrganizationID), emailSK(target.Email)), "", nil, nil),
	}
	if actor.UserID != target.UserID {
		items = append(items, s.actorCheck(actor))
	}
	err := s.transact(ctx, items)
	switch {
	case failedAt(err, 0):
		return goneOrChanged(err, "Member")
	case failedAt(err, 1):
		return lastOwner()
	case failedAt(err, 3):
		return problem.New(problem.Conflict, "Your own role changed; retry.")
	}
	if err != nil {
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
	oc, ov := s.memberAt(owner)
	tc, tv := s.memberAt(target)
	tv[":active"] = str(orgs.StatusActive)
	roles := map[string]int{target.Role: -1, access.Owner: 1}
	roles[access.Owner]--
	roles[access.Admin]++
	err := s.transact(ctx, []types.TransactWriteItem{
		s.update(key(orgPK(owner.OrganizationID), memberSK(owner.UserID)), "SET #r = :admin ADD version :one",
			oc+" AND #r = :owner", map[string]string{"#r": "role"},
			withOne(merge(ov, map[string]types.AttributeValue{":admin": str(access.Admin), ":owner": str(access.Owner)}))),
		s.update(key(orgPK(target.OrganizationID), memberSK(target.UserID)), "SET #r = :owner ADD version :one",
			tc+" AND #st = :active", map[string]string{"#r": "role", "#st": "status"},
			withOne(merge(tv, map[string]types.AttributeValue{":owner": str(access.Owner)}))),
		s.counterAction(owner.OrganizationID, orgCounterUpdate{roles: roles}),
	})
	switch {
	case failedAt(err, 0):
		return orgs.Member{}, orgs.Member{}, problem.New(problem.Conflict, "Your membership changed; retry.")
	case failedAt(err, 1):
		return orgs.Member{}, orgs.Member{}, goneOrChanged(err, "Member")
	case err != nil:
		return orgs.Member{}, orgs.Member{}, err
	}
	owner.Role, owner.Version = access.Admin, owner.Version+1
	target.Role, target.Version = access.Owner, target.Version+1
	return owner, target, nil
}

func (s *Store) clearActiveOrg(ctx context.Context, userID, orgID string) {
	_, _ = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(userPK(userID), profileSK),
		UpdateExpression:          aws.String("REMOVE active_organization_id, active_project_id"),
		ConditionExpression:       aws.String("active_organization_id = :org"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":org": str(orgID)},
	})
}

// goneOrChanged explains a failed condition on an item read earlier: it
// was deleted meanwhile (404) or changed (412).
func goneOrChanged(err error, what string) error {
	var f *txFailure
	if errors.As(err, &f) && f.Item == nil {
		return problem.NotFoundf(what)
	}
	return problem.New(problem.VersionConflict, "The %s changed since you read it; read it again.", strings.ToLower(what))
}

func lastOwner() error {
	return problem.New(problem.LastOwner, "An organization must keep at least one active owner.")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func withOne(v map[string]types.AttributeValue) map[string]types.AttributeValue {
	v[":one"] = num(1)
	return v
}

func merge(a, b map[string]types.AttributeValue) map[string]types.AttributeValue {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// AddMember makes a user a member of an org with a role, taking a seat:
// the membership, the user's email guard and the org's counters move in
// one transaction, conditioned on the seat limit of the org's plan.
func (s *Store) AddMember(ctx context.Context, orgID string, u orgs.User, role string) (orgs.Member, error) {
	m := orgs.Member{OrganizationID: orgID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: role,
		Status: orgs.StatusActive, JoinedAt: s.now(), Version: 1}
	counters := s.counterAction(orgID, orgCounterUpdate{members: 1, seats: 1,
		owners: b2i(activeOwner(role, m.Status)), roles: map[string]int{role: 1}})
	counters.Update.ConditionExpression = aws.String(*counters.Update.ConditionExpression +
		" AND #ost = :oactive AND (attribute_not_exists(seat_limit) OR seat_count < seat_limit)")
	counters.Update.ExpressionAttributeNames = merge2(counters.Update.ExpressionAttributeNames, map[string]string{"#ost": "status"})
	counters.Update.ExpressionAttributeValues[":oactive"] = str(orgs.OrgActive)
	err := s.transact(ctx, []types.TransactWriteItem{
		s.put(marshal(newMemberRecord(m)), "attribute_not_exists(PK)", nil, nil),
		s.put(marshal(guardRecord{PK: orgPK(orgID), SK: emailSK(u.Email), Type: TypeEmailGuard, Owner: u.ID}), "attribute_not_exists(PK)", nil, nil),
		counters,
	})
	var f *txFailure
	switch {
	case errors.As(err, &f) && f.Index < 2:
		return orgs.Member{}, problem.New(problem.AlreadyMember, "%s is already a member or invited.", u.Email)
	case errors.As(err, &f) && (f.Item == nil || (&oldItem{item: f.Item}).attr("status") != orgs.OrgActive):
		return orgs.Member{}, ErrNotFound
	case errors.As(err, &f):
		return orgs.Member{}, quotaExceeded("members")
	}
	return m, err
}

func merge2(a, b map[string]string) map[string]string {
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}
