package ddb

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/plans"
)

func newOrg(id, name, slug, description string, creator orgs.User, now time.Time) orgRecord {
	r := orgRecord{PK: orgPK(id), SK: orgSK, Type: TypeOrganization, ID: id, Name: name, Slug: slug,
		Description: description, Branding: map[string]string{}, NotificationPreferences: map[string]bool{},
		Plan: plans.Free, Status: orgs.OrgActive, CreatedBy: creator.ID,
		MemberCount: 1, SeatCount: 1, OwnerCount: 1,
		RoleCounts:  map[string]int{access.Owner: 1, access.Admin: 0, access.Member: 0},
		CustomRoles: map[string]roleRecord{}, InviteRoleCounts: map[string]int{},
		CreatedAt: stamp(now), UpdatedAt: stamp(now), Version: 1}
	p, _ := plans.Get(plans.Free)
	r.setLimits(p.Limits)
	return r
}

// createOrg adds to t the actions that create an org: the org, its slug
// guard, the creator's owner membership and their email guard.
func (t *txn) createOrg(o orgRecord, creator orgs.User, now time.Time) *txn {
	owner := orgs.Member{OrganizationID: o.ID, UserID: creator.ID, Email: creator.Email, Name: creator.Name,
		Role: access.Owner, Status: orgs.StatusActive, JoinedAt: now, Version: 1}
	return t.record(event(o.ID, userActor(creator), activity.OrgCreated, orgTarget(o.org()))).
		put(marshal(o), notExists, nil).
		put(marshal(guardRecord{PK: slugPK(o.Slug), SK: slugSK, Type: TypeSlugGuard, Owner: o.ID}), notExists, ErrSlugTaken).
		put(marshal(newMemberRecord(owner)), notExists, nil).
		put(marshal(emailGuard(o.ID, email.Address(creator.Email), creator.ID)), notExists, nil)
}

// counts are deltas to an org's counters.
type counts struct {
	members, invites, seats, owners, projects, apps, apiKeys int
	roles                                                    map[string]int // members per role
	inviteRoles                                              map[string]int // pending invitations per role
}

// counters is the update that moves the org's counters by d.
func (s *Store) counters(d counts) *update {
	u := newUpdate()
	for _, c := range []struct {
		attr  string
		delta int
	}{{"member_count", d.members}, {"invite_count", d.invites}, {"seat_count", d.seats},
		{"owner_count", d.owners}, {"project_count", d.projects}, {"app_count", d.apps}, {"api_key_count", d.apiKeys}} {
		if c.delta != 0 {
			u.add(int64(c.delta), c.attr)
		}
	}
	for role, delta := range d.roles {
		if delta != 0 {
			u.add(int64(delta), "role_counts", role)
		}
	}
	for role, delta := range d.inviteRoles {
		if delta != 0 {
			u.add(int64(delta), "invite_role_counts", role)
		}
	}
	return u.setValue("updated_at", stamp(s.now()))
}

// guard is the condition every counter update needs: the org exists and,
// when it loses an active owner, keeps another.
func (d counts) guard() cond {
	if d.owners < 0 {
		return exists.and(anotherOwner)
	}
	return exists
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
		err := s.txn().createOrg(o, creator, now).run(ctx)
		switch {
		case err == nil:
			return o.org(), nil
		case errors.Is(err, ErrSlugTaken) && !chosen:
			slug = orgs.SlugFrom(in.Name) + "-" + suffix()
		default:
			return orgs.Organization{}, err
		}
	}
	return orgs.Organization{}, ErrNoFreeSlug
}

// GetOrganization reads an org and whether its wallet exists, in one round trip.
func (s *Store) GetOrganization(ctx context.Context, id string) (orgs.Organization, error) {
	r := s.Reads()
	get := r.Organization(id)
	if err := r.Run(ctx); err != nil {
		return orgs.Organization{}, err
	}
	return get()
}

