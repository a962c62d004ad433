package ddb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// Invitation items.
//
//	invitation     ORG#<org> / INVITE#<inv>              names its token lookup in lookup_pk/lookup_sk
//	token lookup   INVITE#<sha256(token)> / TOKEN         finds the invitation from a presented token
//	email request  ORG#<org> / INVITEMAIL#<inv>#<nonce>   one per send: the send-invitation consumer's
//	                                                      input (its INSERT) and its sent-marker
//	email guard    ORG#<org> / EMAIL#<email>              owned by the invitation while it is open,
//	                                                      handed to the member on accept
//
// While an invitation is open (stored status pending, expired or not) it
// holds a seat (seat_count, invite_count) and its email guard. Revoking,
// declining, accepting or closing it as expired releases both in the same
// transaction that changes its status.
const (
	TypeInvitation      = "invitation"
	TypeInvitationToken = "invitation_token"
	TypeInvitationEmail = "invitation_email"
)

func invitationSK(inv string) string             { return "INVITE#" + inv }
func inviteTokenPK(hash string) string           { return "INVITE#" + hash }
func invitationEmailSK(inv, nonce string) string { return "INVITEMAIL#" + inv + "#" + nonce }

const inviteTokenSK = "TOKEN"

// closedRetention is how long a closed invitation (and a token lookup)
// stays, so lists show recent history and a used token answers 410; TTL
// then removes it. An open invitation has no TTL: its seat and email
// guard must be released by a transaction, never by a silent delete.
const closedRetention = 30 * 24 * time.Hour

type invitationRecord struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Type        string `dynamodbav:"type"`
	ID          string `dynamodbav:"id"`
	OrgID       string `dynamodbav:"organization_id"`
	Email       string `dynamodbav:"email"`
	Name        string `dynamodbav:"name,omitempty"`
	Role        string `dynamodbav:"role"`
	Status      string `dynamodbav:"status"`
	InviterID   string `dynamodbav:"inviter_id"`
	InviterName string `dynamodbav:"inviter_name"`
	SendNonce   string `dynamodbav:"send_nonce"`
	SendCount   int    `dynamodbav:"send_count"`
	LookupPK    string `dynamodbav:"lookup_pk"`
	LookupSK    string `dynamodbav:"lookup_sk"`
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
		ID: i.ID, OrgID: i.OrganizationID, Email: i.Email, Name: i.Name, Role: i.Role, Status: i.Status,
		InviterID: i.InviterID, InviterName: i.InviterName, SendNonce: i.SendNonce, SendCount: i.SendCount,
		LookupPK: inviteTokenPK(tokenHash), LookupSK: inviteTokenSK,
		ExpiresAt: sortableStamp(i.ExpiresAt), CreatedAt: stamp(i.CreatedAt), UpdatedAt: stamp(i.UpdatedAt), Version: i.Version}
}

