package api_test

import (
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/access"
)

// TestMassAssignmentChangesNothing: server-owned fields are refused with
// 400 and nothing moves.
func TestMassAssignmentChangesNothing(t *testing.T) {
	e := newEnv(t)
	org, slug := e.newOrg(t, "owner@mass.test", "Mass")
	member := e.addMember(t, org, "m@mass.test", access.Member)
	project := e.must(t, 201, "owner@mass.test", "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
	before := e.must(t, 200, "owner@mass.test", "GET", "/organizations/"+org, nil).Raw

	cases := []struct {
		name, method, path string
		body               map[string]any
	}{
		{"CreateOrgWithPlan", "POST", "/organizations", map[string]any{"name": "X", "plan": "enterprise"}},
		{"CreateOrgWithID", "POST", "/organizations", map[string]any{"name": "X", "id": org}},
		{"CreateOrgWithCounts", "POST", "/organizations", map[string]any{"name": "X", "member_count": 0}},
		{"PatchOrgPlan", "PATCH", "/organizations/" + org, map[string]any{"plan": "enterprise"}},
		{"PatchOrgSlug", "PATCH", "/organizations/" + org, map[string]any{"name": "Y", "slug": "stolen"}},
		{"PatchOrgBalance", "PATCH", "/organizations/" + org, map[string]any{"balance": 1000000}},
		{"PatchOrgVersion", "PATCH", "/organizations/" + org, map[string]any{"version": 99}},
		{"PatchOrgCreatedAt", "PATCH", "/organizations/" + org, map[string]any{"created_at": "2020-01-01T00:00:00Z"}},
		{"PatchMemberEmail", "PATCH", "/organizations/" + org + "/members/" + member, map[string]any{"email": "x@evil.test"}},
		{"PatchMemberUserID", "PATCH", "/organizations/" + org + "/members/" + member, map[string]any{"role": "admin", "user_id": "usr_x"}},
		{"PatchProjectOwner", "PATCH", "/organizations/" + org + "/projects/" + project, map[string]any{"created_by": userID("m@mass.test")}},
		{"PatchProjectOrg", "PATCH", "/organizations/" + org + "/projects/" + project, map[string]any{"organization_id": "org_x"}},
		{"CreateProjectCounts", "POST", "/organizations/" + org + "/projects", map[string]any{"name": "Q", "api_key_count": 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, "owner@mass.test", tc.method, tc.path, tc.body)
			if r.Status != 400 || r.Code(t) != "validation_failed" {
				t.Fatalf("got %d %s, want 400 validation_failed", r.Status, r.Raw)
			}
		})
	}
	after := e.must(t, 200, "owner@mass.test", "GET", "/organizations/"+org, nil).Raw
	if string(before) != string(after) {
		t.Fatalf("the org changed:\nbefore %s\nafter  %s", before, after)
	}
	if got := e.must(t, 200, "owner@mass.test", "GET", "/me/organizations", nil).Data(t); len(got) != 2 {
		t.Fatalf("refused creates made orgs: %d orgs", len(got))
	}
	if got := e.must(t, 200, "owner@mass.test", "GET", "/organizations/"+org+"/members/"+member, nil).JSON(t); got["role"] != "member" {
		t.Fatalf("member changed: %v", got)
	}
	if r := e.call(t, "owner@mass.test", "GET", "/organizations/by-slug/"+slug, nil); r.Status != 404 {
		t.Fatalf("unknown path → %d", r.Status)
	}
}

