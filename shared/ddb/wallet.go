package ddb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
)

// Wallet items.
//
//	wallet           ORG#<org> / WALLET                    balance (integer credits), version
//	ledger entry     ORG#<org>#LEDGER / TXN#<ULID>          append-only, one per balance change
//	idempotency key  ORG#<org>#LEDGER / IDEM#<sha256(key)>  the request's hash and its first result
//
// Every balance change is one transaction: the wallet's update (its
// condition keeps the balance within 0..MaxBalance), the ledger entry and,
// when the request has an Idempotency-Key, the key's guard item. The
// ledger lives beside the org's partition so it can grow without warming it.

func entryID(ulid string) string { return ids.Transaction + "_" + strings.ToLower(ulid) }
func entryULID(id string) string { return strings.ToUpper(strings.TrimPrefix(id, ids.Transaction+"_")) }

// ledgerEntropy makes ledger ULIDs increase within a process even inside
// one millisecond, so entries posted in quick succession list newest
// first in the order they were posted.
var ledgerEntropy = struct {
	sync.Mutex
	*ulid.MonotonicEntropy
}{MonotonicEntropy: ulid.Monotonic(rand.Reader, 0)}

func newLedgerULID(t time.Time) string {
	ledgerEntropy.Lock()
	defer ledgerEntropy.Unlock()
	return ulid.MustNew(ulid.Timestamp(t), ledgerEntropy.MonotonicEntropy).String()
}

// hashKey keeps client-chosen keys out of sort keys: any string, fixed width.
func hashKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}

// IdempotencyRetention is how long an Idempotency-Key is remembered (the
// table's TTL removes it some time after).
const IdempotencyRetention = 7 * 24 * time.Hour

type walletRecord struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	OrgID     string `dynamodbav:"organization_id"`
	Balance   int64  `dynamodbav:"balance"`
	Currency  string `dynamodbav:"currency"`
	CreatedAt string `dynamodbav:"created_at"`
	UpdatedAt string `dynamodbav:"updated_at"`
	Version   int64  `dynamodbav:"version"`
}

func (r walletRecord) wallet() credits.Wallet {
	return credits.Wallet{OrganizationID: r.OrgID, Balance: r.Balance, CreatedAt: parseStamp(r.CreatedAt),
		UpdatedAt: parseStamp(r.UpdatedAt), Version: r.Version}
}

type ledgerRecord struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Type        string `dynamodbav:"type"`
	ID          string `dynamodbav:"id"`
	OrgID       string `dynamodbav:"organization_id"`
	Kind        string `dynamodbav:"kind"`
	Amount      int64  `dynamodbav:"amount"`
	Reference   string `dynamodbav:"reference,omitempty"`
	Description string `dynamodbav:"description,omitempty"`
	CreatedBy   string `dynamodbav:"created_by"`
	CreatedAt   string `dynamodbav:"created_at"`
}

func newLedgerRecord(e credits.Entry) ledgerRecord {
	return ledgerRecord{PK: ledgerPK(e.OrganizationID), SK: ledgerEntrySK(entryULID(e.ID)), Type: TypeLedgerEntry,
		ID: e.ID, OrgID: e.OrganizationID, Kind: e.Kind, Amount: e.Amount, Reference: e.Reference,
		Description: e.Description, CreatedBy: e.CreatedBy, CreatedAt: stamp(e.CreatedAt)}
}

func (r ledgerRecord) entry() credits.Entry {
	return credits.Entry{ID: r.ID, OrganizationID: r.OrgID, Kind: r.Kind, Amount: r.Amount, Reference: r.Reference,
		Description: r.Description, CreatedBy: r.CreatedBy, CreatedAt: parseStamp(r.CreatedAt)}
}