func (r invitationRecord) invitation() invites.Invitation {
	i := invites.Invitation{ID: r.ID, OrganizationID: r.OrgID, Email: r.Email, Name: r.Name, Role: r.Role,
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

func (s *Store) tokenLookup(i invites.Invitation, tokenHash string) map[string]types.AttributeValue {
	return marshal(inviteTokenRecord{PK: inviteTokenPK(tokenHash), SK: inviteTokenSK, Type: TypeInvitationToken,
		OrgID: i.OrganizationID, InvitationID: i.ID, TTL: i.ExpiresAt.Add(closedRetention).Unix()})
}

// invitationEmailRecord is a send request. Its INSERT is what the
// send-invitation consumer's filter selects; the consumer then claims it
// (claim_id, claimed_until) and marks it sent (sent_at), so redelivered or
// concurrent records send one email. It holds no token: the consumer
// derives it from the nonce and the server's secret.
type invitationEmailRecord struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	Type         string `dynamodbav:"type"`
	OrgID        string `dynamodbav:"organization_id"`
	InvitationID string `dynamodbav:"invitation_id"`
	Nonce        string `dynamodbav:"nonce"`
	CreatedAt    string `dynamodbav:"created_at"`
	TTL          int64  `dynamodbav:"ttl"`
	ClaimID      string `dynamodbav:"claim_id,omitempty"`
	ClaimedUntil string `dynamodbav:"claimed_until,omitempty"`
	SentAt       string `dynamodbav:"sent_at,omitempty"`
	MessageID    string `dynamodbav:"message_id,omitempty"`
}

func (s *Store) emailRequest(i invites.Invitation, now time.Time) map[string]types.AttributeValue {
	return marshal(invitationEmailRecord{PK: orgPK(i.OrganizationID), SK: invitationEmailSK(i.ID, i.SendNonce),
		Type: TypeInvitationEmail, OrgID: i.OrganizationID, InvitationID: i.ID, Nonce: i.SendNonce,
		CreatedAt: stamp(now), TTL: i.ExpiresAt.Add(24 * time.Hour).Unix()})
}

// InvitationEmail is one request to send an invitation's email.
type InvitationEmail struct {
	OrganizationID string
	InvitationID   string
	Nonce          string
}

// ID names the send request in logs and in the message it produces.
func (e InvitationEmail) ID() string { return e.InvitationID + "." + e.Nonce }

// DecodeInvitationEmail reads a send request from an item image (a stream
// record's new image).
func DecodeInvitationEmail(item map[string]types.AttributeValue) (InvitationEmail, error) {
	var r invitationEmailRecord
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return InvitationEmail{}, fmt.Errorf("ddb: invitation email request: %w", err)
	}
	e := InvitationEmail{OrganizationID: r.OrgID, InvitationID: r.InvitationID, Nonce: r.Nonce}
	switch {
	case r.Type != TypeInvitationEmail:
		return e, fmt.Errorf("ddb: item of type %q is not an invitation email request", r.Type)
	case !ids.Valid(ids.Organization, e.OrganizationID), !ids.Valid(ids.Invitation, e.InvitationID), e.Nonce == "",
		r.PK != orgPK(e.OrganizationID), r.SK != invitationEmailSK(e.InvitationID, e.Nonce):
		return e, fmt.Errorf("ddb: malformed invitation email request %s/%s", r.PK, r.SK)
	}
	return e, nil
}

// NewInvitation is what the inviter supplies. ID is chosen by the caller
// because the first send's token derives from it; Nonce and TokenHash are
// that send's (see package invites).
type NewInvitation struct {
	ID        string
	Inviter   orgs.Member
	Email     string
	Name      string
	Role      string
	Nonce     string
	TokenHash string
}

