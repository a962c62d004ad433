// Package ids makes Orgplane's opaque, prefixed, time-sortable identifiers
// (org_…, prj_…) and checks that a path segment is shaped like one before
// it reaches a key.
package ids

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// Prefixes of every resource id.
const (
	User         = "usr"
	Organization = "org"
	Project      = "prj"
	Role         = "role"
	Invitation   = "inv"
	APIKey       = "key"
	Transaction  = "txn"
	App          = "app"
	Event        = "evt"
	Export       = "exp"
)

// New returns prefix_<ULID in lower case>.
func New(prefix string) string { return NewAt(prefix, time.Now()) }

// ULID returns a bare, upper-case ULID for sort keys of append-only items.
func ULID(t time.Time) string {
	return ulid.MustNew(ulid.Timestamp(t), rand.Reader).String()
}

// Valid reports whether s is prefix_ followed by 26 Crockford base32
// characters, which is every id this package makes.
func Valid(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != ulid.EncodedSize {
		return false
	}
	for _, c := range rest {
		if !strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", c) {
			return false
		}
	}
	return true
}

// NewAt is New with the time part taken from t (a store's clock), so ids
// sort with the times they were made at.
func NewAt(prefix string, t time.Time) string {
	return prefix + "_" + strings.ToLower(ulid.MustNew(ulid.Timestamp(t), rand.Reader).String())
}

// Floor is the least id NewAt can make at t; every id made at t or later
// sorts at or above it, every one made earlier below.
func Floor(prefix string, t time.Time) string {
	var u ulid.ULID
	if err := u.SetTime(ulid.Timestamp(t)); err != nil {
		panic(err) // t beyond year 10889
	}
	return prefix + "_" + strings.ToLower(u.String())
}
