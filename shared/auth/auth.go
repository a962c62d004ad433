// Package auth verifies bearer credentials. Users present an OIDC ID token
// (a JWT) from the configured issuer — Cognito in AWS, the local stack's dev
// issuer locally — and both go through the one Verifier.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
	"github.com/orgplane/orgplane/shared/text"
)

// Principal is who is calling.
type Principal struct {
	UserID  string
	Issuer  string
	Subject string
	// Email is normalized (email.Parse): compare it as email.Address.
	Email string
	// Name is clean, bounded text (PersonName).
	Name string
}

// UserID derives the stable Orgplane user id for an issuer's subject. It
// is deterministic, so a user's first requests racing each other all name
// the same user item, and no lookup is needed per request.
func UserID(issuer, subject string) string {
	sum := sha256.Sum256([]byte(issuer + "\x00" + subject))
	enc := base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)
	return "usr_" + enc.EncodeToString(sum[:])[:26]
}

// KeySource finds the public key for a token's key id.
type KeySource interface {
	Key(ctx context.Context, kid string) (any, error)
}

// Verifier checks ID tokens from one issuer for one audience.
type Verifier struct {
	Issuer   string
	Audience string
	Keys     KeySource
	// CacheSize > 0 keeps up to that many verified tokens (by their
	// SHA-256) with their principal until they expire, so a warm
	// function verifies a client's token's signature once, not on every
	// request. Zero verifies every time.
	CacheSize int

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	p       Principal
	expires time.Time
}

// cached returns the principal of a token verified before and not yet
// expired.
func (v *Verifier) cached(sum [sha256.Size]byte) (Principal, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.cache[sum]
	if !ok || !time.Now().Before(t.expires) {
		return Principal{}, false
	}
	return t.p, true
}

// remember keeps a verified token until it expires; when the cache is
// full it drops the expired entries, or else one at random.
func (v *Verifier) remember(sum [sha256.Size]byte, p Principal, expires time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cache == nil {
		v.cache = make(map[[sha256.Size]byte]cachedToken, v.CacheSize)
	}
	if len(v.cache) >= v.CacheSize {
		now := time.Now()
		for k, t := range v.cache {
			if !now.Before(t.expires) {
				delete(v.cache, k)
			}
		}
		for k := range v.cache {
			if len(v.cache) < v.CacheSize {
				break
			}
			delete(v.cache, k)
		}
	}
	v.cache[sum] = cachedToken{p: p, expires: expires}
}

type claims struct {
	jwt.RegisteredClaims
	Email         string `json:"email"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
	Name          string `json:"name"`
	TokenUse      string `json:"token_use,omitempty"` // Cognito: id or access
}

var errInvalid = problem.New(problem.Unauthenticated, "The bearer token is invalid or expired.")

// Authenticate verifies a bearer JWT and returns its principal.
func (v *Verifier) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	if v.CacheSize <= 0 {
		p, _, err := v.verify(ctx, bearer)
		return p, err
	}
	sum := sha256.Sum256([]byte(bearer))
	if p, ok := v.cached(sum); ok {
		return p, nil
	}
	p, expires, err := v.verify(ctx, bearer)
	if err == nil {
		v.remember(sum, p, expires)
	}
	return p, err
}

// verify checks a token's signature and claims.
func (v *Verifier) verify(ctx context.Context, bearer string) (Principal, time.Time, error) {
	var c claims
	_, err := jwt.ParseWithClaims(bearer, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no kid")
		}
		return v.Keys.Key(ctx, kid)
	},
		jwt.WithValidMethods([]string{"RS256", "ES256"}),
		jwt.WithIssuer(v.Issuer),
		jwt.WithAudience(v.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30e9),
	)
	if err != nil {
		if errors.Is(err, errKeySource) {
			return Principal{}, time.Time{}, fmt.Errorf("auth: %w", err)
		}
		return Principal{}, time.Time{}, errInvalid
	}
	// The email must be verified: accepting an invitation is authorised by
	// it. Cognito and mainstream OIDC issuers put email_verified in ID tokens.
	if c.Subject == "" || c.Email == "" || (c.TokenUse != "" && c.TokenUse != "id") ||
		c.EmailVerified == nil || !*c.EmailVerified {
		return Principal{}, time.Time{}, errInvalid
	}
	// An address Orgplane cannot compare safely (see package email) would
	// let its holder pass for someone else: such a token is refused.
	addr, err := email.Parse(c.Email)
	if err != nil {
		return Principal{}, time.Time{}, errInvalid
	}
	return Principal{
		UserID:  UserID(c.Issuer, c.Subject),
		Issuer:  c.Issuer,
		Subject: c.Subject,
		Email:   addr.String(),
		Name:    PersonName(c.Name, addr),
	}, c.ExpiresAt.Time, nil
}

// PersonName is the name Orgplane stores for a person (user, member,
// inviter) from what an identity provider says: cleaned to one line of
// text and bounded so their personal org's name stays a valid org name;
// the address's local part when the provider gives no usable name.
func PersonName(claimed string, addr email.Address) string {
	if name := text.Clean(claimed, orgs.MaxPersonNameLen); name != "" {
		return name
	}
	local, _, _ := strings.Cut(addr.String(), "@")
	if name := text.Clean(local, orgs.MaxPersonNameLen); name != "" {
		return name
	}
	return "user"
}