// CreateInvitation invites an email into the inviter's org. One
// transaction puts the invitation, its token lookup, its first email
// request and the email guard, takes a seat on the org's counters under
// the plan's seat limit, and holds the inviter in their role. When the
// email or the last seats are held by invitations that have expired, those
// are closed first and the invitation is tried again.
func (s *Store) CreateInvitation(ctx context.Context, in NewInvitation) (invites.Invitation, error) {
	orgID := in.Inviter.OrganizationID
	for attempt := 0; ; attempt++ {
		now := s.now()
		inv := invites.Invitation{ID: in.ID, OrganizationID: orgID, Email: lower(in.Email),
			Name: strings.TrimSpace(in.Name), Role: in.Role, Status: invites.Pending,
			InviterID: in.Inviter.UserID, InviterName: in.Inviter.Name, SendNonce: in.Nonce, TokenHash: in.TokenHash, SendCount: 1,
			ExpiresAt: now.Add(invites.Lifetime), CreatedAt: now, UpdatedAt: now, Version: 1}
		seats := s.counterAction(orgID, orgCounterUpdate{invites: 1, seats: 1})
		withSeatLimit(seats)
		err := s.transact(ctx, []types.TransactWriteItem{
			s.put(marshal(newInvitationRecord(inv, in.TokenHash)), "attribute_not_exists(PK)", nil, nil),
			s.put(marshal(guardRecord{PK: orgPK(orgID), SK: emailSK(inv.Email), Type: TypeEmailGuard, Owner: inv.ID}),
				"attribute_not_exists(PK)", nil, nil),
			s.put(s.tokenLookup(inv, in.TokenHash), "attribute_not_exists(PK)", nil, nil),
			s.put(s.emailRequest(inv, now), "attribute_not_exists(PK)", nil, nil),
			seats,
			s.actorCheck(in.Inviter),
		})
		var f *txFailure
		if !errors.As(err, &f) {
			return inv, err
		}
		retry := attempt < 2
		switch f.Index {
		case 1:
			if strings.HasPrefix((&oldItem{item: f.Item}).attr("owner"), ids.User+"_") {
				return invites.Invitation{}, problem.New(problem.AlreadyMember, "%s is already a member.", inv.Email)
			}
			freed, err := s.freeEmail(ctx, orgID, f.Item, now)
			if err != nil {
				return invites.Invitation{}, err
			}
			if freed && retry {
				continue
			}
			return invites.Invitation{}, problem.New(problem.Conflict, "An invitation to %s is pending; resend it instead.", inv.Email)
		case 4:
			if f.Item == nil || (&oldItem{item: f.Item}).attr("status") != orgs.OrgActive {
				return invites.Invitation{}, ErrNotFound
			}
			closed, err := s.closeExpired(ctx, orgID, now)
			if err != nil {
				return invites.Invitation{}, err
			}
			if closed > 0 && retry {
				continue
			}
			return invites.Invitation{}, quotaExceeded("members (pending invitations count as members)")
		case 5:
			return invites.Invitation{}, problem.New(problem.Conflict, "Your own role changed; retry.")
		}
		return invites.Invitation{}, err
	}
}

// withSeatLimit conditions a counter action on the org being active and
// having a free seat under its plan's limit.
func withSeatLimit(item types.TransactWriteItem) {
	u := item.Update
	u.ConditionExpression = aws.String(*u.ConditionExpression +
		" AND #ost = :oactive AND (attribute_not_exists(seat_limit) OR seat_count < seat_limit)")
	u.ExpressionAttributeNames = merge2(u.ExpressionAttributeNames, map[string]string{"#ost": "status"})
	u.ExpressionAttributeValues[":oactive"] = str(orgs.OrgActive)
}

// freeEmail releases an email guard held by an invitation that has
// expired (or no longer exists), reporting whether it did.
func (s *Store) freeEmail(ctx context.Context, orgID string, guard map[string]types.AttributeValue, now time.Time) (bool, error) {
	g := &oldItem{item: guard}
	owner := g.attr("owner")
	if !ids.Valid(ids.Invitation, owner) {
		return false, nil
	}
	inv, err := s.GetInvitation(ctx, orgID, owner)
	if errors.Is(err, ErrNotFound) {
		// A guard without its invitation: nothing else can release it.
		err := s.transact(ctx, []types.TransactWriteItem{s.del(key(orgPK(orgID), g.attr("SK")), "#o = :inv",
			map[string]string{"#o": "owner"}, map[string]types.AttributeValue{":inv": str(owner)})})
		return err == nil, nil
	}
	if err != nil || !inv.Open() || inv.StatusAt(now) != invites.Expired {
		return false, err
	}
	return s.closeInvitation(ctx, inv, invites.Expired, now, nil) == nil, nil
}

// closeExpired closes the org's open invitations whose expiry has passed,
// freeing their seats, and returns how many it closed.
func (s *Store) closeExpired(ctx context.Context, orgID string, now time.Time) (int, error) {
	in := &dynamodb.QueryInput{TableName: &s.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		FilterExpression:          aws.String("#st = :pending AND expires_at <= :now"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(orgPK(orgID)), ":prefix": str("INVITE#"), ":pending": str(invites.Pending), ":now": str(sortableStamp(now))}}
	closed := 0
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return closed, err
		}
		for _, item := range out.Items {
			var rec invitationRecord
			if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
				return closed, err
			}
			if err := s.closeInvitation(ctx, rec.invitation(), invites.Expired, now, nil); err == nil {
				closed++
			}
		}
	}
	return closed, nil
}

