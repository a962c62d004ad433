package ddb

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/plans"
	"github.com/orgplane/orgplane/shared/problem"
)

func newOrg(id, name, slug, description string, creator orgs.User, now time.Time) orgRecord {
	r := orgRecord{PK: orgPK(id), SK: orgSK, Type: TypeOrganization, ID: id, Name: name, Slug: slug,
		Description: description, Branding: map[string]string{}, NotificationPreferences: map[string]bool{},
		Plan: plans.Free, Status: orgs.OrgActive, CreatedBy: creator.ID,
		MemberCount: 1, SeatCount: 1, OwnerCount: 1,
		RoleCounts: map[string]int{access.Owner: 1, access.Admin: 0, access.Member: 0},
		CreatedAt:  stamp(now), UpdatedAt: stamp(now), Version: 1}
	p, _ := plans.Get(plans.Free)
	r.setLimits(p.Limits)
	return r
}

// orgItems are the actions that create an org: the org, its slug guard,
// the creator's owner membership and their email guard. Index 1 is the
// slug guard, whose failure means the slug is taken.
func (s *Store) orgItems(o orgRecord, creator orgs.User, now time.Time) []types.TransactWriteItem {
	owner := orgs.Member{OrganizationID: o.ID, UserID: creator.ID, Email: creator.Email, Name: creator.Name,
		Role: access.Owner, Status: orgs.StatusActive, JoinedAt: now, Version: 1}
	return []types.TransactWriteItem{
		s.put(marshal(o), "attribute_not_exists(PK)", nil, nil),
		s.put(marshal(guardRecord{PK: slugPK(o.Slug), SK: slugSK, Type: TypeSlugGuard, Owner: o.ID}), "attribute_not_exists(PK)", nil, nil),
		s.put(marshal(newMemberRecord(owner)), "attribute_not_exists(PK)", nil, nil),
		s.put(marshal(guardRecord{PK: orgPK(o.ID), SK: emailSK(creator.Email), Type: TypeEmailGuard, Owner: creator.ID}), "attribute_not_exists(PK)", nil, nil),
	}
}

// NewOrganization is what a caller supplies to create an org.
type NewOrganization struct {
	Name        string
	Slug        string // empty: derived from Name
	Description string
}

// CreateOrganization creates an org owned by creator. A chosen slug that is
// taken is a 409 slug_taken; a derived one gets a random suffix instead.
func (s *Store) CreateOrganization(ctx context.Context, creator orgs.User, in NewOrganization) (orgs.Organization, error) {
	now := s.now()
	slug, chosen := in.Slug, in.Slug != ""
	if !chosen {
		slug = orgs.SlugFrom(in.Name)
	}
	for attempt := 0; attempt < 5; attempt++ {
		o := newOrg(ids.New(ids.Organization), strings.TrimSpace(in.Name), slug, in.Description, creator, now)
		err := s.transact(ctx, s.orgItems(o, creator, now))
		switch {
		case err == nil:
			return o.org(), nil
		case failedAt(err, 1) && chosen:
			return orgs.Organization{}, problem.New(problem.SlugTaken, "The slug %q is taken.", slug)
		case failedAt(err, 1):
			slug = orgs.SlugFrom(in.Name) + "-" + suffix()
		default:
			return orgs.Organization{}, err
		}
	}
	return orgs.Organization{}, problem.New(problem.SlugTaken, "No free slug could be derived; choose one.")
}

// GetOrganization reads an org and whether its wallet exists, in one round trip.
func (s *Store) GetOrganization(ctx context.Context, id string) (orgs.Organization, error) {
	found, err := s.getMany(ctx, []map[string]types.AttributeValue{key(orgPK(id), orgSK), key(orgPK(id), walletSK)}, true)
	if err != nil {
		return orgs.Organization{}, err
	}
	item, ok := found[orgPK(id)+"|"+orgSK]
	if !ok {
		return orgs.Organization{}, ErrNotFound
	}
	var rec orgRecord
	if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
		return orgs.Organization{}, err
	}
	if rec.Status != orgs.OrgActive {
		return orgs.Organization{}, ErrNotFound
	}
	o := rec.org()
	_, o.HasWallet = found[orgPK(id)+"|"+walletSK]
	return o, nil
}

// OrgPatch changes some of an org's fields. A nil field stays; a pointer to
// "" removes an optional field (logo_url, billing_email).
type OrgPatch struct {
	Name                    *string
	Description             *string
	LogoURL                 *string
	BillingEmail            *string
	Branding                *map[string]string
	NotificationPreferences *map[string]bool
}

// UpdateOrganization applies a patch. ifVersion > 0 makes it conditional on
// the org's version (If-Match): a mismatch is 412 version_conflict.
func (s *Store) UpdateOrganization(ctx context.Context, id string, p OrgPatch, ifVersion int64) (orgs.Organization, error) {
	u := newUpdate()
	u.set("name", p.Name)
	u.set("description", p.Description)
	u.setOrRemove("logo_url", p.LogoURL)
	u.setOrRemove("billing_email", p.BillingEmail)
	if p.Branding != nil {
		u.setValue("branding", *p.Branding)
	}
	if p.NotificationPreferences != nil {
		u.setValue("notification_preferences", *p.NotificationPreferences)
	}
	u.setValue("updated_at", stamp(s.now()))
	u.add("version", 1)
	cond := "attribute_exists(PK) AND #status = :active"
	u.names["#status"] = "status"
	u.values[":active"] = str(orgs.OrgActive)
	if ifVersion > 0 {
		cond += " AND version = :v"
		u.values[":v"] = num(ifVersion)
	}
	var rec orgRecord
	err := s.updateItem(ctx, key(orgPK(id), orgSK), u, cond, &rec)
	if err != nil {
		var old *oldItem
		if errors.As(err, &old) {
			if old.item == nil || old.attr("status") != orgs.OrgActive {
				return orgs.Organization{}, ErrNotFound
			}
			return orgs.Organization{}, problem.New(problem.VersionConflict, "The organization changed since version %d.", ifVersion)
		}
		return orgs.Organization{}, err
	}
	o := rec.org()
	// The wallet's existence is not part of the update; read it cheaply.
	got, err := s.GetOrganization(ctx, id)
	if err == nil {
		o.HasWallet = got.HasWallet
	}
	return o, nil
}

// oldItem is a single-item write whose condition failed, with the item as
// it was (nil when absent).
type oldItem struct {
	item map[string]types.AttributeValue
}

func (e *oldItem) Error() string { return "ddb: condition failed" }

func (e *oldItem) attr(name string) string {
	if v, ok := e.item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// updateItem runs one UpdateItem and unmarshals the new item into out.
func (s *Store) updateItem(ctx context.Context, k map[string]types.AttributeValue, u *updateExpr, cond string, out any) error {
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: k,
		UpdateExpression:                    aws.String(u.String()),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            nonEmpty(u.names),
		ExpressionAttributeValues:           nonEmptyV(u.values),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return &oldItem{item: ccf.Item}
	}
	if err != nil {
		return err
	}
	return attributevalue.UnmarshalMap(res.Attributes, out)
}
