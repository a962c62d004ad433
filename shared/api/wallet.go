package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// The wallet and its ledger. Amounts are whole credits; a top-up or charge
// moves 1 to credits.MaxAmount, and honours Idempotency-Key.

type walletView struct {
	OrganizationID string  `json:"organization_id"`
	Balance        int64   `json:"balance"`
	Currency       string  `json:"currency"`
	Status         string  `json:"status"` // active, or missing before the wallet is opened
	CreatedAt      *string `json:"created_at"`
	UpdatedAt      *string `json:"updated_at"`
	Version        int64   `json:"version"`
	// LowBalanceThreshold is the balance below which billing contacts
	// are mailed: the next renewal's price (GET only).
	LowBalanceThreshold *int64 `json:"low_balance_threshold,omitempty"`
}

func viewWallet(w credits.Wallet, exists bool) walletView {
	v := walletView{OrganizationID: w.OrganizationID, Balance: w.Balance, Currency: credits.Currency, Status: "missing",
		CreatedAt: tsOrNil(w.CreatedAt), UpdatedAt: tsOrNil(w.UpdatedAt), Version: w.Version}
	if exists {
		v.Status = "active"
	}
	return v
}

type entryView struct {
	ID             string  `json:"id"`
	OrganizationID string  `json:"organization_id"`
	Type           string  `json:"type"`
	Amount         int64   `json:"amount"`
	Delta          int64   `json:"delta"`
	Currency       string  `json:"currency"`
	Reference      *string `json:"reference"`
	Description    *string `json:"description"`
	CreatedBy      string  `json:"created_by"`
	CreatedAt      string  `json:"created_at"`
}

func viewEntry(e credits.Entry) entryView {
	return entryView{ID: e.ID, OrganizationID: e.OrganizationID, Type: e.Kind, Amount: e.Amount, Delta: e.Delta(),
		Currency: credits.Currency, Reference: strOrNil(e.Reference), Description: strOrNil(e.Description),
		CreatedBy: e.CreatedBy, CreatedAt: ts(e.CreatedAt)}
}

func (s *Server) getWallet(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	get := c.reads.Wallet(c.orgID)
	if err := c.load(); err != nil {
		return err
	}
	w, found, threshold, err := get()
	if err != nil {
		return storeError(err, "Organization")
	}
	if !found {
		v := viewWallet(credits.Wallet{OrganizationID: c.orgID}, false)
		v.LowBalanceThreshold = &threshold
		return c.replyVersioned(http.StatusOK, 0, v)
	}
	v := viewWallet(w, true)
	v.LowBalanceThreshold = &threshold
	return c.replyVersioned(http.StatusOK, w.Version, v)
}

// openWallet opens the wallet when the create-wallet consumer has not (yet):
// 201 when it opened it, 200 with the wallet that already existed.
func (s *Server) openWallet(c *call) error {
	w, created, err := s.Store.EnsureWallet(c.ctx(), c.orgID, &c.member)
	if err != nil {
		return storeError(err, "Organization")
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.w.Header().Set("Location", "/organizations/"+c.orgID+"/wallet")
	}
	return c.replyVersioned(status, w.Version, viewWallet(w, true))
}

func (s *Server) listWalletTransactions(c *call) error {
	q, err := query(c.r, "limit", "cursor")
	if err != nil {
		return err
	}
	pg, err := s.page(q, c.orgID, "ledger")
	if err != nil {
		return err
	}
	var entries []credits.Entry
	var next ddb.Position
	err = c.alongside(func() (err error) {
		entries, next, err = s.Store.ListEntries(c.ctx(), c.orgID, pg)
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	views := make([]entryView, len(entries))
	for i, e := range entries {
		views[i] = viewEntry(e)
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, "ledger", next)))
}

