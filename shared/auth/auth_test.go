package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func sign(t *testing.T, key *ecdsa.PrivateKey, kid string, c claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifierThroughRemoteJWKS(t *testing.T) {
	dev, err := NewDevIssuer("https://iss.test", "aud")
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int32
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(dev.JWKS())
	}))
	defer jwks.Close()
	v := &Verifier{Issuer: "https://iss.test", Audience: "aud", Keys: &RemoteJWKS{URL: jwks.URL, MinRefresh: time.Hour}}
	ctx := context.Background()

	good, _ := dev.Token("Ada@Example.com", "Ada", time.Hour)
	p, err := v.Authenticate(ctx, good)
	if err != nil || p.Email != "ada@example.com" || p.Name != "Ada" || p.UserID != UserID("https://iss.test", "ada@example.com") {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if _, err := v.Authenticate(ctx, good); err != nil || fetches.Load() != 1 {
		t.Fatalf("second call: %v, %d fetches (want the cached key)", err, fetches.Load())
	}

	now := time.Now()
	verified := true
	base := func() claims {
		return claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "https://iss.test", Subject: "s",
			Audience: jwt.ClaimStrings{"aud"}, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
			Email: "s@x.test", EmailVerified: &verified}
	}
	if _, err := v.Authenticate(ctx, sign(t, dev.key, dev.kid, base())); err != nil {
		t.Fatalf("control: a good hand-made token fails: %v", err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bad := map[string]func() string{
		"ErrOtherIssuer":   func() string { c := base(); c.Issuer = "https://evil.test"; return sign(t, dev.key, dev.kid, c) },
		"ErrOtherAudience": func() string { c := base(); c.Audience = jwt.ClaimStrings{"x"}; return sign(t, dev.key, dev.kid, c) },
		"ErrExpired": func() string {
			c := base()
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour))
			return sign(t, dev.key, dev.kid, c)
		},
		"ErrNoExpiry":    func() string { c := base(); c.ExpiresAt = nil; return sign(t, dev.key, dev.kid, c) },
		"ErrNoEmail":     func() string { c := base(); c.Email = ""; return sign(t, dev.key, dev.kid, c) },
		"ErrNoSubject":   func() string { c := base(); c.Subject = ""; return sign(t, dev.key, dev.kid, c) },
		"ErrAccessToken": func() string { c := base(); c.TokenUse = "access"; return sign(t, dev.key, dev.kid, c) },
		"ErrUnverified":  func() string { c := base(); f := false; c.EmailVerified = &f; return sign(t, dev.key, dev.kid, c) },
		"ErrOtherKey":    func() string { return sign(t, other, dev.kid, base()) },
		"ErrUnknownKid":  func() string { return sign(t, other, "nope", base()) },
		"ErrNoKid":       func() string { return sign(t, dev.key, "", base()) },
		"ErrAlgNone": func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, base()).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		},
		"ErrGarbage": func() string { return "a.b.c" },
	}
	for name, tok := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Authenticate(ctx, tok()); err != errInvalid {
				t.Fatalf("err = %v, want the 401 problem", err)
			}
		})
	}
}

func TestRemoteJWKSDownIsNotA401(t *testing.T) {
	dev, _ := NewDevIssuer("https://iss.test", "aud")
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	v := &Verifier{Issuer: "https://iss.test", Audience: "aud", Keys: &RemoteJWKS{URL: down.URL}}
	tok, _ := dev.Token("a@b.test", "", time.Hour)
	if _, err := v.Authenticate(context.Background(), tok); err == nil || err == errInvalid {
		t.Fatalf("err = %v, want an internal error (the issuer is down, the token may be fine)", err)
	}
}
