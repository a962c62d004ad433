package ddb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
)

// Billing notices: the emails the stream sends about money (a wallet
// falling below its low-balance threshold, a renewal the wallet could not
// pay). Each is named by the change that caused it (the wallet's version,
// the unpaid period), and its marker item (ORG#<org> / NOTICE#<event>) is
// claimed for a lease, then marked sent, so redelivered records send one.

// NoticeRetention is how long a notice's marker outlives it: far longer
// than a stream record may be redelivered.
const NoticeRetention = 30 * 24 * time.Hour

// Notice names one billing email: its org and the event it is about.
type Notice struct {
	OrganizationID string
	Event          string // "low-balance#<wallet version>", "past-due#<period end>"
	// Category is the notification category members may choose about.
	Category string
}

// LowBalanceNotice is the notice of the wallet change that took the
// balance below the threshold.
func LowBalanceNotice(org string, walletVersion int64) Notice {
	return Notice{OrganizationID: org, Event: "low-balance#" + itoa(walletVersion), Category: orgs.NotifyLowBalance}
}

// PastDueNotice is the notice of a renewal the wallet could not pay.
func PastDueNotice(org string, periodEnd time.Time) Notice {
	return Notice{OrganizationID: org, Event: "past-due#" + sortableStamp(periodEnd), Category: orgs.NotifyBilling}
}

func noticeKey(n Notice) map[string]types.AttributeValue {
	return key(orgPK(n.OrganizationID), noticeSK(n.Event))
}

// ClaimNotice takes a notice for lease, creating its marker on first use:
// among redelivered and concurrent copies of a record one worker sends.
// ClaimSent when it went out already, ClaimBusy while another worker's
// claim is live.
func (s *Store) ClaimNotice(ctx context.Context, n Notice, claimID string, lease time.Duration) (EmailClaim, error) {
	marker := newUpdate().setValue("type", TypeBillingNotice).setValue("organization_id", n.OrganizationID).
		setValue("ttl", s.now().Add(NoticeRetention).Unix())
	return s.takeClaim(ctx, noticeKey(n), marker, nil, claimID, lease)
}

// MarkNoticeSent records that the claimed notice was sent.
func (s *Store) MarkNoticeSent(ctx context.Context, n Notice, claimID, messageID string) error {
	return s.markClaimSent(ctx, noticeKey(n), claimID, messageID)
}

// ReleaseNotice gives up a claim after a failed send.
func (s *Store) ReleaseNotice(ctx context.Context, n Notice, claimID string) error {
	return s.releaseClaim(ctx, noticeKey(n), claimID)
}

// LowBalanceThreshold is the balance below which the org is warned: the
// price of its next renewal (0, no warning, when nothing renews).
func (s *Store) LowBalanceThreshold(ctx context.Context, orgID string) (int64, error) {
	sub, _, err := s.GetSubscription(ctx, orgID)
	return Threshold(sub), err
}

// Threshold is the low-balance threshold of a subscription: what its next
// renewal will charge.
func Threshold(sub billing.Subscription) int64 {
	if sub.DueAt().IsZero() {
		return 0
	}
	return billing.Price(sub.NextPlan())
}

// NoticeRecipients are whom a billing notice goes to: the org's billing
// email when set, else its active owners who have not turned off the
// notice's category (an owner cannot turn off billing). It also returns
// the org.
func (s *Store) NoticeRecipients(ctx context.Context, n Notice) (orgs.Organization, []string, error) {
	orgID := n.OrganizationID
	o, err := s.GetOrganization(ctx, orgID)
	if err != nil {
		return o, nil, err
	}
	if o.BillingEmail != "" {
		return o, []string{o.BillingEmail}, nil
	}
	owners, _, err := s.ListMembers(ctx, orgID, MemberFilter{Role: access.Owner, Status: orgs.StatusActive}, Page{Limit: 20})
	to := []string{}
	for _, m := range owners {
		if m.Notifications.Wants(m.Role, n.Category) {
			to = append(to, m.Email)
		}
	}
	return o, to, err
}

// DecodeWallet reads a wallet from an item image (a stream record's).
func DecodeWallet(img map[string]types.AttributeValue) (credits.Wallet, error) {
	var r walletRecord
	if err := attributevalue.UnmarshalMap(img, &r); err != nil {
		return credits.Wallet{}, fmt.Errorf("ddb: wallet item: %w", err)
	}
	if r.Type != TypeWallet || !ids.Valid(ids.Organization, r.OrgID) || r.PK != orgPK(r.OrgID) || r.SK != walletSK {
		return credits.Wallet{}, fmt.Errorf("ddb: malformed wallet item %s/%s", r.PK, r.SK)
	}
	return r.wallet(), nil
}

// DecodeSubscription reads a subscription from an item image.
func DecodeSubscription(img map[string]types.AttributeValue) (billing.Subscription, error) {
	var r subscriptionRecord
	if err := attributevalue.UnmarshalMap(img, &r); err != nil {
		return billing.Subscription{}, fmt.Errorf("ddb: subscription item: %w", err)
	}
	if r.Type != TypeSubscription || !ids.Valid(ids.Organization, r.OrgID) || r.PK != orgPK(r.OrgID) || r.SK != subscriptionSK {
		return billing.Subscription{}, fmt.Errorf("ddb: malformed subscription item %s/%s", r.PK, r.SK)
	}
	return r.subscription(), nil
}
