package api_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestTokenClaimsAreChecked is finding 7 of issue 9: correctly signed ID
// tokens whose claims are wrong are refused with 401 on a read route and
// on a write route, and nothing is created for them.
func TestTokenClaimsAreChecked(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@claims.test"
	org, _ := e.newOrg(t, owner, "Claims")
	now := time.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": testIssuer, "aud": testAudience, "sub": owner,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"email": owner, "email_verified": true, "name": "Owner",
		}
	}
	sign := func(t *testing.T, c jwt.MapClaims) string {
		t.Helper()
		tok, err := e.issuer.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	with := func(k string, v any) func(*testing.T) string {
		return func(t *testing.T) string {
			c := good()
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
			return sign(t, c)
		}
	}
	tests := []struct {
		name  string
		token func(*testing.T) string
	}{
		{"ErrExpired", with("exp", now.Add(-time.Hour).Unix())},
		{"ErrNotYetValid", with("nbf", now.Add(time.Hour).Unix())},
		{"ErrIssuedInTheFuture", with("iat", now.Add(time.Hour).Unix())},
		{"ErrOtherIssuer", with("iss", "https://evil.test")},
		{"ErrOtherAudience", with("aud", "someone-else")},
		{"ErrEmailUnverified", with("email_verified", false)},
		{"ErrEmailVerifiedMissing", with("email_verified", nil)},
		{"ErrEmailVerifiedAsString", with("email_verified", "true")},
		{"ErrAccessToken", with("token_use", "access")},
		{"ErrNoSubject", with("sub", nil)},
		{"ErrLookalikeEmail", with("email", "owner@claims.te\u212at")},
		{"ErrSwappedSubject", func(t *testing.T) string {
			// A good token whose payload names another subject after signing.
			tok := sign(t, good())
			parts := strings.Split(tok, ".")
			c := good()
			c["sub"] = "someone-else@claims.test"
			payload, _ := json.Marshal(c)
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			return strings.Join(parts, ".")
		}},
	}
	routes := []struct {
		name, method, path string
		body               any
	}{
		{"Read", "GET", "/organizations/" + org, nil},
		{"Write", "POST", "/organizations/" + org + "/projects", map[string]any{"name": "Stolen"}},
	}
	t.Run("Control", func(t *testing.T) {
		for _, rt := range routes {
			r := e.call(t, "", rt.method, rt.path, rt.body, "Authorization", "Bearer "+sign(t, good()))
			if r.Status/100 != 2 {
				t.Fatalf("%s %s with a good token → %d: %s", rt.method, rt.path, r.Status, r.Raw)
			}
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token(t)
			for _, rt := range routes {
				r := e.call(t, "", rt.method, rt.path, rt.body, "Authorization", "Bearer "+tok)
				if r.Status != 401 || r.Code(t) != "unauthenticated" || r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s → %d %s, want 401 unauthenticated with WWW-Authenticate", rt.method, rt.path, r.Status, r.Raw)
				}
			}
		})
	}
	if got := e.must(t, 200, owner, "GET", "/organizations/"+org+"/projects", nil).Data(t); len(got) != 1 {
		t.Fatalf("refused tokens created projects: %d projects, want the control's 1", len(got))
	}
}
