// Package credits holds an organization's wallet of credits and its
// ledger: the amounts a wallet accepts and the kinds of entries that move
// its balance. It imports nothing from AWS; package ddb stores them, each
// balance change and its ledger entry in one transaction.
package credits

import "time"

// Currency is the wallet's only unit: whole credits, never fractions.
const Currency = "credits"

// Limits on amounts. One top-up or charge moves at most MaxAmount; a
// balance never exceeds MaxBalance (nor, by the ledger's conditions,
// goes below zero).
const (
	MaxAmount  int64 = 1_000_000_000_000     // 10^12
	MaxBalance int64 = 1_000_000_000_000_000 // 10^15
)

// Entry kinds.
const (
	TopUp  = "top_up"
	Charge = "charge"
)

// Wallet is an org's balance of credits.
type Wallet struct {
	OrganizationID string
	Balance        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Entry is one ledger entry: an append-only record of a balance change.
type Entry struct {
	ID             string // txn_…
	OrganizationID string
	Kind           string // TopUp or Charge
	Amount         int64  // positive; Delta gives the signed change
	Reference      string // top-ups: the payment's reference
	Description    string // charges: what was bought
	CreatedBy      string // the user who posted it
	CreatedAt      time.Time
}

// Delta is the entry's signed change to the balance.
func (e Entry) Delta() int64 {
	if e.Kind == Charge {
		return -e.Amount
	}
	return e.Amount
}

// Posting is a balance change to make.
type Posting struct {
	Kind        string
	Amount      int64
	Reference   string
	Description string
	CreatedBy   string
}