// closeInvitation moves an open invitation to a closed status and releases
// its seat and email guard, in one transaction conditioned on it still
// being open (and on extra, when given). Index 0 is the invitation.
func (s *Store) closeInvitation(ctx context.Context, inv invites.Invitation, status string, now time.Time, extra *condition, more ...types.TransactWriteItem) error {
	cond := "#st = :pending"
	names := map[string]string{"#st": "status", "#ttl": "ttl"}
	vals := map[string]types.AttributeValue{":pending": str(invites.Pending), ":status": str(status),
		":now": str(stamp(now)), ":ttl": num(now.Add(closedRetention).Unix()), ":one": num(1)}
	if status == invites.Expired {
		cond += " AND expires_at <= :nowSortable"
		vals[":nowSortable"] = str(sortableStamp(now))
	}
	if extra != nil {
		cond += " AND " + extra.expr
		merge(vals, extra.values)
	}
	items := append([]types.TransactWriteItem{
		s.update(key(orgPK(inv.OrganizationID), invitationSK(inv.ID)),
			"SET #st = :status, responded_at = :now, updated_at = :now, #ttl = :ttl ADD version :one", cond, names, vals),
		s.releaseGuard(inv),
		s.counterAction(inv.OrganizationID, orgCounterUpdate{invites: -1, seats: -1}),
	}, more...)
	return s.transact(ctx, items)
}

// releaseGuard deletes the invitation's email guard if it still holds it.
func (s *Store) releaseGuard(inv invites.Invitation) types.TransactWriteItem {
	return s.del(key(orgPK(inv.OrganizationID), emailSK(inv.Email)), "attribute_not_exists(#o) OR #o = :inv",
		map[string]string{"#o": "owner"}, map[string]types.AttributeValue{":inv": str(inv.ID)})
}

// condition is an extra condition expression with its values.
type condition struct {
	expr   string
	values map[string]types.AttributeValue
}

// GetInvitation reads one invitation of an org.
func (s *Store) GetInvitation(ctx context.Context, orgID, invID string) (invites.Invitation, error) {
	var rec invitationRecord
	if err := s.get(ctx, orgPK(orgID), invitationSK(invID), &rec); err != nil {
		return invites.Invitation{ID: invID, OrganizationID: orgID}, err
	}
	return rec.invitation(), nil
}

// InvitationFilter narrows an invitation list by status as clients see it.
type InvitationFilter struct {
	Status string // "" for all
}

// ListInvitations pages through an org's invitations, newest first.
// Statuses are computed at now: pending means open and unexpired.
func (s *Store) ListInvitations(ctx context.Context, orgID string, f InvitationFilter, page Page) ([]invites.Invitation, Position, error) {
	now := sortableStamp(s.now())
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(orgPK(orgID)), ":prefix": str("INVITE#")},
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
	}
	v := in.ExpressionAttributeValues
	switch f.Status {
	case "":
	case invites.Pending:
		in.FilterExpression = aws.String("#st = :pending AND expires_at > :now")
		v[":pending"], v[":now"] = str(invites.Pending), str(now)
	case invites.Expired:
		in.FilterExpression = aws.String("#st = :expired OR (#st = :pending AND expires_at <= :now)")
		v[":pending"], v[":expired"], v[":now"] = str(invites.Pending), str(invites.Expired), str(now)
	default:
		in.FilterExpression = aws.String("#st = :status")
		v[":status"] = str(f.Status)
	}
	if in.FilterExpression != nil {
		in.ExpressionAttributeNames = map[string]string{"#st": "status"}
	}
	return queryRecords(ctx, s, in, page, invitationRecord.invitation)
}