// TestBadInputIs4xx: malformed bodies, ids, queries and headers never 5xx.
func TestBadInputIs4xx(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@bad.test", "Bad")
	big := `{"name":"` + strings.Repeat("a", 70<<10) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		want               int
		headers            []string
	}{
		{"EmptyBody", "POST", "/organizations", "", 400, nil},
		{"NotJSON", "POST", "/organizations", "name=x", 400, nil},
		{"Array", "POST", "/organizations", `[]`, 400, nil},
		{"Null", "POST", "/organizations", `null`, 400, nil},
		{"TwoObjects", "POST", "/organizations", `{"name":"a"}{"name":"b"}`, 400, nil},
		{"WrongType", "POST", "/organizations", `{"name":5}`, 400, nil},
		{"Truncated", "POST", "/organizations", `{"name":"a"`, 400, nil},
		{"TooLarge", "POST", "/organizations", big, 413, nil},
		{"WrongMedia", "POST", "/organizations", `{"name":"a"}`, 415, []string{"Content-Type", "text/plain"}},
		{"MissingName", "POST", "/organizations", `{}`, 400, nil},
		{"BlankName", "POST", "/organizations", `{"name":"   "}`, 400, nil},
		{"LongName", "POST", "/organizations", map[string]any{"name": strings.Repeat("n", 101)}, 400, nil},
		{"ControlChars", "POST", "/organizations", map[string]any{"name": "a\x00b"}, 400, nil},
		{"SlugShort", "POST", "/organizations", map[string]any{"name": "a", "slug": "ab"}, 400, nil},
		{"SlugUpper", "POST", "/organizations", map[string]any{"name": "a", "slug": "Acme"}, 400, nil},
		{"SlugDash", "POST", "/organizations", map[string]any{"name": "a", "slug": "-acme"}, 400, nil},
		{"SlugLong", "POST", "/organizations", map[string]any{"name": "a", "slug": strings.Repeat("a", 49)}, 400, nil},
		{"MalformedOrgID", "GET", "/organizations/not-an-id", nil, 404, nil},
		{"MalformedProjectID", "GET", "/organizations/" + org + "/projects/../../x", nil, 404, nil},
		{"MalformedUserID", "GET", "/organizations/" + org + "/members/usr_%00", nil, 404, nil},
		{"LimitZero", "GET", "/organizations/" + org + "/projects?limit=0", nil, 400, nil},
		{"LimitHuge", "GET", "/organizations/" + org + "/projects?limit=101", nil, 400, nil},
		{"LimitText", "GET", "/organizations/" + org + "/projects?limit=ten", nil, 400, nil},
		{"LimitTwice", "GET", "/organizations/" + org + "/projects?limit=1&limit=2", nil, 400, nil},
		{"UnknownQuery", "GET", "/organizations/" + org + "/projects?evil=1", nil, 400, nil},
		{"BadSort", "GET", "/organizations/" + org + "/projects?sort=id", nil, 400, nil},
		{"BadHasKeys", "GET", "/organizations/" + org + "/projects?has_api_keys=yes", nil, 400, nil},
		{"BadQueryEscape", "GET", "/organizations/" + org + "/projects?q=%zz", nil, 400, nil},
		{"BadRoleFilter", "GET", "/organizations/" + org + "/members?role=god", nil, 400, nil},
		{"BadStatusFilter", "GET", "/organizations/" + org + "/members?status=gone", nil, 400, nil},
		{"EmptyCursor", "GET", "/organizations/" + org + "/projects?cursor=", nil, 400, nil},
		{"GarbageCursor", "GET", "/organizations/" + org + "/projects?cursor=%25%25", nil, 400, nil},
		{"BadIfMatch", "PATCH", "/organizations/" + org, map[string]any{"name": "x"}, 412, []string{"If-Match", "banana"}},
		{"BadLogo", "PATCH", "/organizations/" + org, map[string]any{"logo_url": "javascript:alert(1)"}, 400, nil},
		{"BadBillingEmail", "PATCH", "/organizations/" + org, map[string]any{"billing_email": "not-an-email"}, 400, nil},
		{"BadBrandingKey", "PATCH", "/organizations/" + org, map[string]any{"branding": map[string]any{"font": "x"}}, 400, nil},
		{"BadColor", "PATCH", "/organizations/" + org, map[string]any{"branding": map[string]any{"primary_color": "red"}}, 400, nil},
		{"NullName", "PATCH", "/organizations/" + org, map[string]any{"name": nil}, 400, nil},
		{"DeleteNoConfirm", "DELETE", "/organizations/" + org, map[string]any{}, 400, nil},
		{"DeleteWrongConfirm", "DELETE", "/organizations/" + org, map[string]any{"confirm_slug": "nope"}, 400, nil},
		{"ActiveOrgMissing", "PUT", "/me/active-organization", map[string]any{}, 400, nil},
		{"ActiveOrgMalformed", "PUT", "/me/active-organization", map[string]any{"organization_id": "x"}, 400, nil},
		{"ActiveProjectUnknown", "PUT", "/me/active-project", map[string]any{"project_id": "prj_01jbzzzzzzzzzzzzzzzzzzzzzz"}, 404, nil},
		{"WrongMethod", "PUT", "/organizations", map[string]any{}, 405, nil},
		{"MemberBadRole", "PATCH", "/organizations/" + org + "/members/" + userID("owner@bad.test"), map[string]any{"role": "god"}, 400, nil},
		{"MemberEmptyPatch", "PATCH", "/organizations/" + org + "/members/" + userID("owner@bad.test"), map[string]any{}, 400, nil},
		{"TransferToSelf", "POST", "/organizations/" + org + "/transfer-ownership", map[string]any{"user_id": userID("owner@bad.test")}, 400, nil},
		{"TransferToStranger", "POST", "/organizations/" + org + "/transfer-ownership", map[string]any{"user_id": userID("nobody@bad.test")}, 404, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, "owner@bad.test", tc.method, tc.path, tc.body, tc.headers...)
			if r.Status != tc.want {
				t.Fatalf("got %d %s, want %d", r.Status, r.Raw, tc.want)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want application/problem+json", ct)
			}
		})
	}
}