type idempotencyRecord struct {
	PK          string       `dynamodbav:"PK"`
	SK          string       `dynamodbav:"SK"`
	Type        string       `dynamodbav:"type"`
	RequestHash string       `dynamodbav:"request_hash"`
	Entry       ledgerRecord `dynamodbav:"entry"`
	CreatedAt   string       `dynamodbav:"created_at"`
	TTL         int64        `dynamodbav:"ttl"`
}

// GetWallet reads an org's wallet; ErrNotFound when it has none yet.
func (s *Store) GetWallet(ctx context.Context, orgID string) (credits.Wallet, error) {
	var rec walletRecord
	if err := s.get(ctx, walletKey(orgID), &rec); err != nil {
		return credits.Wallet{OrganizationID: orgID}, err
	}
	return rec.wallet(), nil
}

// EnsureWallet opens the org's wallet (balance 0) unless it has one, and
// reports whether it opened it. The put is conditional on the wallet being
// absent and the org active, so redelivered stream records, concurrent
// calls and a late record for a deleted org all leave at most one wallet.
// ErrNotFound when the org does not exist or is being deleted. by is the
// member who opened it, nil when the system did (the stream consumer).
func (s *Store) EnsureWallet(ctx context.Context, orgID string, by *orgs.Member) (credits.Wallet, bool, error) {
	now := s.now()
	rec := walletRecord{PK: orgPK(orgID), SK: walletSK, Type: TypeWallet, OrgID: orgID, Currency: credits.Currency,
		CreatedAt: stamp(now), UpdatedAt: stamp(now), Version: 1}
	err := s.txn().
		check(orgKey(orgID), orgActive, ErrNotFound).
		put(marshal(rec), notExists, errWalletOpen).
		record(event(orgID, actorOrSystem(by, "create-wallet"), activity.WalletOpened, walletTarget(orgID))).
		run(ctx)
	switch {
	case errors.Is(err, errWalletOpen):
		w, err := s.GetWallet(ctx, orgID)
		return w, false, err
	case err != nil:
		return credits.Wallet{}, false, err
	}
	return rec.wallet(), true, nil
}

// The wallet is named by its org (an org has one).
func walletTarget(orgID string) activity.Target {
	return activity.Target{Type: activity.TargetWallet, ID: orgID, Name: "wallet"}
}

// errWalletOpen: the wallet an EnsureWallet would open exists already.
var errWalletOpen = errors.New("ddb: wallet open")

// DecodeOrganizationID reads the id of an organization item from its
// image (a stream record's new image).
func DecodeOrganizationID(item map[string]types.AttributeValue) (string, error) {
	// Only the keys are read: a consumer should not fail on fields it
	// does not use.
	var r struct {
		PK   string `dynamodbav:"PK"`
		SK   string `dynamodbav:"SK"`
		Type string `dynamodbav:"type"`
		ID   string `dynamodbav:"id"`
	}
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return "", fmt.Errorf("ddb: organization item: %w", err)
	}
	if r.Type != TypeOrganization || !ids.Valid(ids.Organization, r.ID) || r.PK != orgPK(r.ID) || r.SK != orgSK {
		return "", fmt.Errorf("ddb: malformed organization item %s/%s", r.PK, r.SK)
	}
	return r.ID, nil
}

// Idempotency is a request's Idempotency-Key and the hash of what it asks
// (operation and body), which a repeat must match.
type Idempotency struct {
	Key         string
	RequestHash string
}