// org decodes an active org and whether its wallet exists from a batch
// read that asked for both; ErrNotFound when it is gone or deleting.
func (b batch) org(id string) (orgs.Organization, error) {
	var rec orgRecord
	ok, err := b.decode(orgKey(id), &rec)
	switch {
	case err != nil:
		return orgs.Organization{}, err
	case !ok || rec.Status != orgs.OrgActive:
		return orgs.Organization{}, ErrNotFound
	}
	o := rec.org()
	o.HasWallet = b.has(walletKey(id))
	return o, nil
}

// OrgPatch changes some of an org's fields. A nil field stays; a pointer to
// "" removes an optional field (logo_url, billing_email).
type OrgPatch struct {
	Name         *string
	Description  *string
	LogoURL      *string
	BillingEmail *string
	// Billing replaces the billing details; a pointer to zero ones clears them.
	Billing                 *orgs.BillingDetails
	Branding                *map[string]string
	NotificationPreferences *map[string]bool
}

// UpdateOrganization applies a patch to by's org, with by held in their
// role, and records what moved. ifVersion > 0 makes it conditional on the
// org's version (If-Match): a mismatch is 412 version_conflict. Without
// it, a concurrent change makes it read the org again and retry, so the
// recorded changes start from the version they were applied to.
func (s *Store) UpdateOrganization(ctx context.Context, by orgs.Member, current orgs.Organization, p OrgPatch, ifVersion int64) (orgs.Organization, error) {
	if ifVersion > 0 && ifVersion != current.Version {
		return orgs.Organization{}, ErrVersionConflict
	}
	for attempt := 0; ; attempt++ {
		err := s.txn().
			update(orgKey(current.ID), p.update(s.now()), orgActive.and(versionIs(current.Version)), orgGoneOr(ErrVersionConflict)).
			actorHolds(by).
			record(memberEvent(by, activity.OrgUpdated, orgTarget(current)).With(p.changes(current))).
			run(ctx)
		if errors.Is(err, ErrVersionConflict) && ifVersion == 0 && attempt < maxTxnAttempts {
			if current, err = s.GetOrganization(ctx, current.ID); err != nil {
				return orgs.Organization{}, err
			}
			continue
		}
		if err != nil {
			return orgs.Organization{}, err
		}
		// A transaction returns no item: read the org back (with whether
		// its wallet exists), as the update left it or later.
		return s.GetOrganization(ctx, current.ID)
	}
}

func (p OrgPatch) update(now time.Time) *update {
	u := newUpdate().set("name", p.Name).set("description", p.Description).
		setOrRemove("logo_url", p.LogoURL).setOrRemove("billing_email", p.BillingEmail)
	if p.Branding != nil {
		u.setValue("branding", *p.Branding)
	}
	if p.NotificationPreferences != nil {
		u.setValue("notification_preferences", *p.NotificationPreferences)
	}
	switch {
	case p.Billing == nil:
	case p.Billing.Zero():
		u.remove("billing_details")
	default:
		u.setValue("billing_details", newBillingRecord(*p.Billing))
	}
	return u.setValue("updated_at", stamp(now)).bump()
}

// changes are the fields p moves from o, by their API names.
func (p OrgPatch) changes(o orgs.Organization) activity.Changes {
	c := activity.Changes{}
	if p.Name != nil {
		c.Note("name", o.Name, *p.Name)
	}
	if p.Description != nil {
		c.Note("description", o.Description, *p.Description)
	}
	if p.LogoURL != nil {
		c.Note("logo_url", o.LogoURL, *p.LogoURL)
	}
	if p.BillingEmail != nil {
		c.Note("billing_email", o.BillingEmail, *p.BillingEmail)
	}
	if p.Branding != nil {
		c.Note("branding", o.Branding, *p.Branding)
	}
	if p.NotificationPreferences != nil {
		c.Note("notification_preferences", o.NotificationPreferences, *p.NotificationPreferences)
	}
	if p.Billing != nil {
		c.Note("billing", newBillingRecord(o.Billing), newBillingRecord(*p.Billing))
	}
	return c
}
