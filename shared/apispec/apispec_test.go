package apispec

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// fakeTB records failures instead of failing the test, to observe what
// ValidateResponse and Load report.
type fakeTB struct {
	testing.TB // nil: only the methods below may be called
	mu         sync.Mutex
	failed     bool
	msgs       []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Errorf(format string, args ...any) { f.record(format, args...) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.record(format, args...) }
func (f *fakeTB) Error(args ...any)                 { f.record("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Fatal(args ...any)                 { f.record("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Failed() bool                      { f.mu.Lock(); defer f.mu.Unlock(); return f.failed }
func (f *fakeTB) Log(args ...any)                   {}
func (f *fakeTB) Logf(format string, args ...any)   {}
func (f *fakeTB) text() string                      { return strings.Join(f.msgs, "\n") }

const (
	orgID  = "org_01jbz8k6w3m4t5v6x7y8z9a0bc"
	prjID  = "prj_01jbz8k6w3m4t5v6x7y8z9a0bd"
	usrID  = "usr_01jbz8k6w3m4t5v6x7y8z9a0be"
	usrID2 = "usr_01jbz8k6w3m4t5v6x7y8z9a0bf"
)

func organization() map[string]any {
	return map[string]any{
		"id":                       orgID,
		"name":                     "Acme",
		"slug":                     "acme",
		"description":              "",
		"logo_url":                 nil,
		"branding":                 map[string]any{"primary_color": "#1a2b3c"},
		"notification_preferences": map[string]any{"invitations": true},
		"billing_email":            nil,
		"billing":                  map[string]any{"email": nil, "company_name": nil, "address": nil, "tax_id": nil},
		"plan":                     "free",
		"member_count":             1,
		"pending_invitation_count": 0,
		"project_count":            0,
		"api_key_count":            0,
		"app_count":                0,
		"wallet_status":            "missing",
		"limits":                   map[string]any{"members": 5, "projects": 3, "api_keys": 5, "apps": nil, "roles": 3},
		"created_at":               "2025-01-31T12:00:00Z",
		"updated_at":               "2025-01-31T12:00:00.123456789Z",
		"version":                  1,
		"some_future_field":        "responses may gain fields",
	}
}

func member(id, role string) map[string]any {
	return map[string]any{
		"user_id":         id,
		"name":            "Ada",
		"email":           "ada@example.com",
		"role":            role,
		"role_expires_at": nil,
		"status":          "active",
		"last_login_at":   nil,
		"joined_at":       "2025-01-31T12:00:00Z",
		"version":         2,
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonHeader(extra ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func problemHeader() http.Header {
	return http.Header{"Content-Type": {"application/problem+json"}}
}

func problem(status int, code string) map[string]any {
	return map[string]any{
		"type":   "https://orgplane.dev/problems/" + code,
		"title":  http.StatusText(status),
		"status": status,
		"detail": "details",
		"code":   code,
	}
}

// expect runs ValidateResponse with a fake TB and checks whether it failed
// and, if so, that the message names every want.
func expect(t *testing.T, spec *Spec, fail bool, req *http.Request, status int, header http.Header, body []byte, want ...string) {
	t.Helper()
	ftb := &fakeTB{}
	ok := spec.ValidateResponse(ftb, req, status, header, body)
	if ok == ftb.Failed() {
		t.Errorf("ValidateResponse returned %v but failed=%v", ok, ftb.Failed())
	}
	switch {
	case fail && !ftb.Failed():
		t.Errorf("%s %s %d: validated, want a failure\nbody: %s", req.Method, req.URL.Path, status, body)
	case !fail && ftb.Failed():
		t.Errorf("%s %s %d: want valid, got:\n%s", req.Method, req.URL.Path, status, ftb.text())
	}
	for _, w := range want {
		if !strings.Contains(ftb.text(), w) {
			t.Errorf("failure message lacks %q:\n%s", w, ftb.text())
		}
	}
}

func TestLoadValidates(t *testing.T) {
	spec := Load(t)
	if !spec.Doc().IsOpenAPI31OrLater() {
		t.Errorf("openapi.yaml is OpenAPI %q, want 3.1", spec.Doc().OpenAPI)
	}
	if err := spec.Doc().Validate(t.Context()); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if Load(t) != spec {
		t.Error("Load does not cache")
	}
}

func TestOperations(t *testing.T) {
	want := []Operation{
		{"get-me", "GET", "/me"},
		{"list-my-organizations", "GET", "/me/organizations"},
		{"set-active-organization", "PUT", "/me/active-organization"},
		{"set-active-project", "PUT", "/me/active-project"},
		{"list-permissions", "GET", "/permissions"},
		{"create-organization", "POST", "/organizations"},
		{"get-organization", "GET", "/organizations/{org}"},
		{"update-organization", "PATCH", "/organizations/{org}"},
		{"delete-organization", "DELETE", "/organizations/{org}"},
		{"list-projects", "GET", "/organizations/{org}/projects"},
		{"create-project", "POST", "/organizations/{org}/projects"},
		{"get-project", "GET", "/organizations/{org}/projects/{project}"},
		{"update-project", "PATCH", "/organizations/{org}/projects/{project}"},
		{"delete-project", "DELETE", "/organizations/{org}/projects/{project}"},
		{"list-members", "GET", "/organizations/{org}/members"},
		{"get-member", "GET", "/organizations/{org}/members/{user}"},
		{"update-member", "PATCH", "/organizations/{org}/members/{user}"},
		{"remove-member", "DELETE", "/organizations/{org}/members/{user}"},
		{"leave-organization", "POST", "/organizations/{org}/leave"},
		{"transfer-ownership", "POST", "/organizations/{org}/transfer-ownership"},
		{"list-roles", "GET", "/organizations/{org}/roles"},
		{"list-invitations", "GET", "/organizations/{org}/invitations"},
		{"create-invitation", "POST", "/organizations/{org}/invitations"},
		{"get-invitation", "GET", "/organizations/{org}/invitations/{invitation}"},
		{"revoke-invitation", "DELETE", "/organizations/{org}/invitations/{invitation}"},
		{"resend-invitation", "POST", "/organizations/{org}/invitations/{invitation}/resend"},
		{"preview-invitation", "GET", "/invitations/{token}"},
		{"accept-invitation", "POST", "/invitations/{token}/accept"},
		{"decline-invitation", "POST", "/invitations/{token}/decline"},
		{"get-wallet", "GET", "/organizations/{org}/wallet"},
		{"open-wallet", "POST", "/organizations/{org}/wallet"},
		{"list-wallet-transactions", "GET", "/organizations/{org}/wallet/transactions"},
		{"create-top-up", "POST", "/organizations/{org}/wallet/top-ups"},
		{"create-charge", "POST", "/organizations/{org}/wallet/charges"},
		{"list-plans", "GET", "/plans"},
		{"get-subscription", "GET", "/organizations/{org}/subscription"},
		{"change-subscription", "PUT", "/organizations/{org}/subscription"},
		{"list-app-templates", "GET", "/apps"},
		{"list-apps", "GET", "/organizations/{org}/apps"},
		{"install-app", "POST", "/organizations/{org}/apps"},
		{"get-app", "GET", "/organizations/{org}/apps/{app}"},
		{"update-app", "PATCH", "/organizations/{org}/apps/{app}"},
		{"uninstall-app", "DELETE", "/organizations/{org}/apps/{app}"},
		{"restart-app", "POST", "/organizations/{org}/apps/{app}/restart"},
		{"stop-app", "POST", "/organizations/{org}/apps/{app}/stop"},
		{"access-app", "POST", "/organizations/{org}/apps/{app}/access"},
		{"list-app-logs", "GET", "/organizations/{org}/apps/{app}/logs"},
		{"create-role", "POST", "/organizations/{org}/roles"},
		{"get-role", "GET", "/organizations/{org}/roles/{role}"},
		{"update-role", "PATCH", "/organizations/{org}/roles/{role}"},
		{"delete-role", "DELETE", "/organizations/{org}/roles/{role}"},
		{"list-api-keys", "GET", "/organizations/{org}/api-keys"},
		{"create-api-key", "POST", "/organizations/{org}/api-keys"},
		{"get-api-key", "GET", "/organizations/{org}/api-keys/{key}"},
		{"update-api-key", "PATCH", "/organizations/{org}/api-keys/{key}"},
		{"revoke-api-key", "DELETE", "/organizations/{org}/api-keys/{key}"},
		{"rotate-api-key", "POST", "/organizations/{org}/api-keys/{key}/rotate"},
		{"list-exports", "GET", "/organizations/{org}/exports"},
		{"create-export", "POST", "/organizations/{org}/exports"},
		{"get-export", "GET", "/organizations/{org}/exports/{export}"},
		{"list-activity-exports", "GET", "/organizations/{org}/activity/exports"},
		{"create-activity-export", "POST", "/organizations/{org}/activity/exports"},
		{"get-activity-export", "GET", "/organizations/{org}/activity/exports/{export}"},
		{"create-my-export", "POST", "/me/exports"},
		{"get-my-export", "GET", "/me/exports/{export}"},
		{"get-my-notifications", "GET", "/organizations/{org}/members/me/notifications"},
		{"set-my-notifications", "PUT", "/organizations/{org}/members/me/notifications"},
		{"list-activity", "GET", "/organizations/{org}/activity"},
		{"get-dashboard", "GET", "/organizations/{org}/dashboard"},
		{"get-analytics", "GET", "/organizations/{org}/analytics"},
	}
	spec := Load(t)
	got := map[string]Operation{}
	for _, op := range spec.Operations() {
		if _, dup := got[op.ID]; dup {
			t.Errorf("operationId %s used twice", op.ID)
		}
		got[op.ID] = op
	}
	for _, w := range want {
		if g, ok := got[w.ID]; !ok {
			t.Errorf("missing operation %s", w)
		} else if g != w {
			t.Errorf("operation %s, want %s", g, w)
		}
		delete(got, w.ID)
	}
	for _, g := range got {
		t.Errorf("unexpected operation %s", g)
	}
	if op, ok := spec.Operation("get-project"); !ok || op.Path != "/organizations/{org}/projects/{project}" {
		t.Errorf("Operation(get-project) = %v, %v", op, ok)
	}
	req := httptest.NewRequest("PATCH", "/organizations/"+orgID+"/members/"+usrID, nil)
	if op, ok := spec.Find(req); !ok || op.ID != "update-member" {
		t.Errorf("Find(PATCH member) = %v, %v", op, ok)
	}
}

// TestSpecConventions checks rules the brief sets for every operation.
func TestSpecConventions(t *testing.T) {
	spec := Load(t)
	doc := spec.Doc()
	if len(doc.Security) == 0 {
		t.Error("no global security requirement")
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := op.OperationID + " (" + method + " " + path + ")"
			// A public operation (security: []) cannot answer 401; every
			// other one can. Which operations can answer 403 depends on the
			// roles: shared/api TestForbiddenIsDocumentedWhereItCanHappen.
			public := op.Security != nil && len(*op.Security) == 0
			if documented := op.Responses.Status(401) != nil; documented == public {
				t.Errorf("%s: public %v but 401 documented %v", name, public, documented)
			}
			if strings.HasPrefix(path, "/organizations/{org}") && op.Responses.Status(404) == nil {
				t.Errorf("%s: 404 not documented", name)
			}
			if op.Responses.Status(400) == nil || op.Responses.Status(503) == nil {
				t.Errorf("%s: 400 (any body is checked) or 503 (transient faults) not documented", name)
			}
			if op.RequestBody != nil {
				if op.Responses.Status(400) == nil || op.Responses.Status(413) == nil {
					t.Errorf("%s: takes a body but does not document 400 and 413", name)
				}
				schema := op.RequestBody.Value.Content.Get("application/json").Schema.Value
				if schema.AdditionalProperties.Has == nil || *schema.AdditionalProperties.Has {
					t.Errorf("%s: request body allows additional properties", name)
				}
			}
			if method == http.MethodPatch {
				if op.Responses.Status(412) == nil {
					t.Errorf("%s: PATCH without 412", name)
				}
				hasIfMatch := false
				for _, p := range op.Parameters {
					hasIfMatch = hasIfMatch || (p.Value.In == "header" && p.Value.Name == "If-Match")
				}
				if !hasIfMatch {
					t.Errorf("%s: PATCH without an If-Match parameter", name)
				}
			}
			for code, ref := range op.Responses.Map() {
				if code[0] == '4' && ref.Ref == "" {
					t.Errorf("%s: %s is not a shared components/responses entry", name, code)
				}
				if code[0] == '4' && ref.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("%s: %s is not problem+json", name, code)
				}
			}
		}
	}
}

func TestValidOrganization(t *testing.T) {
	spec := Load(t)
	req := httptest.NewRequest("GET", "/organizations/"+orgID, nil)
	expect(t, spec, false, req, 200, jsonHeader("ETag", `"1"`), mustJSON(t, organization()))

	// A fuller one: every nullable set, a weak ETag, on a request with a host.
	org := organization()
	org["logo_url"] = "https://cdn.example.com/logo.png"
	org["billing_email"] = "billing@example.com"
	org["limits"] = map[string]any{"members": nil, "projects": nil, "api_keys": nil, "apps": nil, "roles": nil}
	org["plan"] = "enterprise"
	req = httptest.NewRequest("GET", "http://127.0.0.1:3000/organizations/"+orgID+"?x=1", nil)
	expect(t, spec, false, req, 200, jsonHeader("ETag", `W/"7"`), mustJSON(t, org))

	// create-organization: 201 with Location and ETag.
	req = httptest.NewRequest("POST", "/organizations", strings.NewReader(`{"name":"Acme"}`))
	expect(t, spec, false, req, 201, jsonHeader("ETag", `"1"`, "Location", "/organizations/"+orgID), mustJSON(t, organization()))
}

func TestMissingSlugFails(t *testing.T) {
	spec := Load(t)
	org := organization()
	delete(org, "slug")
	req := httptest.NewRequest("GET", "/organizations/"+orgID, nil)
	expect(t, spec, true, req, 200, jsonHeader("ETag", `"1"`), mustJSON(t, org),
		"get-organization", "status 200", "slug", `"name":"Acme"`)
}

func TestInvalidOrganizationFields(t *testing.T) {
	spec := Load(t)
	req := httptest.NewRequest("GET", "/organizations/"+orgID, nil)
	cases := map[string]func(map[string]any){
		"slug pattern":   func(o map[string]any) { o["slug"] = "Not A Slug" },
		"plan enum":      func(o map[string]any) { o["plan"] = "gold" },
		"negative count": func(o map[string]any) { o["member_count"] = -1 },
		"float count":    func(o map[string]any) { o["project_count"] = 1.5 },
		"null name":      func(o map[string]any) { o["name"] = nil },
		"bad timestamp":  func(o map[string]any) { o["created_at"] = "yesterday" },
		"bad email":      func(o map[string]any) { o["billing_email"] = "nobody" },
		"http logo":      func(o map[string]any) { o["logo_url"] = "http://example.com/logo.png" },
		"bad color":      func(o map[string]any) { o["branding"] = map[string]any{"primary_color": "red"} },
		"bad pref":       func(o map[string]any) { o["notification_preferences"] = map[string]any{"x": "yes"} },
		"missing limit": func(o map[string]any) {
			o["limits"] = map[string]any{"members": 5, "projects": 3, "api_keys": 5, "roles": 3}
		},
		"bad id":            func(o map[string]any) { o["id"] = "org_123" },
		"wallet enum":       func(o map[string]any) { o["wallet_status"] = "unknown" },
		"version as string": func(o map[string]any) { o["version"] = "1" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			org := organization()
			mutate(org)
			expect(t, spec, true, req, 200, jsonHeader("ETag", `"1"`), mustJSON(t, org))
		})
	}
}

func TestHeaders(t *testing.T) {
	spec := Load(t)
	req := httptest.NewRequest("GET", "/organizations/"+orgID, nil)
	body := mustJSON(t, organization())
	expect(t, spec, true, req, 200, jsonHeader(), body, "ETag")
	expect(t, spec, true, req, 200, jsonHeader("ETag", "1"), body, "ETag")
	expect(t, spec, true, req, 200, http.Header{"Etag": {`"1"`}}, body, "Content-Type")
	expect(t, spec, true, req, 200, http.Header{"Etag": {`"1"`}, "Content-Type": {"text/plain"}}, body)

	post := httptest.NewRequest("POST", "/organizations", nil)
	expect(t, spec, true, post, 201, jsonHeader("ETag", `"1"`), body, "Location")
}

func TestNoContent(t *testing.T) {
	spec := Load(t)
	del := httptest.NewRequest("DELETE", "/organizations/"+orgID+"/projects/"+prjID, nil)
	expect(t, spec, false, del, 204, http.Header{}, nil)
	expect(t, spec, false, del, 204, nil, []byte{})
	expect(t, spec, true, del, 204, jsonHeader(), []byte(`{}`), "without a body")

	leave := httptest.NewRequest("POST", "/organizations/"+orgID+"/leave", nil)
	expect(t, spec, false, leave, 204, http.Header{}, nil)
}

func TestUndocumentedStatusFails(t *testing.T) {
	spec := Load(t)
	req := httptest.NewRequest("GET", "/me", nil)
	expect(t, spec, true, req, 500, problemHeader(), mustJSON(t, problem(500, "internal")),
		"get-me", "status 500 is not documented", "401")
	expect(t, spec, true, req, 204, http.Header{}, nil, "not documented")
	// 412 is documented for PATCH, not GET.
	get := httptest.NewRequest("GET", "/organizations/"+orgID, nil)
	expect(t, spec, true, get, 412, problemHeader(), mustJSON(t, problem(412, "version_conflict")), "not documented")
}

func TestUnknownOperationFails(t *testing.T) {
	spec := Load(t)
	expect(t, spec, true, httptest.NewRequest("GET", "/nope", nil), 200, jsonHeader(), []byte(`{}`), "no documented operation")
	expect(t, spec, true, httptest.NewRequest("PUT", "/organizations/"+orgID, nil), 200, jsonHeader(), []byte(`{}`), "no documented operation")
}

func TestProblems(t *testing.T) {
	spec := Load(t)
	patch := httptest.NewRequest("PATCH", "/organizations/"+orgID, nil)
	expect(t, spec, false, patch, 412, problemHeader(), mustJSON(t, problem(412, "version_conflict")))

	invalid := problem(400, "validation_failed")
	invalid["errors"] = []map[string]string{{"field": "name", "message": "must not be empty"}}
	expect(t, spec, false, patch, 400, problemHeader(), mustJSON(t, invalid))

	// The body's status must be the response's.
	expect(t, spec, true, patch, 404, problemHeader(), mustJSON(t, problem(400, "not_found")), "status")
	// Problems are problem+json, not json.
	expect(t, spec, true, patch, 404, jsonHeader(), mustJSON(t, problem(404, "not_found")), "Content-Type")
	// Required members.
	p := problem(404, "not_found")
	delete(p, "code")
	expect(t, spec, true, patch, 404, problemHeader(), mustJSON(t, p), "code")
	// Not JSON at all.
	expect(t, spec, true, patch, 404, problemHeader(), []byte("not found"))

	// 429 with Retry-After.
	h := problemHeader()
	h.Set("Retry-After", "3")
	expect(t, spec, false, httptest.NewRequest("GET", "/me", nil), 429, h, mustJSON(t, problem(429, "rate_limited")))
}

func TestNullableAndLists(t *testing.T) {
	spec := Load(t)
	me := httptest.NewRequest("GET", "/me", nil)
	user := map[string]any{
		"id": usrID, "email": "ada@example.com", "name": "Ada",
		"active_organization_id": nil, "active_project_id": nil,
		"created_at": "2025-01-31T12:00:00Z", "last_login_at": nil,
	}
	expect(t, spec, false, me, 200, jsonHeader(), mustJSON(t, user))
	user["active_organization_id"] = orgID
	user["active_project_id"] = prjID
	user["last_login_at"] = "2025-02-01T08:00:00Z"
	expect(t, spec, false, me, 200, jsonHeader(), mustJSON(t, user))
	user["active_project_id"] = orgID // wrong prefix
	expect(t, spec, true, me, 200, jsonHeader(), mustJSON(t, user), "active_project_id")
	user["active_project_id"] = nil
	delete(user, "active_project_id") // required even when null
	expect(t, spec, true, me, 200, jsonHeader(), mustJSON(t, user), "active_project_id")

	mine := httptest.NewRequest("GET", "/me/organizations", nil)
	myOrg := organization()
	myOrg["role"] = "owner"
	expect(t, spec, false, mine, 200, jsonHeader(), mustJSON(t, map[string]any{"data": []any{myOrg}, "next_cursor": nil}))
	expect(t, spec, false, mine, 200, jsonHeader(), mustJSON(t, map[string]any{"data": []any{}, "next_cursor": "abc"}))
	delete(myOrg, "role")
	expect(t, spec, true, mine, 200, jsonHeader(), mustJSON(t, map[string]any{"data": []any{myOrg}, "next_cursor": nil}), "role")
	expect(t, spec, true, mine, 200, jsonHeader(), mustJSON(t, map[string]any{"data": []any{}}), "next_cursor")

	roles := httptest.NewRequest("GET", "/organizations/"+orgID+"/roles", nil)
	role := map[string]any{"id": "owner", "name": "Owner", "level": 100, "permissions": []string{"projects:read"}, "built_in": true, "member_count": 1,
		"description": "", "invitation_count": 0, "can_assign": true, "can_edit": false}
	expect(t, spec, false, roles, 200, jsonHeader(), mustJSON(t, map[string]any{"data": []any{role}, "next_cursor": nil}))
	expect(t, spec, true, roles, 200, jsonHeader(), mustJSON(t, map[string]any{"data": []any{role}, "next_cursor": "x"}), "next_cursor")

	members := httptest.NewRequest("GET", "/organizations/"+orgID+"/members?status=active", nil)
	expect(t, spec, false, members, 200, jsonHeader(), mustJSON(t, map[string]any{"data": []any{member(usrID, "admin")}, "next_cursor": nil}))
	expect(t, spec, true, members, 200, jsonHeader(), mustJSON(t, map[string]any{"data": []any{member(usrID, "boss")}, "next_cursor": nil}), "role")

	transfer := httptest.NewRequest("POST", "/organizations/"+orgID+"/transfer-ownership", nil)
	expect(t, spec, false, transfer, 200, jsonHeader(), mustJSON(t, map[string]any{
		"organization_id": orgID, "previous_owner": member(usrID, "admin"), "new_owner": member(usrID2, "owner"),
	}))

	perms := httptest.NewRequest("GET", "/permissions", nil)
	expect(t, spec, false, perms, 200, jsonHeader(), mustJSON(t, map[string]any{
		"data": []any{map[string]any{"name": "projects", "permissions": []string{"projects:read", "projects:manage_own"}}},
	}))
}

// TestParallel checks a shared Spec under concurrent use (run with -race).
func TestParallel(t *testing.T) {
	spec := Load(t)
	body := mustJSON(t, organization())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			req := httptest.NewRequest("GET", "/organizations/"+orgID, nil)
			spec.ValidateResponse(t, req, 200, jsonHeader("ETag", `"1"`), body)
		})
	}
	wg.Wait()
}

func TestLoadFileErrors(t *testing.T) {
	if _, err := LoadFile("testdata/does-not-exist.yaml"); err == nil {
		t.Error("LoadFile of a missing file: no error")
	}
	dir := t.TempDir()
	bad := dir + "/openapi.yaml"
	// Valid YAML, invalid OpenAPI: a response without a description.
	doc := "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200': {}\n"
	if err := os.WriteFile(bad, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad); err == nil {
		t.Error("LoadFile of an invalid document: no error")
	}
	// Load from a module without openapi.yaml fails the TB.
	if err := os.WriteFile(dir+"/go.mod", []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := dir + "/a/b"
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not: [openapi"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	ftb := &fakeTB{}
	if spec := Load(ftb); spec != nil || !ftb.Failed() {
		t.Errorf("Load of a broken openapi.yaml: spec %v, failed %v", spec, ftb.Failed())
	}
}
