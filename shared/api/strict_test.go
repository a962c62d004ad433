package api_test

import (
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/ids"
)

// pathFor fills a route's path with the org given and well-formed ids
// that name nothing.
func pathFor(rt api.Route, org, user string) string {
	return strings.NewReplacer(
		"{org}", org, "{project}", ids.New(ids.Project), "{user}", user, "{app}", ids.New(ids.App),
		"{invitation}", ids.New(ids.Invitation), "{token}", "no-such-token",
	).Replace(rt.Path)
}

// TestStrictBodiesOnEveryRoute is finding 2 of issue 9: on every route
// that takes a body, a body that is not one object, or holds a key twice
// or in another case, is 400; on every route that takes none, any body but
// an empty one or {} is 400.
func TestStrictBodiesOnEveryRoute(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@strict.test"
	org, _ := e.newOrg(t, owner, "Strict")
	refused := []string{`null`, `[]`, `[{"name":"x"}]`, `"x"`, `5`, `true`, `{"name":"a","name":"a"}`, `{"NaMe":"x"}`, `{"a":{"b":1,"b":1}}`}
	for _, rt := range api.Routes {
		t.Run(rt.Name, func(t *testing.T) {
			path := pathFor(rt, org, userID(owner))
			bodies := refused
			if !rt.Body {
				bodies = append([]string{`{"force":true}`}, refused...)
			}
			for _, body := range bodies {
				if r := e.call(t, owner, rt.Method, path, body); r.Status != 400 {
					t.Errorf("%s %s %s → %d, want 400: %s", rt.Method, rt.Path, body, r.Status, r.Raw)
				}
			}
		})
	}
	t.Run("EmptyObjectOnRoutesWithoutBody", func(t *testing.T) {
		other, _ := e.newOrg(t, owner, "Other")
		for _, rt := range api.Routes {
			if rt.Body {
				continue
			}
			for _, body := range []string{`{}`, ` { } `} {
				if r := e.call(t, owner, rt.Method, pathFor(rt, other, userID(owner)), body); r.Status == 400 {
					t.Errorf("%s %s %q → 400: %s", rt.Method, rt.Path, body, r.Raw)
				}
			}
		}
	})
}

// TestNullPerField pins the contract's null rule: null is accepted only
// where openapi.yaml declares it (merge-patch fields, where it clears) and
// is 400 everywhere else, never silently ignored or stored.
func TestNullPerField(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@null.test"
	org, _ := e.newOrg(t, owner, "Null")
	member := e.addMember(t, org, "m@null.test", "member")
	project := e.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P", "description": "d"}).Str(t, "id")
	app := e.installChat(t, owner, org, nil).Str(t, "id")
	refused := []struct{ name, method, path, body string }{
		{"CreateOrgSlug", "POST", "/organizations", `{"name":"X","slug":null}`},
		{"CreateOrgDescription", "POST", "/organizations", `{"name":"X","description":null}`},
		{"PatchOrgName", "PATCH", "/organizations/" + org, `{"name":null}`},
		{"PatchProjectName", "PATCH", "/organizations/" + org + "/projects/" + project, `{"name":null}`},
		{"PatchMemberRole", "PATCH", "/organizations/" + org + "/members/" + member, `{"role":null}`},
		{"PatchMemberStatus", "PATCH", "/organizations/" + org + "/members/" + member, `{"status":null}`},
		{"PatchAppAccessVisibility", "PATCH", "/organizations/" + org + "/apps/" + app, `{"access":{"visibility":null}}`},
		{"PatchAppName", "PATCH", "/organizations/" + org + "/apps/" + app, `{"name":null}`},
		{"TopUpReference", "POST", "/organizations/" + org + "/wallet/top-ups", `{"amount":1,"reference":null}`},
		{"ChargeDescription", "POST", "/organizations/" + org + "/wallet/charges", `{"amount":1,"description":null}`},
		{"SetActiveOrganization", "PUT", "/me/active-organization", `{"organization_id":null}`},
	}
	for _, tc := range refused {
		t.Run("Err"+tc.name, func(t *testing.T) {
			if r := e.call(t, owner, tc.method, tc.path, tc.body); r.Status != 400 {
				t.Errorf("%s %s %s → %d, want 400: %s", tc.method, tc.path, tc.body, r.Status, r.Raw)
			}
		})
	}
	t.Run("PatchProjectDescriptionClears", func(t *testing.T) {
		var got struct {
			Description *string `json:"description"`
		}
		r := e.must(t, 200, owner, "PATCH", "/organizations/"+org+"/projects/"+project, `{"description":null}`)
		if err := r.decode(&got); err != nil || (got.Description != nil && *got.Description != "") {
			t.Errorf("description after null: %v, %v", got.Description, err)
		}
	})
	t.Run("PatchOrgClears", func(t *testing.T) {
		var got struct {
			Description *string           `json:"description"`
			Branding    map[string]string `json:"branding"`
		}
		e.must(t, 200, owner, "PATCH", "/organizations/"+org, `{"description":"d","branding":{"primary_color":"#000000"}}`)
		r := e.must(t, 200, owner, "PATCH", "/organizations/"+org, `{"description":null,"branding":null,"notification_preferences":null,"logo_url":null,"billing_email":null}`)
		if err := r.decode(&got); err != nil || (got.Description != nil && *got.Description != "") || len(got.Branding) != 0 {
			t.Errorf("after nulls: description %v branding %v, %v", got.Description, got.Branding, err)
		}
	})
}

