package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/ids"
)

// FuzzRequests sends whole requests — a route's path with real, unknown or
// fuzzed ids, any method, query, credentials, content type, If-Match,
// Idempotency-Key and body — through the full router and handlers over
// DynamoDB Local. No input may get a 5xx, and every answer to a documented
// operation must match openapi.yaml. `go test` runs the seed corpus; a
// longer run (one worker, as it starts DynamoDB Local per process):
//
//	go test -run '^$' -fuzz FuzzRequests -fuzztime 5m -parallel 1 ./shared/api
func FuzzRequests(f *testing.F) {
	e := newEnv(f)
	const owner, member = "owner@fuzz.test", "member@fuzz.test"
	org, _ := e.newOrg(f, owner, "Fuzz")
	e.must(f, 200, member, "GET", "/me", nil)
	memberID := userID(member)
	project := e.must(f, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(f, "id")
	app := e.installChat(f, owner, org, nil).Str(f, "id")
	inv := e.must(f, 201, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "invitee@fuzz.test"}).Str(f, "id")
	real := map[string]string{"{org}": org, "{project}": project, "{user}": memberID, "{app}": app, "{invitation}": inv, "{token}": "tok"}
	unknown := map[string]string{"{org}": ids.New(ids.Organization), "{project}": ids.New(ids.Project), "{user}": ids.New(ids.User),
		"{app}": ids.New(ids.App), "{invitation}": ids.New(ids.Invitation), "{token}": strings.Repeat("A", 43)}
	tokens := []string{"", e.token(f, owner), e.token(f, member), e.token(f, "stranger@fuzz.test"), "garbage", "opk_" + strings.Repeat("x", 36)}
	contentTypes := []string{"application/json", "", "text/plain", "application/merge-patch+json", "application/json; charset=utf-8", "multipart/form-data; boundary=x"}

	for i, rt := range api.Routes {
		body := ""
		if rt.Body {
			body = `{"name":"x"}`
		}
		f.Add(uint8(i), uint8(0), "", rt.Method, "", uint8(1), uint8(0), "", "", []byte(body))
	}
	seeds := []struct {
		method, query, ifMatch, idem, body string
		route, ids, auth, ct               uint8
		segment                            string
	}{
		{"PATCH", "", `"1"`, "", `{"name":null,"description":null}`, 7, 0, 1, 0, ""},
		{"POST", "", "", "k1", `{"amount":1,"description":"d","amount":50}`, 0, 0, 1, 0, ""},
		{"PATCH", "", "", "", `{"NaMe":"x"}`, 12, 0, 1, 0, ""},
		{"POST", "", "", "", `{"force":true}`, 0, 0, 1, 0, ""},
		{"GET", "limit=0&cursor=%zz", "", "", "", 9, 0, 2, 0, ""},
		{"DELETE", "", "", "", `{"confirm_slug":"nope"}`, 8, 0, 2, 0, ""},
		{"GET", "", "", "", "", 10, 2, 1, 0, "../../x"},
		{"GET", "", "", "", "", 10, 2, 1, 0, "prj_\x00"},
		{"PUT", "", "", "", `null`, 2, 0, 1, 0, ""},
		{"POST", "", "", "", "\xff\xfe", 5, 0, 1, 0, ""},
		{"BREW", "", "", "", "", 3, 1, 3, 2, ""},
		{"POST", "", "", "", `{"email":"ſam@example.test"}`, 0, 0, 1, 0, ""},
	}
	for _, s := range seeds {
		f.Add(s.route, s.ids, s.segment, s.method, s.query, s.auth, s.ct, s.ifMatch, s.idem, []byte(s.body))
	}

	handler := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, route, idMode uint8, segment, method, rawQuery string, auth, ct uint8, ifMatch, idem string, body []byte) {
		rt := api.Routes[int(route)%len(api.Routes)]
		path := rt.Path
		for _, ph := range []string{"{org}", "{project}", "{user}", "{app}", "{invitation}", "{token}"} {
			v := real[ph]
			switch idMode % 3 {
			case 1:
				v = unknown[ph]
			case 2:
				v = segment
			}
			path = strings.ReplaceAll(path, ph, v)
		}
		if !validMethod(method) {
			method = rt.Method
		}
		req := httptest.NewRequest(http.MethodGet, "/", bytes.NewReader(body))
		req.Method = method
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", rawQuery
		if tok := tokens[int(auth)%len(tokens)]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if c := contentTypes[int(ct)%len(contentTypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s → %d (a 5xx is a bug): %s", method, path, rawQuery, rec.Code, rec.Body.Bytes())
		}
		if _, known := e.spec.Find(req); known {
			e.spec.ValidateResponse(t, req, rec.Code, rec.Header(), rec.Body.Bytes())
		}
	})
}

// validMethod reports whether m is an HTTP token a real server would pass on.
func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, r := range m {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
