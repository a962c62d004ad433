package api_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/usage"
	"github.com/orgplane/orgplane/shared/usagestream"
	"github.com/orgplane/orgplane/shared/walletstream"
)

type analyticsCounts struct {
	ProjectsCreated int64 `json:"projects_created"`
	ProjectsDeleted int64 `json:"projects_deleted"`
	MembersJoined   int64 `json:"members_joined"`
	CreditsSpent    int64 `json:"credits_spent"`
	APIRequests     struct {
		Standard int64 `json:"standard"`
		AIAgent  int64 `json:"ai_agent"`
	} `json:"api_requests"`
	APIRejected struct {
		RateLimited int64 `json:"rate_limited"`
		Invalid     int64 `json:"invalid"`
		Budget      int64 `json:"budget"`
	} `json:"api_rejected"`
}

type analyticsMonth struct {
	Month   string `json:"month"`
	Start   string `json:"start"`
	End     string `json:"end"`
	Partial bool   `json:"partial"`
	analyticsCounts
	ActiveAPIKeys int64 `json:"active_api_keys"`
}

type analyticsGauge struct {
	Used    int  `json:"used"`
	Limit   *int `json:"limit"`
	Percent *int `json:"percent"`
}

type analyticsBody struct {
	OrganizationID string                    `json:"organization_id"`
	Plan           string                    `json:"plan"`
	Months         int                       `json:"months"`
	Monthly        []analyticsMonth          `json:"monthly"`
	Totals         analyticsCounts           `json:"totals"`
	Usage          map[string]analyticsGauge `json:"usage"`
}

func (f *flowEnv) analytics(t *testing.T, org, query string) analyticsBody {
	t.Helper()
	var a analyticsBody
	if err := f.must(t, 200, owner, "GET", "/organizations/"+org+"/analytics"+query, nil).decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAnalytics: what the product did this month, counted by the
// count-usage consumer from the table's stream, comes back in the current
// month's bucket, the earlier months zero, with the plan's gauges.
func TestAnalytics(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Usage")
	f.deliverTo(t, walletstream.Name, usagestream.Name)
	path := "/organizations/" + org
	f.must(t, 201, owner, "POST", path+"/wallet/top-ups", map[string]any{"amount": 100})
	for _, name := range []string{"A", "B"} {
		f.must(t, 201, owner, "POST", path+"/projects", map[string]any{"name": name})
	}
	k := f.createKey(t, owner, org, map[string]any{"name": "Reader", "permissions": []string{"organization:read"}})
	agent := f.createKey(t, owner, org, map[string]any{"name": "Spender", "type": "ai_agent", "agent": map[string]any{"name": "Bot"},
		"permissions": []string{"credits:spend"}, "credit_budget": map[string]any{"amount": 25, "period": "day"}})
	for range 3 {
		f.must(t, 200, "", "GET", path, nil, bearer(k.Secret)...)
	}
	f.must(t, 201, "", "POST", path+"/wallet/charges", map[string]any{"amount": 20, "description": "work"}, bearer(agent.Secret)...)
	f.must(t, 402, "", "POST", path+"/wallet/charges", map[string]any{"amount": 20, "description": "more"}, bearer(agent.Secret)...)
	f.deliverTo(t, walletstream.Name, usagestream.Name)

	span := usage.Span(f.clock.Now(), 6)
	a := f.analytics(t, org, "")
	if a.OrganizationID != org || a.Months != 6 || len(a.Monthly) != 6 {
		t.Fatalf("analytics %+v, want 6 months of %s", a, org)
	}
	for i, m := range a.Monthly {
		if m.Month != span[i] || m.Partial != (i == 5) {
			t.Errorf("bucket %d: month %s partial %v, want %s partial %v", i, m.Month, m.Partial, span[i], i == 5)
		}
		if i < 5 && (m.analyticsCounts != analyticsCounts{} || m.ActiveAPIKeys != 0) {
			t.Errorf("bucket %s: %+v, want zeros", m.Month, m)
		}
	}
	var want analyticsCounts
	want.ProjectsCreated, want.MembersJoined, want.CreditsSpent = 2, 1, 20
	want.APIRequests.Standard, want.APIRequests.AIAgent = 3, 2
	want.APIRejected.Budget = 1
	if got := a.Monthly[5]; got.analyticsCounts != want || got.ActiveAPIKeys != 2 {
		t.Errorf("current month:\n got %+v\nwant %+v with 2 active keys", got, want)
	}
	if a.Totals != want {
		t.Errorf("totals:\n got %+v\nwant %+v", a.Totals, want)
	}
	if g := a.Usage["projects"]; g.Used != 2 || g.Limit == nil || *g.Limit != 3 || g.Percent == nil || *g.Percent != 67 {
		t.Errorf("projects gauge %+v, want 2 of 3, 67 %%", g)
	}
	if g := a.Usage["api_keys"]; g.Used != 2 || g.Percent == nil || *g.Percent != 40 {
		t.Errorf("api_keys gauge %+v, want 2 of 5, 40 %%", g)
	}

	t.Run("Months", func(t *testing.T) {
		for _, n := range []int{1, 12} {
			a := f.analytics(t, org, "?months="+strconv.Itoa(n))
			if len(a.Monthly) != n || a.Monthly[n-1].Month != span[5] || !a.Monthly[n-1].Partial {
				t.Errorf("months=%d: %d buckets ending %+v", n, len(a.Monthly), a.Monthly[len(a.Monthly)-1])
			}
		}
	})
	t.Run("UnlimitedPlan", func(t *testing.T) {
		_, err := f.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &f.store.Table,
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "ORG#" + org}, "SK": &types.AttributeValueMemberS{Value: "ORG"}},
			UpdateExpression:          aws.String("SET #plan = :p"),
			ExpressionAttributeNames:  map[string]string{"#plan": "plan"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "enterprise"}}})
		if err != nil {
			t.Fatal(err)
		}
		a := f.analytics(t, org, "?months=1")
		for name, g := range a.Usage {
			if g.Limit != nil || g.Percent != nil {
				t.Errorf("%s gauge %+v on enterprise, want limit and percent null", name, g)
			}
		}
		if a.Usage["projects"].Used != 2 {
			t.Errorf("projects used %d, want 2", a.Usage["projects"].Used)
		}
	})
	t.Run("ErrBadMonths", func(t *testing.T) {
		for _, q := range []string{"?months=0", "?months=13", "?months=-1", "?months=+3", "?months=3.0", "?months=abc",
			"?months=", "?months=3&months=4", "?month=3"} {
			r := f.call(t, owner, "GET", path+"/analytics"+q, nil)
			if r.Status != 400 || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %d %s, want a 400 problem", q, r.Status, r.Header.Get("Content-Type"))
			}
		}
	})
	t.Run("ErrNotMember", func(t *testing.T) {
		f.must(t, 404, "stranger@usage.test", "GET", path+"/analytics", nil)
	})
}
