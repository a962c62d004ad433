package ddb

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/orgs"
)

// DeleteOrganization removes every item of the org. It first marks the org
// deleting (conditional on the confirmed slug): from then on every route
// but this one answers 404 (see MemberAndOrg). Then it removes the org's
// append-only partitions, everything in the org partition, the lookup
// items those name and the other memberships, and last, in one
// transaction, the org item, its slug guard (freeing the slug) and the
// caller's own membership. Until that last step the caller can still
// reach this route, so a purge cut short (a large ledger outlasting the
// function's timeout, a crash) resumes when they send DELETE again.
//
// by is the member deleting it, held in their role by the mark (a delete
// admitted just before its owner was demoted or removed does not start);
// nil when no member acts, and then every membership goes in the purge.
func (s *Store) DeleteOrganization(ctx context.Context, orgID, confirmSlug string, by *orgs.Member) error {
	mark := newUpdate().setValue("status", orgs.OrgDeleting).bump()
	t := s.txn().update(orgKey(orgID), mark, exists.and(attrIs("slug", confirmSlug)), explained(func(old item) error {
		if old == nil {
			return ErrNotFound
		}
		return ErrSlugMismatch
	}))
	callerID := ""
	if by != nil {
		t.actorHolds(*by)
		callerID = by.UserID
	}
	if err := t.run(ctx); err != nil {
		return err
	}
	for _, pk := range sidePartitions(orgID) {
		if err := s.purge(ctx, pk, "", nil, nil); err != nil {
			return err
		}
	}
	member := func(sk string) bool { return strings.HasPrefix(sk, memberSK("")) }
	if err := s.purge(ctx, orgPK(orgID), "", nil, func(sk string) bool { return sk == orgSK || member(sk) }); err != nil {
		return err
	}
	callerSK := memberSK(callerID)
	if err := s.purge(ctx, orgPK(orgID), memberSK(""), func(it item) {
		if u := it.str("user_id"); u != "" {
			s.clearActiveOrg(ctx, u, orgID)
		}
	}, func(sk string) bool { return sk == callerSK }); err != nil {
		return err
	}
	err := s.txn().
		del(orgKey(orgID), nil, nil).
		del(key(slugPK(confirmSlug), slugSK), nil, nil).
		del(key(orgPK(orgID), callerSK), nil, nil).
		run(ctx)
	if err == nil && callerID != "" {
		// The caller's pointer goes last, with their membership; a clear
		// cut short here is made by their next /me (CurrentUser).
		s.clearActiveOrg(ctx, callerID, orgID)
	}
	return err
}

// purge deletes every item of a partition (optionally only sort keys with
// a prefix), and the lookup items they name, in batches of 25. Items whose
// sort key keep accepts are left; see is called for each item deleted.
func (s *Store) purge(ctx context.Context, pk, prefix string, see func(item), keep func(sk string) bool) error {
	in := inPartition(pk, prefix).input(s.Table)
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		var keys []map[string]types.AttributeValue
		for _, it := range out.Items {
			it := item(it)
			sk := it.str("SK")
			if keep != nil && keep(sk) {
				continue
			}
			if see != nil {
				see(it)
			}
			keys = append(keys, key(pk, sk))
			for _, attrs := range [][2]string{{lookupPKAttr, lookupSKAttr}, {prevLookupPKAttr, prevLookupSKAttr}} {
				if lpk, lsk := it.str(attrs[0]), it.str(attrs[1]); lpk != "" && lsk != "" {
					keys = append(keys, key(lpk, lsk))
				}
			}
		}
		if err := s.deleteKeys(ctx, keys); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) deleteKeys(ctx context.Context, keys []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	return s.batchWrite(ctx, reqs)
}
