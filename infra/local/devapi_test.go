package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/ddbtest"
)

func TestDevTokenBadInput(t *testing.T) {
	s := newDevServer(t)
	long := strings.Repeat("n", 101)
	tests := []struct {
		name, contentType, body string
		status                  int
		code, field             string
	}{
		{"ErrEmptyBody", "application/json", "", 400, "bad_request", ""},
		{"ErrNotJSON", "application/json", "email=a@b.co", 400, "bad_request", ""},
		{"ErrArray", "application/json", `[]`, 400, "bad_request", ""},
		{"ErrTrailingData", "application/json", `{"email":"a@b.co"} {}`, 400, "bad_request", ""},
		{"ErrMissingEmail", "application/json", `{}`, 400, "validation_failed", "email"},
		{"ErrBadEmail", "application/json", `{"email":"ada"}`, 400, "validation_failed", "email"},
		{"ErrDisplayName", "application/json", `{"email":"Ada <ada@example.com>"}`, 400, "validation_failed", "email"},
		{"ErrEmailType", "application/json", `{"email":42}`, 400, "validation_failed", "email"},
		{"ErrUnknownField", "application/json", `{"email":"a@b.co","admin":true}`, 400, "validation_failed", "admin"},
		{"ErrLongName", "application/json", `{"email":"a@b.co","name":"` + long + `"}`, 400, "validation_failed", "name"},
		{"ErrControlInName", "application/json", `{"email":"a@b.co","name":"a\u0000b"}`, 400, "validation_failed", "name"},
		{"ErrFormBody", "application/x-www-form-urlencoded", `{"email":"a@b.co"}`, 415, "unsupported_media_type", ""},
		{"ErrTooLarge", "application/json", `{"email":"a@b.co","name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "payload_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got problemBody
			status, ct := s.do(t, "POST", tokenPath, tt.contentType, tt.body, "", &got)
			if status != tt.status || ct != "application/problem+json" || got.Code != tt.code || got.Status != status {
				t.Fatalf("got %d %s code %q (body status %d), want %d application/problem+json %q",
					status, ct, got.Code, got.Status, tt.status, tt.code)
			}
			if tt.field != "" && (len(got.Errors) != 1 || got.Errors[0].Field != tt.field) {
				t.Fatalf("errors %+v, want one for %q", got.Errors, tt.field)
			}
		})
	}
	t.Run("ErrMethod", func(t *testing.T) {
		var got problemBody
		if status, ct := s.do(t, "GET", tokenPath, "", "", "", &got); status != 405 || ct != "application/problem+json" {
			t.Fatalf("GET %s: %d %s", tokenPath, status, ct)
		}
	})
}

func TestDevTokenAuthenticatesThroughJWKS(t *testing.T) {
	s := newDevServer(t)

	t.Run("OK", func(t *testing.T) {
		var tok struct{ Token string }
		status, _ := s.do(t, "POST", tokenPath, "application/json", `{"email":"Ada@Example.com","name":"Ada L"}`, "", &tok)
		if status != 200 || tok.Token == "" {
			t.Fatalf("POST %s: %d %+v", tokenPath, status, tok)
		}
		var me struct{ Email, Name string }
		if status, _ := s.do(t, "GET", "/me", "", "", tok.Token, &me); status != 200 || me.Email != "ada@example.com" || me.Name != "Ada L" {
			t.Fatalf("GET /me: %d %+v", status, me)
		}
		if s.jwksFetch.Load() == 0 {
			t.Fatal("the verifier never fetched the JWKS over HTTP")
		}
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		// Same issuer URL and audience, but a key the JWKS does not hold.
		other, err := auth.NewDevIssuer(s.URL, "orgplane")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := other.Token("ada@example.com", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var got problemBody
		if status, _ := s.do(t, "GET", "/me", "", "", tok, &got); status != 401 || got.Code != "unauthenticated" {
			t.Fatalf("GET /me with a foreign token: %d %q", status, got.Code)
		}
	})
}

func TestHealth(t *testing.T) {
	s := newDevServer(t)
	var got struct{ Status string }
	if status, ct := s.do(t, "GET", healthPath, "", "", "", &got); status != 200 || ct != "application/json" || got.Status != "ok" {
		t.Fatalf("GET %s: %d %s %+v", healthPath, status, ct, got)
	}

	t.Run("ErrTableMissing", func(t *testing.T) {
		d := newDevAPI(nil, ddbtest.Client(t), "no-such-table", nil)
		srv := httptest.NewServer(d.handler(http.NotFoundHandler()))
		defer srv.Close()
		resp, err := http.Get(srv.URL + healthPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("GET %s without a table: %d, want 503", healthPath, resp.StatusCode)
		}
	})
}

func TestJWKSAndDiscovery(t *testing.T) {
	s := newDevServer(t)
	var set auth.JWKSet
	if status, _ := s.do(t, "GET", jwksPath, "", "", "", &set); status != 200 || len(set.Keys) != 1 || set.Keys[0].Alg != "ES256" {
		t.Fatalf("GET %s: %d %+v", jwksPath, status, set)
	}
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if status, _ := s.do(t, "GET", discoveryPath, "", "", "", &disc); status != 200 || disc.Issuer != s.URL || disc.JWKSURI != s.URL+jwksPath {
		t.Fatalf("GET %s: %d %+v", discoveryPath, status, disc)
	}
}

func TestRunSchedule(t *testing.T) {
	s := newDevServer(t)
	t.Run("OK", func(t *testing.T) {
		var run struct {
			Schedule string `json:"schedule"`
			EventID  string `json:"event_id"`
		}
		if status, _ := s.do(t, "POST", "/dev/schedules/ok-job/run", "", "", "", &run); status != 200 || run.Schedule != "ok-job" || run.EventID == "" {
			t.Fatalf("run ok-job: %d %+v", status, run)
		}
	})
	t.Run("ErrUnknownSchedule", func(t *testing.T) {
		var got problemBody
		if status, ct := s.do(t, "POST", "/dev/schedules/nope/run", "", "", "", &got); status != 404 || ct != "application/problem+json" || got.Code != "not_found" {
			t.Fatalf("run nope: %d %s %q", status, ct, got.Code)
		}
	})
	t.Run("ErrJobFailed", func(t *testing.T) {
		var got problemBody
		if status, _ := s.do(t, "POST", "/dev/schedules/failing-job/run", "", "", "", &got); status != 500 || got.Code != "internal" {
			t.Fatalf("run failing-job: %d %q", status, got.Code)
		}
	})
	t.Run("ErrMethod", func(t *testing.T) {
		if status, _ := s.do(t, "GET", "/dev/schedules/ok-job/run", "", "", "", nil); status != 405 {
			t.Fatalf("GET run: %d", status)
		}
	})
}

// The dev endpoints are the local stack's own: no route of the API (and
// so no deployed function) may claim their paths.
func TestDevPathsAreNotRoutes(t *testing.T) {
	dev := []string{healthPath, tokenPath, jwksPath, discoveryPath, runSchedulePath}
	for _, rt := range api.Routes {
		for _, p := range dev {
			if rt.Path == p {
				t.Errorf("route %s claims the dev path %s", rt.Name, p)
			}
		}
		if strings.HasPrefix(rt.Path, "/dev/") || strings.HasPrefix(rt.Path, "/.well-known/") {
			t.Errorf("route %s (%s) is under a dev-only prefix", rt.Name, rt.Path)
		}
	}
}