// InvitationByToken finds the invitation a token's hash names, and its org.
func (s *Store) InvitationByToken(ctx context.Context, tokenHash string) (invites.Invitation, orgs.Organization, error) {
	var look inviteTokenRecord
	if err := s.get(ctx, inviteTokenPK(tokenHash), inviteTokenSK, &look); err != nil {
		return invites.Invitation{}, orgs.Organization{}, err
	}
	return s.invitationWithOrg(ctx, look.OrgID, look.InvitationID)
}

// invitationWithOrg reads an invitation and its org in one round trip.
// A deleted or deleting org hides its invitations (ErrNotFound).
func (s *Store) invitationWithOrg(ctx context.Context, orgID, invID string) (invites.Invitation, orgs.Organization, error) {
	found, err := s.getMany(ctx, []map[string]types.AttributeValue{key(orgPK(orgID), orgSK), key(orgPK(orgID), invitationSK(invID))}, true)
	if err != nil {
		return invites.Invitation{}, orgs.Organization{}, err
	}
	var o orgRecord
	var i invitationRecord
	oi, ok1 := found[orgPK(orgID)+"|"+orgSK]
	ii, ok2 := found[orgPK(orgID)+"|"+invitationSK(invID)]
	if !ok1 || !ok2 {
		return invites.Invitation{}, orgs.Organization{}, ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(oi, &o); err != nil {
		return invites.Invitation{}, orgs.Organization{}, err
	}
	if err := attributevalue.UnmarshalMap(ii, &i); err != nil {
		return invites.Invitation{}, orgs.Organization{}, err
	}
	if o.Status != orgs.OrgActive {
		return invites.Invitation{}, orgs.Organization{}, ErrNotFound
	}
	return i.invitation(), o.org(), nil
}

// InvitationForEmail reads what a send request needs: its invitation and
// org, and whether the request is still the invitation's current send
// (open, unexpired, not superseded by a resend).
func (s *Store) InvitationForEmail(ctx context.Context, e InvitationEmail) (invites.Invitation, orgs.Organization, bool, error) {
	inv, o, err := s.invitationWithOrg(ctx, e.OrganizationID, e.InvitationID)
	if errors.Is(err, ErrNotFound) {
		return inv, o, false, nil
	}
	if err != nil {
		return inv, o, false, err
	}
	current := inv.SendNonce == e.Nonce && inv.StatusAt(s.now()) == invites.Pending
	return inv, o, current, nil
}

// gone explains why a token can no longer be used.
func gone(status string) error {
	return problem.New(problem.Gone, "This invitation is %s and can no longer be used.", status)
}

// AcceptInvitation makes u a member with the invitation's role. One
// transaction closes the invitation (still pending, unexpired and on the
// presented token), puts the membership, hands the email guard from the
// invitation to the member and moves the org's counters (the seat stays
// taken): of concurrent accepts exactly one lands.
func (s *Store) AcceptInvitation(ctx context.Context, inv invites.Invitation, tokenHash string, u orgs.User) (orgs.Member, error) {
	now := s.now()
	m := orgs.Member{OrganizationID: inv.OrganizationID, UserID: u.ID, Email: inv.Email, Name: u.Name,
		Role: inv.Role, Status: orgs.StatusActive, JoinedAt: now, Version: 1}
	counters := s.counterAction(inv.OrganizationID, orgCounterUpdate{members: 1, invites: -1,
		owners: b2i(activeOwner(m.Role, m.Status)), roles: map[string]int{m.Role: 1}})
	counters.Update.ConditionExpression = aws.String(*counters.Update.ConditionExpression + " AND #ost = :oactive")
	counters.Update.ExpressionAttributeNames = merge2(counters.Update.ExpressionAttributeNames, map[string]string{"#ost": "status"})
	counters.Update.ExpressionAttributeValues[":oactive"] = str(orgs.OrgActive)
	err := s.transact(ctx, []types.TransactWriteItem{
		s.update(key(orgPK(inv.OrganizationID), invitationSK(inv.ID)),
			"SET #st = :accepted, responded_at = :now, updated_at = :now, accepted_by = :user, #ttl = :ttl ADD version :one",
			"#st = :pending AND expires_at > :nowSortable AND lookup_pk = :lpk",
			map[string]string{"#st": "status", "#ttl": "ttl"},
			map[string]types.AttributeValue{":accepted": str(invites.Accepted), ":pending": str(invites.Pending),
				":now": str(stamp(now)), ":nowSortable": str(sortableStamp(now)), ":user": str(u.ID),
				":ttl": num(now.Add(closedRetention).Unix()), ":lpk": str(inviteTokenPK(tokenHash)), ":one": num(1)}),
		s.put(marshal(newMemberRecord(m)), "attribute_not_exists(PK)", nil, nil),
		s.update(key(orgPK(inv.OrganizationID), emailSK(inv.Email)), "SET #o = :user", "#o = :inv",
			map[string]string{"#o": "owner"}, map[string]types.AttributeValue{":user": str(u.ID), ":inv": str(inv.ID)}),
		counters,
		s.inviterCheck(inv),
	})
	var f *txFailure
	switch {
	case errors.As(err, &f) && f.Index == 0:
		return orgs.Member{}, s.unusable(f.Item, now)
	case errors.As(err, &f) && f.Index == 4:
		return orgs.Member{}, problem.New(problem.Gone, "Whoever sent this invitation can no longer grant it; ask for a new one.")
	case errors.As(err, &f) && f.Index == 1:
		return orgs.Member{}, problem.New(problem.AlreadyMember, "You are already a member of this organization.")
	case errors.As(err, &f) && f.Index == 2:
		return orgs.Member{}, problem.New(problem.Conflict, "This invitation no longer holds its email; ask for a new one.")
	case errors.As(err, &f):
		return orgs.Member{}, ErrNotFound
	case err != nil:
		return orgs.Member{}, err
	}
	return m, nil
}

// inviterCheck holds an invitation to the authority it was sent with: its
// inviter (the last to send it) must still be an active member whose role
// may grant the invited role. Removing, deactivating or demoting someone
// so voids the invitations they sent.
func (s *Store) inviterCheck(inv invites.Invitation) types.TransactWriteItem {
	names := map[string]string{"#st": "status", "#r": "role"}
	values := map[string]types.AttributeValue{":active": str(orgs.StatusActive)}
	var in []string
	for i, r := range access.Granters(inv.Role) {
		p := ":g" + strconv.Itoa(i)
		values[p] = str(r)
		in = append(in, p)
	}
	if len(in) == 0 { // a role nobody may grant: the check must fail
		values[":none"] = str("")
		in = append(in, ":none")
	}
	return s.check(key(orgPK(inv.OrganizationID), memberSK(inv.InviterID)),
		"#st = :active AND #r IN ("+strings.Join(in, ", ")+")", names, values)
}

// unusable explains a token whose invitation failed its condition.
func (s *Store) unusable(item map[string]types.AttributeValue, now time.Time) error {
	if item == nil {
		return ErrNotFound
	}
	var rec invitationRecord
	if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
		return err
	}
	if st := rec.invitation().StatusAt(now); st != invites.Pending {
		return gone(st)
	}
	// Pending and unexpired, so the token was rotated by a resend.
	return gone("superseded by a newer invitation email")
}