// TestMalformedIDsInBodiesAre400: an id inside a body is input; a malformed
// one is 400, while a well-formed one naming nothing stays 404.
func TestMalformedIDsInBodiesAre400(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@ids.test"
	org, _ := e.newOrg(t, owner, "Ids")
	tests := []struct {
		name, method, path string
		body               map[string]any
		want               int
	}{
		{"ErrTransferToMalformed", "POST", "/organizations/" + org + "/transfer-ownership", map[string]any{"user_id": "bad"}, 400},
		{"ErrTransferToUnknown", "POST", "/organizations/" + org + "/transfer-ownership", map[string]any{"user_id": ids.New(ids.User)}, 404},
		{"ErrActiveOrgMalformed", "PUT", "/me/active-organization", map[string]any{"organization_id": "nope"}, 400},
		{"ErrActiveOrgUnknown", "PUT", "/me/active-organization", map[string]any{"organization_id": ids.New(ids.Organization)}, 404},
		{"ErrActiveProjectMalformed", "PUT", "/me/active-project", map[string]any{"project_id": "nope"}, 400},
		{"ErrActiveProjectUnknown", "PUT", "/me/active-project", map[string]any{"project_id": ids.New(ids.Project)}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.call(t, owner, tt.method, tt.path, tt.body); r.Status != tt.want {
				t.Errorf("%s %s %v → %d, want %d: %s", tt.method, tt.path, tt.body, r.Status, tt.want, r.Raw)
			}
		})
	}
}

// TestWrongMethodNamesAllowed: a 405 carries Allow (RFC 9110 §15.5.6).
func TestWrongMethodNamesAllowed(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, method, path, want string }{
		{"PutOrganization", "PUT", "/organizations/" + ids.New(ids.Organization), "GET, HEAD, PATCH, DELETE"},
		{"DeleteMe", "DELETE", "/me", "GET, HEAD"},
		{"GetCharges", "GET", "/organizations/" + ids.New(ids.Organization) + "/wallet/charges", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(t, "someone@allow.test", tt.method, tt.path, nil)
			if r.Status != 405 || r.Header.Get("Allow") != tt.want {
				t.Errorf("→ %d Allow %q, want 405 Allow %q", r.Status, r.Header.Get("Allow"), tt.want)
			}
		})
	}
}