func (s *Server) createTopUp(c *call) error {
	var in struct {
		Amount    json.RawMessage `json:"amount"`
		Reference *string         `json:"reference"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	amount := parseAmount(&check, in.Amount)
	if in.Reference != nil {
		check.Text("reference", *in.Reference, 200)
	}
	if err := check.Err(); err != nil {
		return err
	}
	if err := s.post(c, credits.Posting{Kind: credits.TopUp, Amount: amount, Reference: deref(in.Reference)}); err != nil {
		return err
	}
	s.settlePastDue(c)
	return nil
}

func (s *Server) createCharge(c *call) error {
	var in struct {
		Amount      json.RawMessage `json:"amount"`
		Description *string         `json:"description"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	amount := parseAmount(&check, in.Amount)
	if in.Description == nil {
		check.Add("description", "is required: what the credits pay for")
	} else {
		check.Text("description", *in.Description, 500)
	}
	if err := check.Err(); err != nil {
		return err
	}
	return s.post(c, credits.Posting{Kind: credits.Charge, Amount: amount, Description: strings.TrimSpace(deref(in.Description))})
}

// post moves the balance once per Idempotency-Key. The request's hash
// covers the route and the decoded posting, so formatting differences in
// the body do not count as another request, but another amount does.
func (s *Server) post(c *call, p credits.Posting) error {
	idem, err := idempotency(c, p)
	if err != nil {
		return err
	}
	p.CreatedBy = c.principal.UserID
	var within []ddb.KeyBudget
	if b := c.keyBudget(); b != nil && p.Kind == credits.Charge {
		within = append(within, ddb.KeyBudget{KeyID: c.key.ID, PeriodStart: b.PeriodStart(c.now()), Limit: b.Amount})
	}
	e, replayed, err := s.Store.Post(c.ctx(), c.orgID, &c.member, p, idem, within...)
	if errors.Is(err, ddb.ErrBudgetExceeded) {
		if err := s.Store.CountBudgetRefusal(c.ctx(), c.orgID, within[0]); err != nil {
			slog.WarnContext(c.ctx(), "refused charge not counted in usage", "key", c.key.ID, "err", err)
		}
		return problem.New(problem.BudgetExceeded, "The AI agent key's credit budget (%d a %s) does not cover %d more credits.",
			c.key.CreditBudget.Amount, c.key.CreditBudget.Period, p.Amount)
	}
	if errors.Is(err, ddb.ErrInsufficientCredits) {
		return problem.New(problem.InsufficientCredit, "The wallet's balance is less than %d credits.", p.Amount)
	}
	if err != nil {
		return storeError(err, "Organization")
	}
	if replayed {
		c.w.Header().Set("Idempotent-Replayed", "true")
	}
	return c.reply(http.StatusCreated, viewEntry(e))
}

// MaxIdempotencyKeyLen bounds the Idempotency-Key header.
const MaxIdempotencyKeyLen = 255

// idempotency reads the request's Idempotency-Key; what the request asks
// (p, decoded) and its route make the hash a repeat must match.
func idempotency(c *call, p any) (*ddb.Idempotency, error) {
	vals, ok := c.r.Header["Idempotency-Key"]
	if !ok {
		return nil, nil
	}
	k := strings.TrimSpace(vals[0])
	if len(vals) > 1 || k == "" || len(k) > MaxIdempotencyKeyLen || strings.IndexFunc(k, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
		return nil, problem.Field("Idempotency-Key", "must be one header of 1 to 255 printable ASCII characters")
	}
	body, _ := json.Marshal(p)
	sum := sha256.Sum256(append([]byte(c.route.Name+"\n"), body...))
	return &ddb.Idempotency{Key: k, RequestHash: hex.EncodeToString(sum[:])}, nil
}

// parseAmount reads a whole, positive number of credits. The raw JSON is
// checked so that 1.5, 1e3 and "100" are refused rather than rounded or
// coerced.
func parseAmount(check *orgs.Check, raw json.RawMessage) int64 {
	s := strings.TrimSpace(string(raw))
	const rule = "must be a whole number of credits from 1 to 1000000000000"
	switch {
	case s == "" || s == "null":
		check.Add("amount", "is required")
		return 0
	case strings.HasPrefix(s, `"`):
		check.Add("amount", rule+", not a string")
		return 0
	case strings.ContainsAny(s, ".eE"):
		check.Add("amount", rule)
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > credits.MaxAmount {
		check.Add("amount", rule)
		return 0
	}
	return n
}

// keyBudget is the credit budget of the agent key making the call, if any.
func (c *call) keyBudget() *apikeys.Budget {
	if c.key == nil {
		return nil
	}
	return c.key.CreditBudget
}
