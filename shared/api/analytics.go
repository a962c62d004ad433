package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/problem"
	"github.com/orgplane/orgplane/shared/usage"
)

// Analytics: the org's monthly usage (kept by the count-usage stream
// consumer) and its usage of the plan's limits, for charts.

// Bounds of ?months=.
const (
	DefaultAnalyticsMonths = 6
	MaxAnalyticsMonths     = 12
)

type requestsView struct {
	Standard int64 `json:"standard"`
	AIAgent  int64 `json:"ai_agent"`
}

type rejectedView struct {
	RateLimited int64 `json:"rate_limited"`
	Invalid     int64 `json:"invalid"`
	Budget      int64 `json:"budget"`
}

// countsView is the counters a month and the totals share.
type countsView struct {
	ProjectsCreated int64        `json:"projects_created"`
	ProjectsDeleted int64        `json:"projects_deleted"`
	MembersJoined   int64        `json:"members_joined"`
	CreditsSpent    int64        `json:"credits_spent"`
	APIRequests     requestsView `json:"api_requests"`
	APIRejected     rejectedView `json:"api_rejected"`
}

type monthView struct {
	Month   string `json:"month"`
	Start   string `json:"start"`
	End     string `json:"end"`
	Partial bool   `json:"partial"`
	countsView
	ActiveAPIKeys int64 `json:"active_api_keys"`
}

// gaugeView is one resource against its plan limit (a radial chart);
// limit and percent are null when the plan does not limit it.
type gaugeView struct {
	Used    int  `json:"used"`
	Limit   *int `json:"limit"`
	Percent *int `json:"percent"`
}

type analyticsView struct {
	OrganizationID string               `json:"organization_id"`
	Plan           string               `json:"plan"`
	Months         int                  `json:"months"`
	Monthly        []monthView          `json:"monthly"`
	Totals         countsView           `json:"totals"`
	Usage          map[string]gaugeView `json:"usage"`
}

func viewCounts(c usage.Counts) countsView {
	return countsView{ProjectsCreated: c.ProjectsCreated, ProjectsDeleted: c.ProjectsDeleted,
		MembersJoined: c.MembersJoined, CreditsSpent: c.CreditsSpent,
		APIRequests: requestsView{Standard: c.StandardRequests, AIAgent: c.AgentRequests},
		APIRejected: rejectedView{RateLimited: c.RateLimited, Invalid: c.Invalid, Budget: c.Budget}}
}

func gauge(used int, limit *int) gaugeView {
	g := gaugeView{Used: used, Limit: limit}
	if limit != nil && *limit > 0 {
		p := (used*100 + *limit/2) / *limit // rounded to the nearest percent
		g.Percent = &p
	}
	return g
}

// getAnalytics reads the last ?months= months (default 6) in one Query
// sent beside admission's read: exactly that many buckets, oldest first, zero where
// nothing was counted, the current month partial.
func (s *Server) getAnalytics(c *call) error {
	q, err := query(c.r, "months")
	if err != nil {
		return err
	}
	n := DefaultAnalyticsMonths
	if v, ok := q["months"]; ok {
		if n, err = strconv.Atoi(v[0]); err != nil || !digits(v[0]) || n < 1 || n > MaxAnalyticsMonths {
			return problem.Field("months", "must be an integer from 1 to 12")
		}
	}
	span := usage.Span(c.now(), n)
	var stored []usage.Usage
	err = c.alongside(func() (err error) {
		stored, err = s.Store.UsageMonths(c.ctx(), c.orgID, span[0], span[n-1])
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	out := analyticsView{OrganizationID: c.orgID, Plan: c.org.Plan, Months: n, Monthly: make([]monthView, n)}
	var total usage.Counts
	for i, u := range usage.Fill(span, stored) {
		start, _ := time.Parse(usage.MonthLayout, u.Month)
		end := start.AddDate(0, 1, 0)
		out.Monthly[i] = monthView{Month: u.Month, Start: ts(start), End: ts(end), Partial: c.now().Before(end),
			countsView: viewCounts(u.Counts), ActiveAPIKeys: u.ActiveAPIKeys}
		total = total.Add(u.Counts)
	}
	out.Totals = viewCounts(total)
	used, limits := ddb.UsageOf(c.org), c.org.Limits()
	out.Usage = map[string]gaugeView{
		billing.Members:  gauge(used.Members, limits.Members),
		billing.Projects: gauge(used.Projects, limits.Projects),
		billing.APIKeys:  gauge(used.APIKeys, limits.APIKeys),
		billing.Roles:    gauge(used.Roles, limits.Roles),
	}
	return c.reply(http.StatusOK, out)
}

// digits: s is a plain decimal number (no sign, no spaces).
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