// DeclineInvitation closes a pending invitation on the invitee's word,
// releasing its seat and email.
func (s *Store) DeclineInvitation(ctx context.Context, inv invites.Invitation, tokenHash string) error {
	now := s.now()
	err := s.closeInvitation(ctx, inv, invites.Declined, now, &condition{
		expr: "expires_at > :nowSortable AND lookup_pk = :lpk",
		values: map[string]types.AttributeValue{":nowSortable": str(sortableStamp(now)),
			":lpk": str(inviteTokenPK(tokenHash))},
	})
	var f *txFailure
	switch {
	case errors.As(err, &f) && f.Index == 0:
		return s.unusable(f.Item, now)
	case errors.As(err, &f):
		return ErrNotFound // the org is gone
	}
	return err
}

// RevokeInvitation closes an open invitation (expired or not) on an
// inviter's word, releasing its seat and email; the actor must still hold
// their role. Revoking a revoked invitation is a no-op.
func (s *Store) RevokeInvitation(ctx context.Context, actor orgs.Member, inv invites.Invitation) error {
	if inv.Status == invites.Revoked {
		return nil
	}
	if !inv.Open() {
		return problem.New(problem.Conflict, "The invitation is %s; only an open invitation can be revoked.", inv.Status)
	}
	err := s.closeInvitation(ctx, inv, invites.Revoked, s.now(), nil, s.actorCheck(actor))
	var f *txFailure
	switch {
	case errors.As(err, &f) && f.Index == 0:
		if f.Item == nil {
			return problem.NotFoundf("Invitation")
		}
		if st := (&oldItem{item: f.Item}).attr("status"); st != invites.Revoked {
			return problem.New(problem.Conflict, "The invitation is %s; only an open invitation can be revoked.", st)
		}
		return nil
	case errors.As(err, &f) && f.Index == 3:
		return problem.New(problem.Conflict, "Your own role changed; retry.")
	case errors.As(err, &f):
		return ErrNotFound // the org is gone
	}
	return err
}

