package ddb

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// Items that own a lookup item elsewhere in the table (an invitation's
// token hash, an API key's secret hash) name it in these attributes, so
// deleting an org can find and delete every lookup without knowing types.
const (
	lookupPKAttr = "lookup_pk"
	lookupSKAttr = "lookup_sk"
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
func (s *Store) DeleteOrganization(ctx context.Context, orgID, confirmSlug, callerID string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(orgPK(orgID), orgSK),
		UpdateExpression:                    aws.String("SET #st = :deleting ADD version :one"),
		ConditionExpression:                 aws.String("attribute_exists(PK) AND slug = :slug"),
		ExpressionAttributeNames:            map[string]string{"#st": "status"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":deleting": str(orgs.OrgDeleting), ":slug": str(confirmSlug), ":one": num(1)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if ccf.Item == nil {
			return ErrNotFound
		}
		return problem.Field("confirm_slug", "must equal the organization's slug")
	}
	if err != nil {
		return err
	}
	for _, pk := range []string{ledgerPK(orgID), activityPK(orgID), appLogPK(orgID)} {
		if err := s.purge(ctx, pk, "", nil, nil); err != nil {
			return err
		}
	}
	member := func(sk string) bool { return strings.HasPrefix(sk, "MEMBER#") }
	if err := s.purge(ctx, orgPK(orgID), "", nil, func(sk string) bool { return sk == orgSK || member(sk) }); err != nil {
		return err
	}
	callerSK := memberSK(callerID)
	if err := s.purge(ctx, orgPK(orgID), "MEMBER#", func(item map[string]types.AttributeValue) {
		if u, ok := item["user_id"].(*types.AttributeValueMemberS); ok {
			s.clearActiveOrg(ctx, u.Value, orgID)
		}
	}, func(sk string) bool { return sk == callerSK }); err != nil {
		return err
	}
	return s.transact(ctx, []types.TransactWriteItem{
		s.del(key(orgPK(orgID), orgSK), "", nil, nil),
		s.del(key(slugPK(confirmSlug), slugSK), "", nil, nil),
		s.del(key(orgPK(orgID), callerSK), "", nil, nil),
	})
}

// purge deletes every item of a partition (optionally only sort keys with
// a prefix), and the lookup items they name, in batches of 25. Items whose
// sort key keep accepts are left; see is called for each item deleted.
func (s *Store) purge(ctx context.Context, pk, prefix string, see func(map[string]types.AttributeValue), keep func(sk string) bool) error {
	in := &dynamodb.QueryInput{TableName: &s.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}}
	if prefix != "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :prefix)")
		in.ExpressionAttributeValues[":prefix"] = str(prefix)
	}
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		var keys []map[string]types.AttributeValue
		for _, item := range out.Items {
			sk := (&oldItem{item: item}).attr("SK")
			if keep != nil && keep(sk) {
				continue
			}
			if see != nil {
				see(item)
			}
			keys = append(keys, key(pk, sk))
			if lpk, lsk := (&oldItem{item: item}).attr(lookupPKAttr), (&oldItem{item: item}).attr(lookupSKAttr); lpk != "" && lsk != "" {
				keys = append(keys, key(lpk, lsk))
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

// MyOrganization is an org as one of its members sees it in their list.
type MyOrganization struct {
	orgs.Organization
	Role string
}

// ListUserOrganizations pages through the orgs a user is an active member
// of (GSI1 on memberships), with each org read in one batch per page.
func (s *Store) ListUserOrganizations(ctx context.Context, userID string, page Page) ([]MyOrganization, Position, error) {
	in := &dynamodb.QueryInput{IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :org)"),
		FilterExpression:          aws.String("#st = :active"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(userPK(userID)), ":org": str("ORG#"), ":active": str(orgs.StatusActive)}}
	members, next, err := queryRecords(ctx, s, in, page, func(r memberRecord) memberRecord { return r })
	if err != nil || len(members) == 0 {
		return nil, next, err
	}
	keys := make([]map[string]types.AttributeValue, 0, 2*len(members))
	for _, m := range members {
		keys = append(keys, key(orgPK(m.OrgID), orgSK), key(orgPK(m.OrgID), walletSK))
	}
	found, err := s.getMany(ctx, keys, false)
	if err != nil {
		return nil, nil, err
	}
	out := make([]MyOrganization, 0, len(members))
	for _, m := range members {
		var rec orgRecord
		item, ok := found[orgPK(m.OrgID)+"|"+orgSK]
		if !ok || attributevalue.UnmarshalMap(item, &rec) != nil || rec.Status != orgs.OrgActive {
			continue
		}
		o := rec.org()
		_, o.HasWallet = found[orgPK(m.OrgID)+"|"+walletSK]
		out = append(out, MyOrganization{Organization: o, Role: m.Role})
	}
	return out, next, nil
}
