package ddb

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/orgs"
)

// Invitations. An invitation (ORG#<org> / INVITE#<inv>) names its token
// lookup (INVITE#<sha256(token)> / TOKEN) in lookup_pk; each send is a
// send request (see invitation_emails.go); its email guard is owned by the
// invitation while it is open and handed to the member on accept.
//
// While an invitation is open (stored status pending, expired or not) it
// holds a seat (seat_count, invite_count) and its email guard. Revoking,
// declining, accepting or closing it as expired releases both in the same
// transaction that changes its status.

// closedRetention is how long a closed invitation (and a token lookup)
// stays, so lists show recent history and a used token answers 410; TTL
// then removes it. An open invitation has no TTL: its seat and email
// guard must be released by a transaction, never by a silent delete.
const closedRetention = 30 * 24 * time.Hour

type invitationRecord struct {
	PK            string `dynamodbav:"PK"`
	SK            string `dynamodbav:"SK"`
	Type          string `dynamodbav:"type"`
	ID            string `dynamodbav:"id"`
	OrgID         string `dynamodbav:"organization_id"`
	Email         string `dynamodbav:"email"`
	Name          string `dynamodbav:"name,omitempty"`
	Role          string `dynamodbav:"role"`
	RoleExpiresAt string `dynamodbav:"role_expires_at,omitempty"`
	Status        string `dynamodbav:"status"`
	InviterID     string `dynamodbav:"inviter_id"`
	InviterName   string `dynamodbav:"inviter_name"`
	SendNonce     string `dynamodbav:"send_nonce"`
	SendCount     int    `dynamodbav:"send_count"`
	LookupPK      string `dynamodbav:"lookup_pk"`
	LookupSK      string `dynamodbav:"lookup_sk"`
	// ExpiresAt is fixed-width so conditions compare it as a string.
	ExpiresAt   string `dynamodbav:"expires_at"`
	RespondedAt string `dynamodbav:"responded_at,omitempty"`
	AcceptedBy  string `dynamodbav:"accepted_by,omitempty"`
	CreatedAt   string `dynamodbav:"created_at"`
	UpdatedAt   string `dynamodbav:"updated_at"`
	TTL         int64  `dynamodbav:"ttl,omitempty"`
	Version     int64  `dynamodbav:"version"`
}

func newInvitationRecord(i invites.Invitation, tokenHash string) invitationRecord {
	return invitationRecord{PK: orgPK(i.OrganizationID), SK: invitationSK(i.ID), Type: TypeInvitation,
		ID: i.ID, OrgID: i.OrganizationID, Email: i.Email, Name: i.Name, Role: i.Role, RoleExpiresAt: stampOrEmpty(i.RoleExpiresAt), Status: i.Status,
		InviterID: i.InviterID, InviterName: i.InviterName, SendNonce: i.SendNonce, SendCount: i.SendCount,
		LookupPK: inviteTokenPK(tokenHash), LookupSK: tokenSK,
		ExpiresAt: sortableStamp(i.ExpiresAt), CreatedAt: stamp(i.CreatedAt), UpdatedAt: stamp(i.UpdatedAt), Version: i.Version}
}

func (r invitationRecord) invitation() invites.Invitation {
	i := invites.Invitation{ID: r.ID, OrganizationID: r.OrgID, Email: r.Email, Name: r.Name, Role: r.Role, RoleExpiresAt: parseStamp(r.RoleExpiresAt),
		Status: r.Status, InviterID: r.InviterID, InviterName: r.InviterName, SendNonce: r.SendNonce,
		TokenHash: strings.TrimPrefix(r.LookupPK, inviteTokenPK("")),
		SendCount: r.SendCount, ExpiresAt: parseStamp(r.ExpiresAt), AcceptedBy: r.AcceptedBy,
		CreatedAt: parseStamp(r.CreatedAt), UpdatedAt: parseStamp(r.UpdatedAt), Version: r.Version}
	if r.RespondedAt != "" {
		i.RespondedAt = parseStamp(r.RespondedAt)
	}
	return i
}

type inviteTokenRecord struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	Type         string `dynamodbav:"type"`
	OrgID        string `dynamodbav:"organization_id"`
	InvitationID string `dynamodbav:"invitation_id"`
	TTL          int64  `dynamodbav:"ttl"`
}

