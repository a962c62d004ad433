package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/plans"
	"github.com/orgplane/orgplane/shared/problem"
)

// Plans and the org's subscription to one, paid from the wallet.

type planView struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Price    int64        `json:"price"`
	Currency string       `json:"currency"`
	Limits   plans.Limits `json:"limits"`
}

// measureView is one resource's usage beside a limit: a warning or a
// violation.
type measureView struct {
	Resource string `json:"resource"`
	Usage    int    `json:"usage"`
	Limit    int    `json:"limit"`
}

func viewMeasures(ms []billing.Measure) []measureView {
	out := make([]measureView, len(ms))
	for i, m := range ms {
		out[i] = measureView(m)
	}
	return out
}

type usageView struct {
	Members  int `json:"members"`
	Projects int `json:"projects"`
	APIKeys  int `json:"api_keys"`
	Apps     int `json:"apps"`
	Roles    int `json:"roles"`
}

type subscriptionView struct {
	OrganizationID     string        `json:"organization_id"`
	Plan               string        `json:"plan"`
	Status             string        `json:"status"`
	Price              int64         `json:"price"`
	CurrentPeriodStart *string       `json:"current_period_start"`
	CurrentPeriodEnd   *string       `json:"current_period_end"`
	PendingPlan        *string       `json:"pending_plan"`
	PendingPlanAt      *string       `json:"pending_plan_at"`
	GraceEndsAt        *string       `json:"grace_ends_at"`
	LastChargeID       *string       `json:"last_charge_id"`
	Limits             plans.Limits  `json:"limits"`
	Usage              usageView     `json:"usage"`
	Warnings           []measureView `json:"warnings"`
	Version            int64         `json:"version"`
}

func viewSubscription(sub billing.Subscription, u billing.Usage) subscriptionView {
	plan, _ := plans.Get(sub.Plan)
	status := sub.Status
	if status == billing.OverLimit && len(billing.Violations(u, plan.Limits)) == 0 {
		// Removing what was over the limits ends over_limit: nothing
		// needs to be written for it, since the limits refuse creates.
		status = billing.Active
	}
	return subscriptionView{OrganizationID: sub.OrganizationID, Plan: sub.Plan, Status: status, Price: plan.Price,
		CurrentPeriodStart: tsOrNil(sub.PeriodStart), CurrentPeriodEnd: tsOrNil(sub.PeriodEnd),
		PendingPlan: strOrNil(sub.PendingPlan), PendingPlanAt: tsOrNil(sub.PendingPlanAt),
		GraceEndsAt: tsOrNil(sub.GraceEndsAt), LastChargeID: strOrNil(sub.LastChargeID), Limits: plan.Limits,
		Usage:    usageView(u),
		Warnings: viewMeasures(billing.Warnings(u, plan.Limits)), Version: sub.Version}
}

func (s *Server) listPlans(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	views := make([]planView, len(plans.All))
	for i, p := range plans.All {
		views[i] = planView{ID: p.ID, Name: p.Name, Price: p.Price, Currency: credits.Currency, Limits: p.Limits}
	}
	return c.reply(http.StatusOK, listOf(views, ""))
}

func (s *Server) getSubscription(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	get := c.reads.Subscription(c.orgID)
	if err := c.load(); err != nil {
		return err
	}
	sub, usage, err := get()
	if err != nil {
		return storeError(err, "Organization")
	}
	return c.reply(http.StatusOK, viewSubscription(sub, usage))
}

func (s *Server) changeSubscription(c *call) error {
	var in struct {
		Plan *string `json:"plan"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	ids := make([]string, len(plans.All))
	for i, p := range plans.All {
		ids[i] = p.ID
	}
	if in.Plan == nil {
		return problem.Field("plan", "is required")
	}
	if _, ok := plans.Get(*in.Plan); !ok {
		return problem.Field("plan", "must be one of "+strings.Join(ids, ", "))
	}
	idem, err := idempotency(c, struct{ Plan string }{*in.Plan})
	if err != nil {
		return err
	}
	got, replayed, err := s.Store.ChangePlan(c.ctx(), c.orgID,
		ddb.PlanChange{Plan: *in.Plan, Period: s.BillingPeriod, Actor: c.principal.UserID, By: &c.member}, idem)
	var short ddb.ShortError
	var limits ddb.PlanLimitsError
	switch {
	case errors.As(err, &short):
		return &problem.Error{Code: problem.InsufficientCredit,
			Detail:     "The upgrade costs more credits than the wallet holds; top up and retry. Nothing was charged.",
			Extensions: map[string]any{"required": short.Required, "balance": short.Balance, "shortfall": short.Required - short.Balance}}
	case errors.As(err, &limits):
		return &problem.Error{Code: problem.PlanLimitsExceeded,
			Detail:     "The organization uses more than the plan allows; remove what is over each limit first.",
			Extensions: map[string]any{"violations": viewMeasures(limits.Violations)}}
	case errors.Is(err, ddb.ErrPastDue):
		return problem.New(problem.PastDue, "The current period is unpaid; top up the wallet to settle it first.")
	case errors.Is(err, ddb.ErrSubscriptionChanged):
		return problem.New(problem.Conflict, "The subscription changed while you asked; read it again and retry.")
	case err != nil:
		return storeError(err, "Organization")
	}
	if replayed {
		c.w.Header().Set("Idempotent-Replayed", "true")
	}
	return c.reply(http.StatusOK, viewSubscription(got.Subscription, got.Usage))
}

// settlePastDue follows a top-up: a past-due renewal the wallet can now
// pay is charged at once rather than at the next renewal run. The top-up
// stands whatever this does; the renewal job tries again.
func (s *Server) settlePastDue(c *call) {
	if _, err := s.Store.SettlePastDue(c.ctx(), c.orgID, s.BillingPeriod); err != nil {
		slog.WarnContext(c.ctx(), "settling a past-due subscription after a top-up", "org", c.orgID, "err", err)
	}
	if _, err := s.Store.SettleUnpaidApps(c.ctx(), c.orgID, s.BillingPeriod); err != nil {
		slog.WarnContext(c.ctx(), "charging unpaid apps after a top-up", "org", c.orgID, "err", err)
	}
}

// overLimit turns a plan limit's 409 into over_limit while the org is on
// the free plan it fell back to with more than free allows, so a client
// learns why and what to do.
func (s *Server) overLimit(c *call, err error) error {
	if c.orgID == "" || !problem.Is(err, problem.QuotaExceeded) {
		return err
	}
	sub, usage, gerr := s.Store.GetSubscription(c.ctx(), c.orgID)
	if gerr != nil || sub.Status != billing.OverLimit {
		return err
	}
	plan, _ := plans.Get(sub.Plan)
	return &problem.Error{Code: problem.OverLimit,
		Detail: "The subscription lapsed and the organization is over the free plan's limits: nothing was deleted, " +
			"but nothing more can be created until it upgrades or removes what is over.",
		Extensions: map[string]any{"violations": viewMeasures(billing.Violations(usage, plan.Limits))}}
}
