package ddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/orgs"
)

// Send requests: one item per send of an invitation
// (ORG#<org> / INVITEMAIL#<inv>#<nonce>), the send-invitation consumer's
// input (its INSERT) and its sent-marker.

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

func sendRequest(i invites.Invitation, now time.Time) map[string]types.AttributeValue {
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
	return s.takeClaim(ctx, sendRequestKey(e), newUpdate(), exists, claimID, lease)
}

// takeClaim leases a marker item (a send request, a billing notice) to
// claimID unless its email went out or another claim is live; u holds
// what the claim writes besides itself, and within what must hold too (an
// existing item, or nil to make the marker on first use). ClaimMissing
// when within needed the item and it is gone.
func (s *Store) takeClaim(ctx context.Context, k map[string]types.AttributeValue, u *update, within cond, claimID string, lease time.Duration) (EmailClaim, error) {
	now := s.now()
	u.setValue("claim_id", claimID).setValue("claimed_until", sortableStamp(now.Add(lease)))
	free := all(within, absent("sent_at"), absent("claimed_until").or(attrBefore("claimed_until", sortableStamp(now))))
	err := s.updateItem(ctx, k, u, free, explained(func(old item) error {
		switch {
		case old == nil:
			return claimOutcome(ClaimMissing)
		case old["sent_at"] != nil:
			return claimOutcome(ClaimSent)
		}
		return claimOutcome(ClaimBusy)
	}), nil)
	var outcome claimOutcome
	switch {
	case errors.As(err, &outcome):
		return EmailClaim(outcome), nil
	case err != nil:
		return 0, err
	}
	return ClaimTaken, nil
}

// claimOutcome is a claim that was not taken, as a failed condition's error.
type claimOutcome EmailClaim

func (claimOutcome) Error() string { return "ddb: send request not claimed" }

func sendRequestKey(e InvitationEmail) map[string]types.AttributeValue {
	return key(orgPK(e.OrganizationID), invitationEmailSK(e.InvitationID, e.Nonce))
}

// MarkInvitationEmailSent records that the claimed request was sent.
func (s *Store) MarkInvitationEmailSent(ctx context.Context, e InvitationEmail, claimID, messageID string) error {
	return s.markClaimSent(ctx, sendRequestKey(e), claimID, messageID)
}

// markClaimSent records on a claimed marker item (a send request, a
// billing notice) that its email went out; ErrClaimLost when the claim
// is no longer the caller's.
func (s *Store) markClaimSent(ctx context.Context, k map[string]types.AttributeValue, claimID, messageID string) error {
	sent := newUpdate().setValue("sent_at", stamp(s.now())).setValue("message_id", messageID).remove("claimed_until")
	return s.updateItem(ctx, k, sent, attrIs("claim_id", claimID), ErrClaimLost, nil)
}

// ReleaseInvitationEmail gives up a claim after a failed send, so the
// redelivered record can be taken again at once.
func (s *Store) ReleaseInvitationEmail(ctx context.Context, e InvitationEmail, claimID string) error {
	return s.releaseClaim(ctx, sendRequestKey(e), claimID)
}

// releaseClaim gives up the caller's claim on a marker item that was not
// sent, so a redelivered record can take it at once.
func (s *Store) releaseClaim(ctx context.Context, k map[string]types.AttributeValue, claimID string) error {
	release := newUpdate().remove("claim_id", "claimed_until")
	err := s.updateItem(ctx, k, release, attrIs("claim_id", claimID).and(absent("sent_at")), errNotHeld, nil)
	if errors.Is(err, errNotHeld) {
		return nil
	}
	return err
}

// errNotHeld: a claim released by someone who no longer holds it.
var errNotHeld = errors.New("ddb: claim not held")