func tokenLookup(i invites.Invitation, tokenHash string) map[string]types.AttributeValue {
	return marshal(inviteTokenRecord{PK: inviteTokenPK(tokenHash), SK: tokenSK, Type: TypeInvitationToken,
		OrgID: i.OrganizationID, InvitationID: i.ID, TTL: i.ExpiresAt.Add(closedRetention).Unix()})
}

// NewInvitation is what the inviter supplies. ID is chosen by the caller
// because the first send's token derives from it; Nonce and TokenHash are
// that send's (see package invites).
type NewInvitation struct {
	ID            string
	Inviter       orgs.Member
	Email         email.Address
	Name          string
	Role          string
	RoleExpiresAt time.Time
	Nonce         string
	TokenHash     string
	// InviterRole is the role the inviter acted with, as admission read it.
	InviterRole access.Role
}

// CreateInvitation invites an email into the inviter's org. One
// transaction puts the invitation, its token lookup, its first send
// request and the email guard, takes a seat on the org's counters under
// the plan's seat limit, and holds the inviter in their role. When the
// email or the last seats are held by invitations that have expired, those
// are closed first and the invitation is tried again.
func (s *Store) CreateInvitation(ctx context.Context, in NewInvitation) (invites.Invitation, error) {
	orgID := in.Inviter.OrganizationID
	for attempt := 0; ; attempt++ {
		now := s.now()
		inv := invites.Invitation{ID: in.ID, OrganizationID: orgID, Email: in.Email.String(),
			Name: strings.TrimSpace(in.Name), Role: in.Role, RoleExpiresAt: in.RoleExpiresAt, Status: invites.Pending,
			InviterID: in.Inviter.UserID, InviterName: in.Inviter.Name, SendNonce: in.Nonce, TokenHash: in.TokenHash, SendCount: 1,
			ExpiresAt: now.Add(invites.Lifetime), CreatedAt: now, UpdatedAt: now, Version: 1}
		err := s.txn().
			put(marshal(newInvitationRecord(inv, in.TokenHash)), notExists, nil).
			put(marshal(emailGuard(orgID, in.Email, inv.ID)), notExists, emailHeldBy).
			put(tokenLookup(inv, in.TokenHash), notExists, nil).
			put(sendRequest(inv, now), notExists, nil).
			update(orgKey(orgID), s.counters(counts{invites: 1, seats: 1, inviteRoles: map[string]int{inv.Role: 1}}),
				all(orgActive, seatFree, roleUsable(inv.Role), authorityAt(in.InviterRole)),
				rolesOr(inv.Role, in.InviterRole, QuotaError{seats.resource})).
			actorHolds(in.Inviter).
			record(memberEvent(in.Inviter, activity.InvitationCreated, invitationTarget(inv)).With(activity.Changes{}.
				Note("role", nil, inv.Role))).
			run(ctx)
		retry := attempt < 2
		var held emailHeld
		switch {
		case err == nil:
			return inv, nil
		case errors.As(err, &held):
			if strings.HasPrefix(held.guard.str("owner"), ids.User+"_") {
				return invites.Invitation{}, ErrAlreadyMember
			}
			freed, err := s.freeEmail(ctx, orgID, held.guard, now)
			if err != nil {
				return invites.Invitation{}, err
			}
			if freed && retry {
				continue
			}
			return invites.Invitation{}, ErrEmailInvited
		case errors.Is(err, ErrQuotaExceeded):
			expired, cerr := s.closeExpired(ctx, orgID, now)
			if cerr != nil {
				return invites.Invitation{}, cerr
			}
			if expired > 0 && retry {
				continue
			}
		}
		return invites.Invitation{}, err
	}
}

// emailHeld: the email guard an invitation wanted is held, by a member or
// by another invitation.
type emailHeld struct{ guard item }

func (emailHeld) Error() string { return "ddb: email guard held" }

var emailHeldBy explained = func(guard item) error { return emailHeld{guard} }

