package ddb

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/exports"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/orgs"
)

// Reads is the consistent read one request makes: admission adds its keys
// (membership and org, or an API key's lookup and org), the route adds
// the keys of what it reads, and Run fetches them all in ONE round trip
// (a BatchGetItem, or a GetItem for a single key). Each adder returns a
// getter to call after Run. Keys added after a Run are fetched by the
// next Run; a Run with nothing new makes no call. Not safe for concurrent
// use: a request adds and runs from one goroutine at a time.
type Reads struct {
	s       *Store
	pending []map[string]types.AttributeValue
	asked   map[string]bool
	found   batch
}

// Reads starts a request's read.
func (s *Store) Reads() *Reads { return &Reads{s: s, asked: map[string]bool{}, found: batch{}} }

func (r *Reads) add(keys ...map[string]types.AttributeValue) {
	for _, k := range keys {
		if id := itemKey(k); !r.asked[id] {
			r.asked[id] = true
			r.pending = append(r.pending, k)
		}
	}
}

// Run fetches every key added since the last Run, consistently.
func (r *Reads) Run(ctx context.Context) error {
	keys := r.pending
	r.pending = nil
	switch len(keys) {
	case 0:
		return nil
	case 1:
		out, err := r.s.getItem(ctx, keys[0])
		if err != nil {
			return err
		}
		if out != nil {
			r.found[itemKey(keys[0])] = out
		}
		return nil
	}
	found, err := r.s.getMany(ctx, keys, true)
	for k, v := range found {
		r.found[k] = v
	}
	return err
}

// Warm reads an item that does not exist (an eventually consistent
// GetItem, half a read unit), so the client's connection to DynamoDB is
// open and its signing warm before the first request needs them.
func (s *Store) Warm(ctx context.Context) error {
	_, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: warmKey()})
	return err
}

// Membership is admission's read: a membership and its org, whatever the
// org's status (zero when it does not exist), with its custom roles.
// ErrNotFound when the membership does not exist.
func (r *Reads) Membership(orgID, userID string) func() (orgs.Member, orgs.Organization, error) {
	r.add(memberKey(orgID, userID), orgKey(orgID))
	return func() (orgs.Member, orgs.Organization, error) {
		var o orgRecord
		if _, err := r.found.decode(orgKey(orgID), &o); err != nil {
			return orgs.Member{}, orgs.Organization{}, err
		}
		var rec memberRecord
		ok, err := r.found.decode(memberKey(orgID, userID), &rec)
		if err == nil && !ok {
			err = ErrNotFound
		}
		return rec.member(), o.org(), err
	}
}

// KeyAndOrg is an API key's admission read: the secret's lookup and the
// org of the path (none when orgID is ""). ErrNotFound when no key has
// the secret.
func (r *Reads) KeyAndOrg(hash, orgID string) func() (KeyAuth, orgs.Organization, error) {
	lookup := key(keyLookupPK(hash), tokenSK)
	r.add(lookup)
	if orgID != "" {
		r.add(orgKey(orgID))
	}
	return func() (KeyAuth, orgs.Organization, error) {
		var o orgRecord
		if orgID != "" {
			if _, err := r.found.decode(orgKey(orgID), &o); err != nil {
				return KeyAuth{}, orgs.Organization{}, err
			}
		}
		var look keyLookupRecord
		ok, err := r.found.decode(lookup, &look)
		if err != nil || !ok {
			return KeyAuth{}, o.org(), orNotFound(err)
		}
		return look.auth(), o.org(), nil
	}
}

// Organization reads an active org and whether its wallet exists.
func (r *Reads) Organization(id string) func() (orgs.Organization, error) {
	r.add(orgKey(id), walletKey(id))
	return func() (orgs.Organization, error) { return r.found.org(id) }
}

// Project reads one project.
func (r *Reads) Project(orgID, projectID string) func() (orgs.Project, error) {
	k := key(orgPK(orgID), projectSK(projectID))
	r.add(k)
	return func() (orgs.Project, error) {
		var rec projectRecord
		if ok, err := r.found.decode(k, &rec); err != nil || !ok {
			return orgs.Project{}, orNotFound(err)
		}
		return rec.project(), nil
	}
}

