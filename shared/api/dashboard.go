package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/plans"
)

// Dashboard sizes.
const (
	dashboardActivity = 5
	dashboardApps     = 10
)

// warningView is something on the dashboard that wants attention.
type warningView struct {
	Code     string  `json:"code"`
	Message  string  `json:"message"`
	Resource *string `json:"resource"`
}

type runningAppsView struct {
	Count int       `json:"count"` // running, up to dashboardApps
	More  bool      `json:"more"`  // more are running than listed
	Data  []appView `json:"data"`
}

type dashboardView struct {
	Organization   orgSummaryView  `json:"organization"`
	Counts         map[string]any  `json:"counts"`
	Warnings       []warningView   `json:"warnings"`
	RecentActivity []activityView  `json:"recent_activity"`
	RunningApps    runningAppsView `json:"running_apps"`
	// Wallet and Subscription are null for a role without billing:read.
	Wallet       *walletView       `json:"wallet"`
	Subscription *subscriptionView `json:"subscription"`
}

type orgSummaryView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Plan string `json:"plan"`
}

// getDashboard answers the org's overview in one call. The org's counters
// came with admission; the wallet, subscription, newest activity and
// running apps are read in parallel. Parts the caller's role may not read
// (billing, activity, apps) are left empty rather than refused, so one
// dashboard serves every role.
func (s *Server) getDashboard(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	var (
		wg        sync.WaitGroup
		wallet    credits.Wallet
		hasW      bool
		sub       billing.Subscription
		usage     = ddb.UsageOf(c.org)
		events    []activity.Event
		running   []apps.Instance
		moreApps  bool
		threshold int64 // the wallet's low-balance threshold: the next renewal's price
		errs      [3]error
	)
	ctx := c.ctx()
	run := func(i int, f func(context.Context) error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(ctx) }()
	}
	if c.can(access.BillingRead) {
		// The wallet, the subscription and its threshold in one batch.
		run(0, func(ctx context.Context) error {
			r := s.Store.Reads()
			getWallet, getSub := r.Wallet(c.orgID), r.Subscription(c.orgID)
			if err := r.Run(ctx); err != nil {
				return err
			}
			var err error
			if wallet, hasW, threshold, err = getWallet(); err != nil {
				return err
			}
			sub, usage, err = getSub()
			return err
		})
	}
	if c.can(access.ActivityRead) {
		run(1, func(ctx context.Context) (err error) {
			events, _, err = s.Store.ListActivity(ctx, c.orgID, activity.Filter{}, ddb.Page{Limit: dashboardActivity})
			return err
		})
	}
	if c.can(access.AppsRead) {
		run(2, func(ctx context.Context) error {
			list, next, err := s.Store.ListApps(ctx, c.orgID, apps.Running, ddb.Page{Limit: dashboardApps})
			running, moreApps = list, len(next) > 0
			return err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return storeError(err, "Organization")
		}
	}
	limits := c.org.Limits()
	v := dashboardView{
		Organization: orgSummaryView{ID: c.org.ID, Name: c.org.Name, Slug: c.org.Slug, Plan: c.org.Plan},
		Counts: map[string]any{
			billing.Members:       gauge(usage.Members, limits.Members),
			billing.Projects:      gauge(usage.Projects, limits.Projects),
			billing.APIKeys:       gauge(usage.APIKeys, limits.APIKeys),
			billing.Apps:          gauge(usage.Apps, limits.Apps),
			billing.Roles:         gauge(usage.Roles, limits.Roles),
			"pending_invitations": c.org.Counts.PendingInvitations,
		},
		RecentActivity: viewActivities(events),
		RunningApps:    runningAppsView{Count: len(running), More: moreApps, Data: make([]appView, len(running))},
	}
	for i, a := range running {
		v.RunningApps.Data[i] = viewApp(a)
	}
	if c.can(access.BillingRead) {
		wv, sv := viewWallet(wallet, hasW), viewSubscription(sub, usage)
		v.Wallet, v.Subscription = &wv, &sv
	}
	v.Warnings = dashboardWarnings(c, usage, limits, sub, wallet, hasW, threshold)
	return c.reply(http.StatusOK, v)
}

// dashboardWarnings are the quotas near or at their limits, and, for
// callers who may read billing, a missing wallet, a balance below the
// next renewal's price and a subscription that needs attention.
func dashboardWarnings(c *call, u billing.Usage, l plans.Limits, sub billing.Subscription, w credits.Wallet, hasWallet bool, threshold int64) []warningView {
	out := []warningView{}
	for _, m := range billing.Warnings(u, l) {
		r := m.Resource
		code, msg := "quota_near_limit", fmt.Sprintf("%d of %d %s used.", m.Usage, m.Limit, m.Resource)
		if m.Usage >= m.Limit {
			code, msg = "quota_reached", fmt.Sprintf("All %d %s used: upgrade to add more.", m.Limit, m.Resource)
		}
		out = append(out, warningView{Code: code, Message: msg, Resource: &r})
	}
	if !c.can(access.BillingRead) {
		return out
	}
	switch {
	case !hasWallet:
		out = append(out, warningView{Code: "wallet_missing", Message: "The organization has no wallet yet."})
	case w.Balance < threshold:
		out = append(out, warningView{Code: "low_balance",
			Message: fmt.Sprintf("The balance (%d) is below the next renewal's price (%d).", w.Balance, threshold)})
	}
	switch sub.Status {
	case billing.PastDue:
		out = append(out, warningView{Code: "subscription_past_due", Message: "The last renewal could not be charged: top up the wallet."})
	case billing.OverLimit:
		out = append(out, warningView{Code: "subscription_over_limit", Message: "Usage is above the plan's limits: new items are refused."})
	}
	if sub.PendingPlan != "" {
		out = append(out, warningView{Code: "plan_change_pending",
			Message: fmt.Sprintf("The plan changes to %s at the end of the period.", sub.PendingPlan)})
	}
	return out
}