// freeEmail releases an email guard held by an invitation that has
// expired (or no longer exists), reporting whether it did.
func (s *Store) freeEmail(ctx context.Context, orgID string, guard item, now time.Time) (bool, error) {
	owner := guard.str("owner")
	if !ids.Valid(ids.Invitation, owner) {
		return false, nil
	}
	inv, err := s.GetInvitation(ctx, orgID, owner)
	if errors.Is(err, ErrNotFound) {
		// A guard without its invitation: nothing else can release it.
		err := s.txn().del(key(orgPK(orgID), guard.str("SK")), attrIs("owner", owner), ErrEmailGuardLost).run(ctx)
		return err == nil, nil
	}
	if err != nil || !inv.Open() || inv.StatusAt(now) != invites.Expired {
		return false, err
	}
	return s.closing(inv, invites.Expired, now, nil, ErrNotFound).run(ctx) == nil, nil
}

// closeExpired closes the org's open invitations whose expiry has passed,
// freeing their seats, and returns how many it found expired and open:
// closed by it, or by a concurrent request that got there first (either
// way the seat is free, so a seat-taking write that lost to its quota may
// try again). A failure other than a lost condition (throttling, say)
// returns its error, so it is not mistaken for a full org.
//
// This is how the seat quota stays exact without counting expiry in every
// write: an expired invitation still counts in seat_count, which only
// ever makes `seat_count < seat_limit` stricter, so a write it admits is
// right; a write it refuses closes the expired invitations and is tried
// again, so it is refused only when members and unexpired invitations
// hold every seat. Below the limit this costs nothing; at the limit, one
// Query of the org's invitations and a small transaction per expired one.
// Every write that takes a seat goes through it (CreateInvitation,
// AddMember), and so must any later check of seats against a limit (see
// ReleaseExpiredSeats).
func (s *Store) closeExpired(ctx context.Context, orgID string, now time.Time) (int, error) {
	in := inPartition(orgPK(orgID), invitationSK("")).
		where(attrIs("status", invites.Pending).and(attrBefore("expires_at", sortableStamp(now)))).input(s.Table)
	found := 0
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return found, err
		}
		for _, it := range out.Items {
			var rec invitationRecord
			if err := attributevalue.UnmarshalMap(it, &rec); err != nil {
				return found, err
			}
			err := s.closing(rec.invitation(), invites.Expired, now, nil, ErrNotFound).run(ctx)
			if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrEmailGuardLost) {
				return found, err
			}
			found++
		}
	}
	return found, nil
}

// ReleaseExpiredSeats closes the org's expired invitations, so that its
// seat_count is exact at now: call it before comparing seats with a limit
// outside a seat-taking write (a plan change, say). It returns how many
// expired invitations it found.
func (s *Store) ReleaseExpiredSeats(ctx context.Context, orgID string) (int, error) {
	return s.closeExpired(ctx, orgID, s.now())
}

// closing is the transaction that moves an open invitation to a closed
// status and releases its seat and email guard, conditioned on it still
// being open (and on also, when given); onFail is what a failure of that
// condition means. Callers may add actions before running it.
func (s *Store) closing(inv invites.Invitation, status string, now time.Time, also cond, onFail error) *txn {
	open := attrIs("status", invites.Pending)
	if status == invites.Expired {
		open = open.and(attrBefore("expires_at", sortableStamp(now)))
	}
	if also != nil {
		open = open.and(also)
	}
	u := newUpdate().setValue("status", status).setValue("responded_at", stamp(now)).setValue("updated_at", stamp(now)).
		setValue("ttl", now.Add(closedRetention).Unix()).bump()
	return s.txn().
		update(invitationKey(inv), u, open, onFail).
		del(key(orgPK(inv.OrganizationID), emailSK(email.Address(inv.Email))), absent("owner").or(attrIs("owner", inv.ID)), ErrEmailGuardLost).
		update(orgKey(inv.OrganizationID), s.counters(counts{invites: -1, seats: -1, inviteRoles: map[string]int{inv.Role: -1}}), exists, ErrNotFound)
}

// An invitation is named by the address it was sent to (never its token).
func invitationTarget(inv invites.Invitation) activity.Target {
	return activity.Target{Type: activity.TargetInvitation, ID: inv.ID, Name: inv.Email}
}

func invitationKey(inv invites.Invitation) map[string]types.AttributeValue {
	return key(orgPK(inv.OrganizationID), invitationSK(inv.ID))
}

// GetInvitation reads one invitation of an org.
func (s *Store) GetInvitation(ctx context.Context, orgID, invID string) (invites.Invitation, error) {
	r := s.Reads()
	get := r.Invitation(orgID, invID)
	if err := r.Run(ctx); err != nil {
		return invites.Invitation{ID: invID, OrganizationID: orgID}, err
	}
	return get()
}

