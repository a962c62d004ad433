package ddb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/plans"
)

// Subscriber is an org to bulk-load: its wallet's balance and its
// subscription.
type Subscriber struct {
	Balance      int64
	Subscription billing.Subscription
}

// PutSubscribers writes each subscriber's org (on its plan, with the plan's
// limits), wallet and subscription exactly as given, 25 items per
// BatchWriteItem, with no condition, no member and no ledger entry: a bulk
// load for fixtures and benchmarks (the renewal job over 10,000 orgs),
// never a path a request takes.
func (s *Store) PutSubscribers(ctx context.Context, subs []Subscriber) error {
	now := s.now()
	var reqs []types.WriteRequest
	for i, sub := range subs {
		id := sub.Subscription.OrganizationID
		plan, ok := plans.Get(sub.Subscription.Plan)
		if !ok {
			return fmt.Errorf("ddb: unknown plan %q", sub.Subscription.Plan)
		}
		o := newOrg(id, fmt.Sprintf("Bulk %d", i), "bulk-"+lower(id), "", orgs.User{ID: "usr_bulk"}, now)
		o.Plan = plan.ID
		o.setLimits(plan.Limits)
		w := walletRecord{PK: orgPK(id), SK: walletSK, Type: TypeWallet, OrgID: id, Balance: sub.Balance,
			Currency: credits.Currency, CreatedAt: stamp(now), UpdatedAt: stamp(now), Version: 1}
		for _, it := range []any{o, w, newSubscriptionRecord(sub.Subscription, now)} {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: marshal(it)}})
		}
	}
	return s.batchWrite(ctx, reqs)
}