// Post changes the org's balance by the posting and appends its ledger
// entry, in one transaction: a charge needs balance >= amount (else 402
// insufficient_credits), a top-up must keep the balance within
// credits.MaxBalance. With an Idempotency-Key, the key's guard item joins
// the transaction: a repeat with the same request returns the first entry
// (replayed true) and moves nothing; with another request it is 409
// idempotency_mismatch. Only a posting that succeeds is remembered. by is
// the member (or API key) making the posting, held in their authority by
// the transaction; nil for a posting the system makes. A charge made with
// an agent key that has a credit budget (within) also adds to the key's
// spend for the period, under the budget, in the same transaction
// (ErrBudgetExceeded otherwise).
func (s *Store) Post(ctx context.Context, orgID string, by *orgs.Member, p credits.Posting, idem *Idempotency, within ...KeyBudget) (credits.Entry, bool, error) {
	now := s.now()
	e := credits.Entry{ID: entryID(newLedgerULID(now)), OrganizationID: orgID, Kind: p.Kind, Amount: p.Amount,
		Reference: p.Reference, Description: p.Description, CreatedBy: p.CreatedBy, CreatedAt: now}
	entry := newLedgerRecord(e)
	u := newUpdate().setValue("updated_at", stamp(now)).add(e.Delta(), "balance").bump()
	var room cond
	switch p.Kind {
	case credits.Charge:
		room = atLeast("balance", p.Amount)
	case credits.TopUp:
		room = atMost("balance", credits.MaxBalance-p.Amount)
	default:
		return credits.Entry{}, false, fmt.Errorf("ddb: unknown ledger entry kind %q", p.Kind)
	}
	short := ErrBalanceCeiling
	if p.Kind == credits.Charge {
		short = ErrInsufficientCredits
	}
	t := s.txn()
	if idem != nil {
		t.put(marshal(idempotencyRecord{PK: ledgerPK(orgID), SK: idempotencySK(hashKey(idem.Key)),
			Type: TypeIdempotencyKey, RequestHash: idem.RequestHash, Entry: entry, CreatedAt: stamp(now),
			TTL: now.Add(IdempotencyRetention).Unix()}), notExists, explained(func(first item) error {
			return replayed{first}
		}))
	}
	if by != nil {
		t.actorHolds(*by)
	}
	t.update(walletKey(orgID), u, exists.and(room), explained(func(old item) error {
		if old == nil {
			return ErrNoWallet
		}
		return short
	})).
		put(marshal(entry), notExists, nil).
		// A posting admitted just before the org began deleting must not
		// leave a ledger entry behind the purge.
		check(orgKey(orgID), orgActive, ErrNotFound)
	for _, b := range within {
		if p.Amount > b.Limit {
			return credits.Entry{}, false, ErrBudgetExceeded
		}
		spend := newUpdate().add(p.Amount, "spent").setValue("type", TypeKeySpend).
			setValue("ttl", spendExpiry(b))
		t.update(key(orgPK(orgID), keySpendSK(b.KeyID, b.PeriodStart)), spend,
			absent("spent").or(atMost("spent", b.Limit-p.Amount)), ErrBudgetExceeded)
	}
	action := activity.WalletCharged
	if p.Kind == credits.TopUp {
		action = activity.WalletToppedUp
	}
	t.record(event(orgID, actorOrSystem(by, "billing"), action, walletTarget(orgID),
		activity.Target{Type: activity.TargetLedgerEntry, ID: e.ID, Name: e.Description}).With(activity.Changes{}.
		Note("amount", nil, p.Amount)))
	err := t.run(ctx)
	var r replayed
	if errors.As(err, &r) {
		var first idempotencyRecord
		if err := attributevalue.UnmarshalMap(r.first, &first); err != nil {
			return credits.Entry{}, false, err
		}
		if first.RequestHash != idem.RequestHash {
			return credits.Entry{}, false, ErrIdempotencyMismatch
		}
		return first.Entry.entry(), true, nil
	}
	if err != nil {
		return credits.Entry{}, false, err
	}
	return e, false, nil
}

// replayed: an Idempotency-Key's guard exists, holding the first request.
type replayed struct{ first item }

func (replayed) Error() string { return "ddb: idempotency key seen before" }

// ListEntries pages through an org's ledger, newest first.
func (s *Store) ListEntries(ctx context.Context, orgID string, page Page) ([]credits.Entry, Position, error) {
	q := inPartition(ledgerPK(orgID), ledgerEntrySK("")).newestFirst()
	return queryRecords(ctx, s, q, page, ledgerRecord.entry)
}