// InvitationFilter narrows an invitation list by status as clients see it.
type InvitationFilter struct {
	Status string // "" for all
}

// ListInvitations pages through an org's invitations, newest first.
// Statuses are computed at now: pending means open and unexpired.
func (s *Store) ListInvitations(ctx context.Context, orgID string, f InvitationFilter, page Page) ([]invites.Invitation, Position, error) {
	now := sortableStamp(s.now())
	pending := attrIs("status", invites.Pending)
	q := inPartition(orgPK(orgID), invitationSK("")).newestFirst()
	switch f.Status {
	case "":
	case invites.Pending:
		q.where(pending.and(attrAfter("expires_at", now)))
	case invites.Expired:
		q.where(attrIs("status", invites.Expired).or(pending.and(attrBefore("expires_at", now))))
	default:
		q.where(attrIs("status", f.Status))
	}
	return queryRecords(ctx, s, q, page, invitationRecord.invitation)
}

// RevokeInvitation closes an open invitation (expired or not) on an
// inviter's word, releasing its seat and email; the actor must still hold
// their role. Revoking a revoked invitation is a no-op.
func (s *Store) RevokeInvitation(ctx context.Context, actor orgs.Member, inv invites.Invitation) error {
	if inv.Status == invites.Revoked {
		return nil
	}
	if !inv.Open() {
		return InvitationStatusError{inv.Status}
	}
	err := s.closing(inv, invites.Revoked, s.now(), nil, explained(func(old item) error {
		switch st := old.str("status"); {
		case old == nil:
			return ErrNotFound
		case st == invites.Revoked:
			return errAlreadyRevoked
		default:
			return InvitationStatusError{st}
		}
	})).
		actorHolds(actor).
		record(memberEvent(actor, activity.InvitationRevoked, invitationTarget(inv))).
		run(ctx)
	if errors.Is(err, errAlreadyRevoked) {
		return nil
	}
	return err
}

var errAlreadyRevoked = errors.New("ddb: invitation already revoked")

// ResendInvitation gives an open invitation a new send: a new nonce (so a
// new token, the old one retired with its lookup item), a new expiry and
// a new send request. Counters do not move: the seat is already held. The
// invitation must be as read (version and token), so the old lookup item
// named by the token hash read is the one retired.
func (s *Store) ResendInvitation(ctx context.Context, actor orgs.Member, inv invites.Invitation, nonce, tokenHash string) (invites.Invitation, error) {
	if !inv.Open() {
		return invites.Invitation{}, InvitationStatusError{inv.Status}
	}
	now := s.now()
	next := inv
	// The resender vouches for the invitation from now on (see inviterMayGrant).
	next.InviterID, next.InviterName = actor.UserID, actor.Name
	next.SendNonce, next.TokenHash, next.SendCount = nonce, tokenHash, inv.SendCount+1
	next.ExpiresAt, next.UpdatedAt, next.Version = now.Add(invites.Lifetime), now, inv.Version+1
	oldLookup := inviteTokenPK(inv.TokenHash)
	u := newUpdate().setValue("send_nonce", nonce).setValue(lookupPKAttr, inviteTokenPK(tokenHash)).
		setValue("expires_at", sortableStamp(next.ExpiresAt)).setValue("updated_at", stamp(now)).
		setValue("inviter_id", actor.UserID).setValue("inviter_name", actor.Name).add(1, "send_count").bump()
	err := s.txn().
		update(invitationKey(inv), u, attrIs("status", invites.Pending).and(versionIs(inv.Version), attrIs(lookupPKAttr, oldLookup)), goneOrChanged).
		del(key(oldLookup, tokenSK), nil, nil).
		put(tokenLookup(next, tokenHash), notExists, nil).
		put(sendRequest(next, now), notExists, nil).
		check(orgKey(inv.OrganizationID), orgActive, ErrNotFound).
		actorHolds(actor).
		record(memberEvent(actor, activity.InvitationResent, invitationTarget(next)).With(activity.Changes{}.
			Note("expires_at", stamp(inv.ExpiresAt), stamp(next.ExpiresAt)))).
		run(ctx)
	if err != nil {
		return invites.Invitation{}, err
	}
	return next, nil
}
