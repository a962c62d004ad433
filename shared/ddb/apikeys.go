package ddb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/orgs"
)

// API keys. A key's metadata lives in its org (ORG#<org> / APIKEY#<key>);
// what authentication needs lives on a lookup item keyed by the hash of
// the secret (APIKEY#<sha256> / KEY): org, key, type, project, permissions,
// level, status, expiry, grace end and last use. Admission reads the
// lookup in the same BatchGetItem as the org item. During a rotation's
// grace the old secret's lookup stays, named in prev_lookup_pk, with its
// own grace end. Only hashes are stored, never a secret.

type apiKeyRecord struct {
	PK             string          `dynamodbav:"PK"`
	SK             string          `dynamodbav:"SK"`
	Type           string          `dynamodbav:"type"`
	ID             string          `dynamodbav:"id"`
	OrgID          string          `dynamodbav:"organization_id"`
	Name           string          `dynamodbav:"name"`
	KeyType        string          `dynamodbav:"key_type"`
	Prefix         string          `dynamodbav:"prefix"`
	LastFour       string          `dynamodbav:"last_four"`
	ProjectID      string          `dynamodbav:"project_id,omitempty"`
	Permissions    []string        `dynamodbav:"permissions"`
	Level          int             `dynamodbav:"level"`
	CreatedBy      string          `dynamodbav:"created_by"`
	CreatedAt      string          `dynamodbav:"created_at"`
	ExpiresAt      string          `dynamodbav:"expires_at,omitempty"`
	GraceExpiresAt string          `dynamodbav:"grace_expires_at,omitempty"`
	RevokedAt      string          `dynamodbav:"revoked_at,omitempty"`
	RevokeReason   string          `dynamodbav:"revoke_reason,omitempty"`
	Agent          *apikeys.Agent  `dynamodbav:"agent,omitempty"`
	CreditBudget   *apikeys.Budget `dynamodbav:"credit_budget,omitempty"`
	LookupPK       string          `dynamodbav:"lookup_pk"`
	LookupSK       string          `dynamodbav:"lookup_sk"`
	PrevLookupPK   string          `dynamodbav:"prev_lookup_pk,omitempty"`
	PrevLookupSK   string          `dynamodbav:"prev_lookup_sk,omitempty"`
	Version        int64           `dynamodbav:"version"`
}

// keyLookupRecord is what authenticating a secret reads.
type keyLookupRecord struct {
	PK          string   `dynamodbav:"PK"`
	SK          string   `dynamodbav:"SK"`
	Type        string   `dynamodbav:"type"`
	OrgID       string   `dynamodbav:"organization_id"`
	KeyID       string   `dynamodbav:"key_id"`
	KeyType     string   `dynamodbav:"key_type"`
	Name        string   `dynamodbav:"name"`
	ProjectID   string   `dynamodbav:"project_id,omitempty"`
	Permissions []string `dynamodbav:"permissions"`
	Level       int      `dynamodbav:"level"`
	ExpiresAt   string   `dynamodbav:"expires_at,omitempty"`
	// GraceExpiresAt ends this secret (a rotation's old one).
	GraceExpiresAt string          `dynamodbav:"grace_expires_at,omitempty"`
	RevokedAt      string          `dynamodbav:"revoked_at,omitempty"`
	LastUsedAt     string          `dynamodbav:"last_used_at,omitempty"`
	CreditBudget   *apikeys.Budget `dynamodbav:"credit_budget,omitempty"`
	TTL            int64           `dynamodbav:"ttl,omitempty"`
}

