package ddb

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/orgs"
)

// What the invitee does with a token: preview, accept or decline. Each
// acts only while the invitation is pending, unexpired and on the token
// presented (a resend retires the old one).

// InvitationByToken finds the invitation a token's hash names, and its org.
func (s *Store) InvitationByToken(ctx context.Context, tokenHash string) (invites.Invitation, orgs.Organization, error) {
	var look inviteTokenRecord
	if err := s.get(ctx, key(inviteTokenPK(tokenHash), tokenSK), &look); err != nil {
		return invites.Invitation{}, orgs.Organization{}, err
	}
	return s.invitationWithOrg(ctx, look.OrgID, look.InvitationID)
}

// invitationWithOrg reads an invitation and its org in one round trip.
// A deleted or deleting org hides its invitations (ErrNotFound).
func (s *Store) invitationWithOrg(ctx context.Context, orgID, invID string) (invites.Invitation, orgs.Organization, error) {
	invKey := key(orgPK(orgID), invitationSK(invID))
	found, err := s.getMany(ctx, []map[string]types.AttributeValue{orgKey(orgID), invKey}, true)
	if err != nil {
		return invites.Invitation{}, orgs.Organization{}, err
	}
	o, err := found.org(orgID)
	if err != nil {
		return invites.Invitation{}, orgs.Organization{}, err
	}
	var rec invitationRecord
	if ok, err := found.decode(invKey, &rec); err != nil || !ok {
		return invites.Invitation{}, orgs.Organization{}, orNotFound(err)
	}
	return rec.invitation(), o, nil
}

// usable is the condition for using a token: its invitation is pending,
// unexpired and on that token.
func usable(tokenHash string, now time.Time) cond {
	return attrIs("status", invites.Pending).and(attrAfter("expires_at", sortableStamp(now)), attrIs(lookupPKAttr, inviteTokenPK(tokenHash)))
}

// unusable explains a token whose invitation failed usable.
func unusable(tokenHash string, now time.Time) explained {
	return func(old item) error {
		if old == nil {
			return ErrNotFound
		}
		var rec invitationRecord
		if err := attributevalue.UnmarshalMap(old, &rec); err != nil {
			return err
		}
		if st := rec.invitation().StatusAt(now); st != invites.Pending {
			return InvitationStatusError{st}
		}
		if rec.LookupPK != inviteTokenPK(tokenHash) {
			// Pending and unexpired, so the token was rotated by a resend.
			return InvitationStatusError{Superseded}
		}
		return ErrVersionConflict // changed meanwhile (its role reassigned)
	}
}

// AcceptInvitation makes u a member with the invitation's role. One
// transaction closes the invitation (still usable on the presented token),
// puts the membership, hands the email guard from the invitation to the
// member, moves the org's counters (the seat stays taken) and holds the
// inviter to their authority: of concurrent accepts exactly one lands.
func (s *Store) AcceptInvitation(ctx context.Context, inv invites.Invitation, org orgs.Organization, tokenHash string, u orgs.User) (orgs.Member, error) {
	now := s.now()
	m := orgs.Member{OrganizationID: inv.OrganizationID, UserID: u.ID, Email: inv.Email, Name: u.Name,
		Role: inv.Role, RoleExpiresAt: inv.RoleExpiresAt, Status: orgs.StatusActive, JoinedAt: now, Version: 1}
	target, ok := org.Role(inv.Role)
	if !ok || target.Deleting {
		return orgs.Member{}, ErrRolesChanged
	}
	closed := newUpdate().setValue("status", invites.Accepted).setValue("responded_at", stamp(now)).
		setValue("updated_at", stamp(now)).setValue("accepted_by", u.ID).setValue("ttl", now.Add(closedRetention).Unix()).bump()
	d := counts{members: 1, invites: -1, owners: b2i(activeOwner(m.Role, m.Status)), roles: map[string]int{m.Role: 1},
		inviteRoles: map[string]int{m.Role: -1}}
	err := s.txn().
		// As read: a role reassignment moves the invitation's version.
		update(invitationKey(inv), closed, usable(tokenHash, now).and(versionIs(inv.Version)), unusable(tokenHash, now)).
		put(marshal(newMemberRecord(m)), notExists, ErrAlreadyMember).
		update(key(orgPK(inv.OrganizationID), emailSK(email.Address(inv.Email))), newUpdate().setValue("owner", u.ID), attrIs("owner", inv.ID), ErrEmailGuardLost).
		update(orgKey(inv.OrganizationID), s.counters(d), all(orgActive, roleUsable(m.Role), grantersAt(target, org.CustomRoles)),
			rolesOr(m.Role, access.Role{}, ErrInviterVoid)).
		check(memberKey(inv.OrganizationID, inv.InviterID), inviterMayGrant(target, org.CustomRoles), ErrInviterVoid).
		record(event(inv.OrganizationID, userActor(u), activity.InvitationAccepted, invitationTarget(inv), memberTarget(m))).
		run(ctx)
	if err != nil {
		return orgs.Member{}, err
	}
	return m, nil
}

// inviterMayGrant holds an invitation to the authority it was sent with:
// its inviter (the last to send it) must still be an active member whose
// role may grant the invited role. Removing, deactivating or demoting
// someone so voids the invitations they sent.
func inviterMayGrant(target access.Role, custom map[string]access.Role) cond {
	return memberActive.and(oneOf("role", access.Granters(target, custom)))
}

// grantersAt holds the custom roles among target's granters at the
// version read, so none lost the right to grant it meanwhile.
func grantersAt(target access.Role, custom map[string]access.Role) cond {
	var c []cond
	for _, id := range access.Granters(target, custom) {
		if r, ok := custom[id]; ok {
			c = append(c, authorityAt(r))
		}
	}
	return all(c...)
}

// DeclineInvitation closes a pending invitation on the invitee's word,
// releasing its seat and email.
func (s *Store) DeclineInvitation(ctx context.Context, inv invites.Invitation, tokenHash string, by activity.Actor) error {
	now := s.now()
	return s.closing(inv, invites.Declined, now, usable(tokenHash, now), unusable(tokenHash, now)).
		record(event(inv.OrganizationID, by, activity.InvitationDeclined, invitationTarget(inv))).
		run(ctx)
}