// ResendInvitation gives an open invitation a new send: a new nonce (so a
// new token, the old one retired with its lookup item), a new expiry and
// a new email request. Counters do not move: the seat is already held.
func (s *Store) ResendInvitation(ctx context.Context, actor orgs.Member, inv invites.Invitation, nonce, tokenHash string) (invites.Invitation, error) {
	if !inv.Open() {
		return invites.Invitation{}, problem.New(problem.Conflict, "The invitation is %s; only an open invitation can be resent.", inv.Status)
	}
	// The old token's lookup item is named only on the stored invitation.
	var rec invitationRecord
	if err := s.get(ctx, orgPK(inv.OrganizationID), invitationSK(inv.ID), &rec); err != nil {
		return invites.Invitation{}, err
	}
	if rec.Version != inv.Version {
		return invites.Invitation{}, problem.New(problem.Conflict, "The invitation changed while it was resent; read it again.")
	}
	oldLookup := rec.LookupPK
	now := s.now()
	next := inv
	// The resender vouches for the invitation from now on (see inviterCheck).
	next.InviterID, next.InviterName = actor.UserID, actor.Name
	next.SendNonce, next.TokenHash, next.SendCount = nonce, tokenHash, inv.SendCount+1
	next.ExpiresAt, next.UpdatedAt, next.Version = now.Add(invites.Lifetime), now, inv.Version+1
	err := s.transact(ctx, []types.TransactWriteItem{
		s.update(key(orgPK(inv.OrganizationID), invitationSK(inv.ID)),
			"SET send_nonce = :nonce, lookup_pk = :lpk, expires_at = :exp, updated_at = :now, inviter_id = :inviter, inviter_name = :iname ADD version :one, send_count :one",
			"#st = :pending AND version = :v AND lookup_pk = :oldLpk", map[string]string{"#st": "status"},
			map[string]types.AttributeValue{":nonce": str(nonce), ":lpk": str(inviteTokenPK(tokenHash)),
				":exp": str(sortableStamp(next.ExpiresAt)), ":now": str(stamp(now)), ":one": num(1),
				":pending": str(invites.Pending), ":v": num(inv.Version), ":oldLpk": str(oldLookup),
				":inviter": str(actor.UserID), ":iname": str(actor.Name)}),
		s.del(key(oldLookup, inviteTokenSK), "", nil, nil),
		s.put(s.tokenLookup(next, tokenHash), "attribute_not_exists(PK)", nil, nil),
		s.put(s.emailRequest(next, now), "attribute_not_exists(PK)", nil, nil),
		s.check(key(orgPK(inv.OrganizationID), orgSK), "#ost = :oactive", map[string]string{"#ost": "status"},
			map[string]types.AttributeValue{":oactive": str(orgs.OrgActive)}),
		s.actorCheck(actor),
	})
	var f *txFailure
	switch {
	case errors.As(err, &f) && f.Index == 0 && f.Item == nil:
		return invites.Invitation{}, problem.NotFoundf("Invitation")
	case errors.As(err, &f) && f.Index == 0:
		return invites.Invitation{}, problem.New(problem.Conflict, "The invitation changed while it was resent; read it again.")
	case errors.As(err, &f) && f.Index == 4:
		return invites.Invitation{}, ErrNotFound
	case errors.As(err, &f) && f.Index == 5:
		return invites.Invitation{}, problem.New(problem.Conflict, "Your own role changed; retry.")
	case err != nil:
		return invites.Invitation{}, err
	}
	return next, nil
}