func perms(ps []access.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func permissions(ps []string) []access.Permission {
	out := make([]access.Permission, len(ps))
	for i, p := range ps {
		out[i] = access.Permission(p)
	}
	return out
}

func newAPIKeyRecord(k apikeys.Key, hash string) apiKeyRecord {
	return apiKeyRecord{PK: orgPK(k.OrganizationID), SK: apiKeySK(k.ID), Type: TypeAPIKey, ID: k.ID, OrgID: k.OrganizationID,
		Name: k.Name, KeyType: k.Type, Prefix: k.Prefix, LastFour: k.LastFour, ProjectID: k.ProjectID,
		Permissions: perms(k.Permissions), Level: k.Level, CreatedBy: k.CreatedBy, CreatedAt: stamp(k.CreatedAt),
		ExpiresAt: stampOrEmpty(k.ExpiresAt), Agent: k.Agent, CreditBudget: k.CreditBudget,
		LookupPK: keyLookupPK(hash), LookupSK: tokenSK, Version: k.Version}
}

func (r apiKeyRecord) key() apikeys.Key {
	return apikeys.Key{ID: r.ID, OrganizationID: r.OrgID, Name: r.Name, Type: r.KeyType, Prefix: r.Prefix,
		LastFour: r.LastFour, ProjectID: r.ProjectID, Permissions: permissions(r.Permissions), Level: r.Level,
		CreatedBy: r.CreatedBy, CreatedAt: parseStamp(r.CreatedAt), ExpiresAt: parseStamp(r.ExpiresAt),
		GraceExpiresAt: parseStamp(r.GraceExpiresAt), RevokedAt: parseStamp(r.RevokedAt), RevokeReason: r.RevokeReason,
		Agent: r.Agent, CreditBudget: r.CreditBudget, Version: r.Version}
}

func keyLookup(k apikeys.Key, hash string) keyLookupRecord {
	return keyLookupRecord{PK: keyLookupPK(hash), SK: tokenSK, Type: TypeAPIKeyLookup, OrgID: k.OrganizationID,
		KeyID: k.ID, KeyType: k.Type, Name: k.Name, ProjectID: k.ProjectID, Permissions: perms(k.Permissions),
		Level: k.Level, ExpiresAt: stampOrEmpty(k.ExpiresAt), CreditBudget: k.CreditBudget}
}

// KeyAuth is what authenticating a secret found.
type KeyAuth struct {
	Key apikeys.Key
	// SecretEndsAt is when this secret stops working: the key's expiry, or
	// a rotation's grace end for an old secret (zero: never).
	SecretEndsAt time.Time
	LastUsedAt   time.Time
}

func (r keyLookupRecord) auth() KeyAuth {
	k := apikeys.Key{ID: r.KeyID, OrganizationID: r.OrgID, Name: r.Name, Type: r.KeyType, ProjectID: r.ProjectID,
		Permissions: permissions(r.Permissions), Level: r.Level, ExpiresAt: parseStamp(r.ExpiresAt),
		RevokedAt: parseStamp(r.RevokedAt), CreditBudget: r.CreditBudget}
	ends := k.ExpiresAt
	if g := parseStamp(r.GraceExpiresAt); !g.IsZero() && (ends.IsZero() || g.Before(ends)) {
		ends = g
	}
	return KeyAuth{Key: k, SecretEndsAt: ends, LastUsedAt: parseStamp(r.LastUsedAt)}
}

// KeyAndOrg reads a secret's lookup and the org of the path in one
// consistent BatchGetItem: an API key's admission read. ErrNotFound when
// no key has the secret.
func (s *Store) KeyAndOrg(ctx context.Context, hash, orgID string) (KeyAuth, orgs.Organization, error) {
	r := s.Reads()
	get := r.KeyAndOrg(hash, orgID)
	if err := r.Run(ctx); err != nil {
		return KeyAuth{}, orgs.Organization{}, err
	}
	return get()
}

// TouchKey records a use of the secret at now, at most once a minute: one
// conditional update of its lookup item, never one per request.
func (s *Store) TouchKey(ctx context.Context, hash string, now time.Time) error {
	u := newUpdate().setValue("last_used_at", stamp(now))
	c := exists.and(absent("last_used_at").or(attrBefore("last_used_at", stamp(now.Add(-time.Minute)))))
	err := s.updateItem(ctx, key(keyLookupPK(hash), tokenSK), u, c, errTouched, nil)
	if errors.Is(err, errTouched) {
		return nil
	}
	return err
}

var errTouched = errors.New("ddb: key used within the minute")

// keyActive: an API key acting in a write is still not revoked.
var keyActive = absent("revoked_at")

// NewAPIKey is a key to create, with the hash of its secret.
type NewAPIKey struct {
	Key  apikeys.Key
	Hash string
}

// CreateAPIKey stores a key: its metadata and its lookup item, the org's
// key counter under the plan's limit, the project's key counter when the
// key belongs to one, and the actor's authority, in one transaction.
func (s *Store) CreateAPIKey(ctx context.Context, actor orgs.Member, authority access.Role, in NewAPIKey) (apikeys.Key, error) {
	k := in.Key
	t := s.txn().
		put(marshal(newAPIKeyRecord(k, in.Hash)), notExists, nil).
		put(marshal(keyLookup(k, in.Hash)), notExists, ErrContention). // a hash collision: draw again
		update(orgKey(k.OrganizationID), s.counters(counts{apiKeys: 1}), all(orgActive, roomFor(apiKeyRoom), authorityAt(authority)),
			rolesOr("", authority, QuotaError{apiKeyRoom.resource}))
	if k.ProjectID != "" {
		t.update(key(orgPK(k.OrganizationID), projectSK(k.ProjectID)), newUpdate().add(1, "api_key_count"), exists, errProjectGone)
	}
	t.record(memberEvent(actor, activity.APIKeyCreated, keyTarget(k)).With(activity.Changes{}.
		Note("permissions", nil, permissionNames(k.Permissions))))
	if err := t.actorHolds(actor).run(ctx); err != nil {
		return apikeys.Key{}, err
	}
	return k, nil
}

// A key is named by its name; never by its secret, prefix or hash.
func keyTarget(k apikeys.Key) activity.Target {
	return activity.Target{Type: activity.TargetAPIKey, ID: k.ID, Name: k.Name}
}

var errProjectGone = errors.New("ddb: the key's project does not exist")

// ErrUnknownProject: a key names a project the org does not have.
var ErrUnknownProject = errProjectGone

// GetAPIKey reads a key's metadata with its last use.
func (s *Store) GetAPIKey(ctx context.Context, orgID, keyID string) (apikeys.Key, error) {
	r := s.Reads()
	get := r.APIKey(orgID, keyID)
	if err := r.Run(ctx); err != nil {
		return apikeys.Key{}, err
	}
	return get(ctx)
}

// fillLastUsed copies each key's last use from its lookup items (one
// batch read), since only the lookup is written when a key is used.
func (s *Store) fillLastUsed(ctx context.Context, ks []*apikeys.Key, recs []apiKeyRecord) error {
	var keys []map[string]types.AttributeValue
	for _, r := range recs {
		keys = append(keys, key(r.LookupPK, r.LookupSK))
		if r.PrevLookupPK != "" {
			keys = append(keys, key(r.PrevLookupPK, r.PrevLookupSK))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	found, err := s.getMany(ctx, keys, false)
	if err != nil {
		return err
	}
	for i, r := range recs {
		for _, lk := range [][2]string{{r.LookupPK, r.LookupSK}, {r.PrevLookupPK, r.PrevLookupSK}} {
			var look keyLookupRecord
			if ok, err := found.decode(key(lk[0], lk[1]), &look); ok && err == nil {
				if t := parseStamp(look.LastUsedAt); t.After(ks[i].LastUsedAt) {
					ks[i].LastUsedAt = t
				}
			}
		}
	}
	return nil
}

// KeyFilter narrows a key list.
type KeyFilter struct {
	Type, ProjectID, Status string
}

// ListAPIKeys pages through an org's keys in creation order. Status is
// computed at now, so it filters after reading.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string, f KeyFilter, now time.Time, page Page) ([]apikeys.Key, Position, error) {
	q := inPartition(orgPK(orgID), apiKeySK(""))
	if f.Type != "" {
		q.where(attrIs("key_type", f.Type))
	}
	if f.ProjectID != "" {
		q.where(attrIs("project_id", f.ProjectID))
	}
	switch f.Status {
	case apikeys.Revoked:
		q.where(has("revoked_at"))
	case apikeys.Active, apikeys.Rotating, apikeys.Expired:
		q.where(absent("revoked_at"))
	}
	var recs []apiKeyRecord
	next, err := s.queryPage(ctx, q, page, func(it map[string]types.AttributeValue) error {
		var r apiKeyRecord
		if err := unmarshalItem(it, &r); err != nil {
			return err
		}
		if f.Status == "" || f.Status == apikeys.Revoked || r.key().StatusAt(now) == f.Status {
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	ks := make([]apikeys.Key, len(recs))
	ptrs := make([]*apikeys.Key, len(recs))
	for i, r := range recs {
		ks[i] = r.key()
		ptrs[i] = &ks[i]
	}
	return ks, next, s.fillLastUsed(ctx, ptrs, recs)
}

// lookupsOf are the lookup items of a key record's live secrets at now:
// its current one and, during a rotation's grace, the old one (which TTL
// removes some time after the grace).
func lookupsOf(r apiKeyRecord, now time.Time) []map[string]types.AttributeValue {
	out := []map[string]types.AttributeValue{key(r.LookupPK, r.LookupSK)}
	if r.PrevLookupPK != "" && now.Before(parseStamp(r.GraceExpiresAt)) {
		out = append(out, key(r.PrevLookupPK, r.PrevLookupSK))
	}
	return out
}

// readKey reads a key record as stored (for its lookup names).
func (s *Store) readKey(ctx context.Context, orgID, keyID string) (apiKeyRecord, error) {
	var rec apiKeyRecord
	err := s.get(ctx, key(orgPK(orgID), apiKeySK(keyID)), &rec)
	return rec, err
}

// UpdateAPIKey renames a key and sets its permissions (a narrowing: the
// caller checks), on the key and its lookups, at the version read.
func (s *Store) UpdateAPIKey(ctx context.Context, actor orgs.Member, cur apikeys.Key, name string, ps []access.Permission) (apikeys.Key, error) {
	rec, err := s.readKey(ctx, cur.OrganizationID, cur.ID)
	if err != nil {
		return apikeys.Key{}, err
	}
	t := s.txn().update(key(rec.PK, rec.SK), newUpdate().setValue("name", name).setValue("permissions", perms(ps)).bump(),
		versionIs(cur.Version).and(keyActive), goneOrChanged)
	for _, lk := range lookupsOf(rec, s.now()) {
		t.update(lk, newUpdate().setValue("name", name).setValue("permissions", perms(ps)), exists, ErrVersionConflict)
	}
	t.record(memberEvent(actor, activity.APIKeyUpdated, keyTarget(cur)).With(activity.Changes{}.
		Note("name", cur.Name, name).Note("permissions", permissionNames(cur.Permissions), permissionNames(ps))))
	if err := t.actorHolds(actor).run(ctx); err != nil {
		return apikeys.Key{}, err
	}
	cur.Name, cur.Permissions, cur.Version = name, ps, cur.Version+1
	return cur, nil
}

// RevokeAPIKey disables a key for good: the key and every lookup of its
// secrets are marked revoked (so the very next request with it is 401
// api_key_revoked), and its quota room is given back. Revoking a revoked
// key changes nothing.
func (s *Store) RevokeAPIKey(ctx context.Context, actor orgs.Member, orgID, keyID, reason string) (apikeys.Key, error) {
	// Items that went meanwhile (a rotated-out lookup after its TTL, the
	// key's deleted project) are left out on the next attempt, never
	// written back as stubs.
	gone := map[string]bool{}
	for range lifecycleAttempts {
		rec, err := s.readKey(ctx, orgID, keyID)
		if err != nil {
			return apikeys.Key{}, err
		}
		if rec.RevokedAt != "" {
			return rec.key(), nil
		}
		now := s.now()
		u := newUpdate().setValue("revoked_at", stamp(now)).bump()
		if reason != "" {
			u.setValue("revoke_reason", reason)
		}
		t := s.txn().update(key(rec.PK, rec.SK), u, versionIs(rec.Version), goneOrChanged)
		for _, lk := range lookupsOf(rec, s.now()) {
			if !gone[itemKey(lk)] {
				// Kept a while so a revoked secret answers api_key_revoked,
				// then removed by TTL.
				t.update(lk, newUpdate().setValue("revoked_at", stamp(now)).setValue("ttl", now.Add(closedRetention).Unix()),
					exists, itemGone{itemKey(lk)})
			}
		}
		t.update(orgKey(orgID), s.counters(counts{apiKeys: -1}), exists, ErrNotFound)
		if pk := key(orgPK(orgID), projectSK(rec.ProjectID)); rec.ProjectID != "" && !gone[itemKey(pk)] {
			t.update(pk, newUpdate().add(-1, "api_key_count"), exists, itemGone{itemKey(pk)})
		}
		t.record(memberEvent(actor, activity.APIKeyRevoked, keyTarget(rec.key())).With(activity.Changes{}.
			Note("revoke_reason", nil, orNil(reason))))
		err = t.actorHolds(actor).run(ctx)
		var g itemGone
		switch {
		case errors.As(err, &g):
			gone[g.key] = true
			continue
		case errors.Is(err, ErrVersionConflict): // rotated or revoked meanwhile: read again
			continue
		case err != nil:
			return apikeys.Key{}, err
		}
		k := rec.key()
		k.RevokedAt, k.RevokeReason, k.Version = now, reason, rec.Version+1
		return k, nil
	}
	return apikeys.Key{}, ErrContention
}

// itemGone: an item a transaction meant to update no longer exists.
type itemGone struct{ key string }

func (itemGone) Error() string { return "ddb: item gone" }

// RotateAPIKey gives a key a new secret (hash newHash) under the same id.
// The current secret keeps working until graceEnd (now when zero); a
// previous rotation's old secret, if still around, goes at once.
func (s *Store) RotateAPIKey(ctx context.Context, actor orgs.Member, cur apikeys.Key, newHash, prefix, lastFour string, graceEnd time.Time) (apikeys.Key, error) {
	rec, err := s.readKey(ctx, cur.OrganizationID, cur.ID)
	if err != nil {
		return apikeys.Key{}, err
	}
	now := s.now()
	if graceEnd.Before(now) {
		graceEnd = now
	}
	next := rec.key()
	next.Prefix, next.LastFour, next.GraceExpiresAt, next.Version = prefix, lastFour, graceEnd, rec.Version+1
	u := newUpdate().setValue("prefix", prefix).setValue("last_four", lastFour).
		setValue(lookupPKAttr, keyLookupPK(newHash)).setValue(lookupSKAttr, tokenSK).
		setValue(prevLookupPKAttr, rec.LookupPK).setValue(prevLookupSKAttr, rec.LookupSK).
		setValue("grace_expires_at", stamp(graceEnd)).bump()
	t := s.txn().
		update(key(rec.PK, rec.SK), u, versionIs(rec.Version).and(keyActive), goneOrChanged).
		put(marshal(keyLookup(next, newHash)), notExists, ErrContention).
		update(key(rec.LookupPK, rec.LookupSK), newUpdate().setValue("grace_expires_at", stamp(graceEnd)).
			setValue("ttl", graceEnd.Add(closedRetention).Unix()), exists, ErrVersionConflict)
	if rec.PrevLookupPK != "" {
		t.del(key(rec.PrevLookupPK, rec.PrevLookupSK), nil, nil)
	}
	t.record(memberEvent(actor, activity.APIKeyRotated, keyTarget(next)).With(activity.Changes{}.
		Note("grace_expires_at", nil, stamp(graceEnd))))
	if err := t.actorHolds(actor).run(ctx); err != nil {
		return apikeys.Key{}, err
	}
	return next, nil
}

// KeyBudget is an agent key's credit budget as a charge made with it
// must respect: at most Limit per period starting at PeriodStart.
type KeyBudget struct {
	KeyID       string
	PeriodStart time.Time
	Limit       int64
}

// CountBudgetRefusal records, on the key's spend item for the period, one
// charge refused for the budget (402): the usage consumer's only source
// for them, one UpdateItem per refused charge.
func (s *Store) CountBudgetRefusal(ctx context.Context, orgID string, b KeyBudget) error {
	refused := newUpdate().add(1, "refused").setValue("type", TypeKeySpend).setValue("ttl", spendExpiry(b))
	return s.updateItem(ctx, key(orgPK(orgID), keySpendSK(b.KeyID, b.PeriodStart)), refused, nil, nil, nil)
}

// spendExpiry is when a key's spend item may go: well after its period.
func spendExpiry(b KeyBudget) int64 { return b.PeriodStart.AddDate(0, 2, 0).Unix() }
