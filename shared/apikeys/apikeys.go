// Package apikeys owns org API keys as a domain: the secret's format (a
// type prefix, 30 random base62 characters and a base62 CRC32 checksum,
// so a leaked key is recognisable and a mistyped one is refused offline),
// its hash (the only form ever stored), the key types and their rules
// (AI-agent keys are short-lived and capped), and the rate-limit policies
// each plan gives a key. It imports nothing from AWS.
package apikeys

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"slices"
	"strings"
	"time"

	"github.com/orgplane/orgplane/shared/access"
)

// Key types.
const (
	Standard = "standard"
	AIAgent  = "ai_agent"
)

// Secret prefixes by type.
const (
	StandardPrefix = "opk_"
	AIAgentPrefix  = "opa_"
)

const (
	base62     = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	randomLen  = 30
	checkLen   = 6
	secretLen  = len(StandardPrefix) + randomLen + checkLen
	prefixShow = len(StandardPrefix) + 4 // "opk_3xT9": what lists show
)

// PrefixOf is the secret prefix of a key type.
func PrefixOf(keyType string) string {
	if keyType == AIAgent {
		return AIAgentPrefix
	}
	return StandardPrefix
}

// NewSecret draws a secret of the type from crypto/rand: 30 base62
// characters, each from a random byte below 248 (4 × 62), so every
// character is equally likely (about 178 bits in all).
func NewSecret(keyType string) (string, error) {
	out := make([]byte, 0, secretLen)
	out = append(out, PrefixOf(keyType)...)
	var buf [48]byte
	for len(out) < len(StandardPrefix)+randomLen {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b < 248 && len(out) < len(StandardPrefix)+randomLen {
				out = append(out, base62[b%62])
			}
		}
	}
	body := string(out)
	return body + checksum(body), nil
}

// checksum is the CRC32 (IEEE) of s in 6 base62 characters.
func checksum(s string) string {
	n := uint64(crc32.ChecksumIEEE([]byte(s)))
	out := make([]byte, checkLen)
	for i := checkLen - 1; i >= 0; i-- {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out)
}

// LooksLikeKey reports whether a bearer credential claims to be an API key
// (its prefix), so it is judged as one and never as a user token.
func LooksLikeKey(bearer string) bool {
	return strings.HasPrefix(bearer, StandardPrefix) || strings.HasPrefix(bearer, AIAgentPrefix)
}

// WellFormed checks a presented secret's shape and checksum, with no I/O:
// a malformed or mistyped key is refused before any DynamoDB call.
func WellFormed(secret string) bool {
	if len(secret) != secretLen || !LooksLikeKey(secret) {
		return false
	}
	for i := len(StandardPrefix); i < len(secret); i++ {
		if strings.IndexByte(base62, secret[i]) < 0 {
			return false
		}
	}
	body := secret[:len(secret)-checkLen]
	return checksum(body) == secret[len(secret)-checkLen:]
}

// TypeOf is the key type a well-formed secret's prefix names.
func TypeOf(secret string) string {
	if strings.HasPrefix(secret, AIAgentPrefix) {
		return AIAgent
	}
	return Standard
}

// Hash is what is stored of a secret: SHA-256, hex.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Shown is what a list may show of a secret: its first characters
// ("opk_3xT9") and its last four.
func Shown(secret string) (prefix, lastFour string) {
	return secret[:prefixShow], secret[len(secret)-4:]
}

// Statuses as clients see them.
const (
	Active   = "active"
	Rotating = "rotating" // a rotation's grace period: the old secret still works
	Revoked  = "revoked"
	Expired  = "expired"
)

// Agent names the AI system an ai_agent key is for.
type Agent struct {
	Name    string `json:"name"`
	Vendor  string `json:"vendor,omitempty"`
	Contact string `json:"contact,omitempty"`
}

