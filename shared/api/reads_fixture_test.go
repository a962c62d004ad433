package api_test

import (
	"context"

	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/ids"
)

// readFixture is an org holding one of everything a read route can name,
// so every GET route of the route list has a path that answers 200.
type readFixture struct {
	owner, org, project, member, key, secret, app, invitation, token string
	// Export jobs (pending: no consumer builds them here) of each kind.
	orgExport, activityExport, myExport string
}

func newReadFixture(tb testing.TB, e *env, owner string) readFixture {
	tb.Helper()
	f := readFixture{owner: owner}
	f.org, _ = e.newOrg(tb, owner, "Reads")
	orgPath := "/organizations/" + f.org
	f.project = e.must(tb, 201, owner, "POST", orgPath+"/projects", map[string]any{"name": "P"}).Str(tb, "id")
	e.must(tb, 200, "m@reads.test", "GET", "/me", nil)
	u, err := e.store.GetUser(context.Background(), userID("m@reads.test"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.store.AddMember(context.Background(), f.org, u, access.Member); err != nil {
		tb.Fatal(err)
	}
	f.member = u.ID
	k := as[keyBody](tb, e.must(tb, 201, owner, "POST", keysPath(f.org),
		map[string]any{"name": "Bench", "permissions": []string{"organization:read", "projects:read", "apps:read", "billing:read", "api_keys:read"}}))
	f.key, f.secret = k.ID, k.Secret
	// The enterprise plan's key rate limit (6,000 a minute) lets a
	// benchmark send the key's requests back to back.
	_, err = e.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &e.store.Table,
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ORG#" + f.org}, "SK": &types.AttributeValueMemberS{Value: "ORG"}},
		UpdateExpression: aws.String("SET #plan = :p"), ExpressionAttributeNames: map[string]string{"#plan": "plan"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "enterprise"}}})
	if err != nil {
		tb.Fatal(err)
	}
	e.must(tb, 201, owner, "POST", orgPath+"/wallet", nil)
	e.must(tb, 201, owner, "POST", orgPath+"/wallet/top-ups", map[string]any{"amount": 100})
	f.app = e.must(tb, 201, owner, "POST", orgPath+"/apps", map[string]any{"template_id": "team-wiki", "name": "Wiki"}).Str(tb, "id")
	f.invitation = e.must(tb, 201, owner, "POST", orgPath+"/invitations", map[string]any{"email": "guest@reads.test"}).Str(tb, "id")
	inv, err := e.store.GetInvitation(context.Background(), f.org, f.invitation)
	if err != nil {
		tb.Fatal(err)
	}
	if f.token, err = testInviteSecret.Token(inv.ID, inv.SendNonce); err != nil {
		tb.Fatal(err)
	}
	f.orgExport = e.must(tb, 202, owner, "POST", orgPath+"/exports", nil).Str(tb, "id")
	f.activityExport = e.must(tb, 202, owner, "POST", orgPath+"/activity/exports", map[string]any{"format": "jsonl"}).Str(tb, "id")
	f.myExport = e.must(tb, 202, owner, "POST", "/me/exports", nil).Str(tb, "id")
	return f
}

// path fills a route's path with the fixture's ids.
func (f readFixture) path(rt api.Route) string {
	export := f.orgExport
	switch rt.Name {
	case "get-activity-export":
		export = f.activityExport
	case "get-my-export":
		export = f.myExport
	}
	return strings.NewReplacer("{export}", export, "{org}", f.org, "{project}", f.project, "{user}", f.member, "{key}", f.key,
		"{app}", f.app, "{invitation}", f.invitation, "{token}", f.token, "{role}", access.Admin).Replace(rt.Path)
}

// shape is a path with the fixture's ids named again, for reports.
func (f readFixture) shape(path string) string {
	return strings.NewReplacer(f.orgExport, "{export}", f.activityExport, "{export}", f.myExport, "{export}", f.org, "{org}", f.project, "{project}", f.member, "{user}", f.key, "{key}",
		f.app, "{app}", f.invitation, "{invitation}", f.token, "{token}").Replace(path)
}

// readRoutes is every GET route of the route list.
func readRoutes() []api.Route {
	var out []api.Route
	for _, rt := range api.Routes {
		if rt.Method == http.MethodGet {
			out = append(out, rt)
		}
	}
	return out
}

// TestStrangersReadNothing: on every org-scoped GET route, with the ids of
// resources that exist, a stranger gets exactly the 404 of an org that
// does not exist — with no ETag and whatever the query says (a bad
// parameter is not a 400 for them) — though the route read the resource
// in admission's round trip.
func TestStrangersReadNothing(t *testing.T) {
	e := newEnv(t)
	f := newReadFixture(t, e, "owner@strangers.test")
	const stranger = "stranger@strangers.test"
	e.must(t, 200, stranger, "GET", "/me", nil)
	missing := strings.Replace(f.path(api.Route{Path: "/organizations/{org}"}), f.org, ids.New(ids.Organization), 1)
	want := e.must(t, 404, f.owner, "GET", missing, nil).Str(t, "detail")
	for _, rt := range readRoutes() {
		if !rt.OrgScoped() {
			continue
		}
		for _, query := range []string{"", "?limit=bogus&status=bogus&sort=bogus"} {
			path := f.path(rt) + query
			r := e.call(t, stranger, "GET", path, nil)
			if r.Status != 404 || r.Code(t) != "not_found" || r.Str(t, "detail") != want || r.Header.Get("ETag") != "" {
				t.Errorf("stranger GET %s → %d %s (ETag %q), want the missing org's 404", f.shape(path), r.Status, r.Raw, r.Header.Get("ETag"))
			}
		}
	}
}