// EmailClaim is the outcome of claiming a send request.
type EmailClaim int

const (
	// ClaimTaken: the caller holds the request and must send, then call
	// MarkInvitationEmailSent (or ReleaseInvitationEmail on failure).
	ClaimTaken EmailClaim = iota
	// ClaimSent: the email was already sent; nothing to do.
	ClaimSent
	// ClaimBusy: another worker holds an unexpired claim; retry later.
	ClaimBusy
	// ClaimMissing: the request no longer exists (its org was deleted).
	ClaimMissing
)

// ClaimInvitationEmail takes a send request for lease, so among redelivered
// and concurrent copies of its record one worker sends. A claim whose
// holder died expires after the lease and can be taken again.
func (s *Store) ClaimInvitationEmail(ctx context.Context, e InvitationEmail, claimID string, lease time.Duration) (EmailClaim, error) {
	now := s.now()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(orgPK(e.OrganizationID), invitationEmailSK(e.InvitationID, e.Nonce)),
		UpdateExpression: aws.String("SET claim_id = :c, claimed_until = :until"),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(sent_at) AND " +
			"(attribute_not_exists(claimed_until) OR claimed_until < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(claimID),
			":until": str(sortableStamp(now.Add(lease))), ":now": str(sortableStamp(now))},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf) && ccf.Item == nil:
		return ClaimMissing, nil
	case errors.As(err, &ccf) && ccf.Item["sent_at"] != nil:
		return ClaimSent, nil
	case errors.As(err, &ccf):
		return ClaimBusy, nil
	case err != nil:
		return 0, err
	}
	return ClaimTaken, nil
}

// ErrClaimLost means a claim expired before its holder finished: the
// email went out but another worker may have sent it too.
var ErrClaimLost = errors.New("ddb: the send request's claim expired before it was marked sent")

// MarkInvitationEmailSent records that the claimed request was sent.
func (s *Store) MarkInvitationEmailSent(ctx context.Context, e InvitationEmail, claimID, messageID string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(orgPK(e.OrganizationID), invitationEmailSK(e.InvitationID, e.Nonce)),
		UpdateExpression:          aws.String("SET sent_at = :now, message_id = :mid REMOVE claimed_until"),
		ConditionExpression:       aws.String("claim_id = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(claimID), ":now": str(stamp(s.now())), ":mid": str(messageID)},
	})
	if conditionFailed(err) {
		return ErrClaimLost
	}
	return err
}

// ReleaseInvitationEmail gives up a claim after a failed send, so the
// redelivered record can be taken again at once.
func (s *Store) ReleaseInvitationEmail(ctx context.Context, e InvitationEmail, claimID string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(orgPK(e.OrganizationID), invitationEmailSK(e.InvitationID, e.Nonce)),
		UpdateExpression:          aws.String("REMOVE claim_id, claimed_until"),
		ConditionExpression:       aws.String("claim_id = :c AND attribute_not_exists(sent_at)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(claimID)},
	})
	if conditionFailed(err) {
		return nil
	}
	return err
}
