package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/orgplane/orgplane/shared/email"
)

// DevIssuer is the local stack's own OIDC issuer. It signs ID tokens with
// an in-memory P-256 key and publishes that key as a JWKS, which the
// ordinary Verifier then fetches like any other issuer's. Never deployed.
type DevIssuer struct {
	Issuer   string
	Audience string
	key      *ecdsa.PrivateKey
	kid      string
}

// NewDevIssuer makes an issuer with a fresh key.
func NewDevIssuer(issuer, audience string) (*DevIssuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	kid := make([]byte, 8)
	_, _ = rand.Read(kid)
	return &DevIssuer{Issuer: issuer, Audience: audience, key: key, kid: base64.RawURLEncoding.EncodeToString(kid)}, nil
}

// Token signs an ID token for the address as given; the subject is its
// normalized form, so the same address is always the same user locally.
func (d *DevIssuer) Token(addr, name string, ttl time.Duration) (string, error) {
	now := time.Now()
	verified := true
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    d.Issuer,
			Subject:   string(email.Normalize(addr)),
			Audience:  jwt.ClaimStrings{d.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Email:         addr,
		EmailVerified: &verified,
		Name:          name,
	}
	return d.Sign(c)
}

// Sign signs any claims with the issuer's key: tests use it to mint
// correctly signed tokens whose claims are wrong.
func (d *DevIssuer) Sign(c jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = d.kid
	return t.SignedString(d.key)
}

// JWKS is the issuer's public key set.
func (d *DevIssuer) JWKS() JWKSet {
	b64 := base64.RawURLEncoding
	pub := d.key.PublicKey
	x, y := make([]byte, 32), make([]byte, 32)
	pub.X.FillBytes(x)
	pub.Y.FillBytes(y)
	return JWKSet{Keys: []JWK{{Kty: "EC", Kid: d.kid, Use: "sig", Alg: "ES256", Crv: "P-256", X: b64.EncodeToString(x), Y: b64.EncodeToString(y)}}}
}

// Key lets a DevIssuer serve as a Verifier's KeySource in tests.
func (d *DevIssuer) Key(_ context.Context, kid string) (any, error) {
	if kid != d.kid {
		return nil, errors.New("unknown key id")
	}
	return &d.key.PublicKey, nil
}