// MemberWithLogin reads one membership and its user's last login.
func (r *Reads) MemberWithLogin(orgID, userID string) func() (orgs.Member, error) {
	r.add(memberKey(orgID, userID), profileKey(userID))
	return func() (orgs.Member, error) {
		var rec memberRecord
		if ok, err := r.found.decode(memberKey(orgID, userID), &rec); err != nil || !ok {
			return orgs.Member{}, orNotFound(err)
		}
		m := rec.member()
		var u userRecord
		if ok, err := r.found.decode(profileKey(userID), &u); ok && err == nil {
			m.LastLoginAt = parseStamp(u.LastLoginAt)
		}
		return m, nil
	}
}

// App reads one app instance.
func (r *Reads) App(orgID, appID string) func() (apps.Instance, error) {
	r.add(appKey(orgID, appID))
	return func() (apps.Instance, error) {
		var rec appRecord
		if ok, err := r.found.decode(appKey(orgID, appID), &rec); err != nil || !ok {
			return apps.Instance{}, orNotFound(err)
		}
		return rec.instance(), nil
	}
}

// Invitation reads one invitation of an org.
func (r *Reads) Invitation(orgID, invID string) func() (invites.Invitation, error) {
	k := key(orgPK(orgID), invitationSK(invID))
	r.add(k)
	return func() (invites.Invitation, error) {
		var rec invitationRecord
		if ok, err := r.found.decode(k, &rec); err != nil || !ok {
			return invites.Invitation{ID: invID, OrganizationID: orgID}, orNotFound(err)
		}
		return rec.invitation(), nil
	}
}

// APIKey reads a key's metadata; its last use lives on its lookup items,
// whose keys the metadata names, so the getter reads those (a second
// round trip) with ctx.
func (r *Reads) APIKey(orgID, keyID string) func(context.Context) (apikeys.Key, error) {
	k := key(orgPK(orgID), apiKeySK(keyID))
	r.add(k)
	return func(ctx context.Context) (apikeys.Key, error) {
		var rec apiKeyRecord
		if ok, err := r.found.decode(k, &rec); err != nil || !ok {
			return apikeys.Key{}, orNotFound(err)
		}
		ak := rec.key()
		return ak, r.s.fillLastUsed(ctx, []*apikeys.Key{&ak}, []apiKeyRecord{rec})
	}
}

// Subscription reads an org's subscription (free when it never
// subscribed) and its usage. ErrNotFound when the org is gone or deleting.
func (r *Reads) Subscription(orgID string) func() (billing.Subscription, billing.Usage, error) {
	r.add(billingKeys(orgID, nil)...)
	return func() (billing.Subscription, billing.Usage, error) {
		st, err := r.found.billing(orgID, nil)
		return st.sub, st.org.usage(), err
	}
}

// Wallet reads an org's wallet (found false when it has none yet) and
// its low-balance threshold. ErrNotFound when the org is gone or deleting.
func (r *Reads) Wallet(orgID string) func() (w credits.Wallet, found bool, threshold int64, err error) {
	r.add(billingKeys(orgID, nil)...)
	r.add(walletKey(orgID))
	return func() (credits.Wallet, bool, int64, error) {
		st, err := r.found.billing(orgID, nil)
		if err != nil {
			return credits.Wallet{OrganizationID: orgID}, false, 0, err
		}
		var rec walletRecord
		ok, err := r.found.decode(walletKey(orgID), &rec)
		if err != nil || !ok {
			return credits.Wallet{OrganizationID: orgID}, false, Threshold(st.sub), err
		}
		return rec.wallet(), true, Threshold(st.sub), nil
	}
}

// Export reads one export job of an owner (an org, or a person).
func (r *Reads) Export(kind, owner, id string) func() (exports.Job, error) {
	k := exportKey(exports.Job{ID: id, Kind: kind, OrganizationID: owner, UserID: owner})
	r.add(k)
	return func() (exports.Job, error) {
		var rec exportRecord
		if ok, err := r.found.decode(k, &rec); err != nil || !ok {
			return exports.Job{}, orNotFound(err)
		}
		return rec.job(), nil
	}
}