// Budget caps the credits an ai_agent key may charge per period.
type Budget struct {
	Amount int64  `json:"amount"`
	Period string `json:"period"` // day or month
}

// Budget periods.
const (
	Day   = "day"
	Month = "month"
)

// PeriodStart is the start (UTC) of the budget period holding t.
func (b Budget) PeriodStart(t time.Time) time.Time {
	t = t.UTC()
	if b.Period == Month {
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Key is an org API key's metadata; never its secret.
type Key struct {
	ID             string
	OrganizationID string
	Name           string
	Type           string
	Prefix         string // "opk_3xT9"
	LastFour       string
	ProjectID      string // "" for an org-wide key
	Permissions    []access.Permission
	// Level is the creator's role level when the key was made: the key
	// grants and manages no higher.
	Level          int
	CreatedBy      string
	CreatedAt      time.Time
	LastUsedAt     time.Time
	ExpiresAt      time.Time // zero: never
	GraceExpiresAt time.Time // a rotation's old secret works until then
	RevokedAt      time.Time
	RevokeReason   string
	Agent          *Agent
	CreditBudget   *Budget
	Version        int64
}

// StatusAt is the key's status at now.
func (k Key) StatusAt(now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return Revoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return Expired
	case !k.GraceExpiresAt.IsZero() && now.Before(k.GraceExpiresAt):
		return Rotating
	}
	return Active
}

// AI-agent key rules.
const (
	DefaultAgentLifetime = 30 * 24 * time.Hour
	MaxAgentLifetime     = 90 * 24 * time.Hour
)

// AgentForbidden are the permissions an ai_agent key never holds: keys,
// roles, billing and the org-destroying ones.
var AgentForbidden = []access.Permission{access.APIKeysManage, access.RolesManage, access.BillingManage,
	access.OrgDelete, access.OwnershipTransfer}

// ForbiddenFor lists the permissions of perms a key of the type may not hold.
func ForbiddenFor(keyType string, perms []access.Permission) []access.Permission {
	if keyType != AIAgent {
		return nil
	}
	var out []access.Permission
	for _, p := range perms {
		if slices.Contains(AgentForbidden, p) {
			out = append(out, p)
		}
	}
	return out
}

// Role is the authority a key acts with: its permissions at its creator's
// level. It is nobody's role in the org, so no role condition holds it.
func (k Key) Role() access.Role {
	return access.Role{ID: k.ID, Name: k.Name, Level: k.Level, Permissions: k.Permissions}
}

// MaxGracePeriod bounds a rotation's grace period (7 days).
const MaxGracePeriod = 7 * 24 * time.Hour

// DefaultGracePeriod is a rotation's grace period when none is given.
const DefaultGracePeriod = 24 * time.Hour

// Policy is one rate-limit window: Quota requests per Window.
type Policy struct {
	Name   string // "minute", "day"
	Quota  int64
	Window time.Duration
}

// WindowStart is the start of the fixed window holding t.
func (p Policy) WindowStart(t time.Time) time.Time { return t.UTC().Truncate(p.Window) }

// perPlan are the plans' per-key limits: standard keys per minute; AI-agent
// keys a fifth of that per minute, plus a daily quota.
var perPlan = map[string]struct{ minute, agentMinute, agentDay int64 }{
	"free":       {60, 12, 2_000},
	"pro":        {600, 120, 50_000},
	"business":   {3_000, 600, 250_000},
	"enterprise": {6_000, 1_200, 1_000_000},
}

// Policies are the rate limits of a key of the type in an org on the plan
// (the free plan's for a plan it does not know).
func Policies(plan, keyType string) []Policy {
	l, ok := perPlan[plan]
	if !ok {
		l = perPlan["free"]
	}
	if keyType == AIAgent {
		return []Policy{{"minute", l.agentMinute, time.Minute}, {"day", l.agentDay, 24 * time.Hour}}
	}
	return []Policy{{"minute", l.minute, time.Minute}}
}
