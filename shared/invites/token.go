package invites

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// Tokens.
//
// The email with the accept link is sent from the table's stream, so the
// sender must be able to rebuild the token, while someone holding only a
// dump of the table must not. A token is therefore derived, never stored:
//
//	token = base64url(HMAC-SHA256(secret, "orgplane-invitation-v1" ‖ 0 ‖ invitation id ‖ 0 ‖ nonce))
//
// The nonce (128 random bits) is stored on the invitation and on each send
// request; the secret (INVITE_TOKEN_SECRET, at least 32 bytes) lives only
// in the functions' configuration. The table holds SHA-256(token) as the
// lookup key, so a request presenting a token is found by its hash. A
// resend draws a new nonce, which yields a new token and retires the old.

// MinSecretLen is the shortest secret accepted, in bytes.
const MinSecretLen = 32

// TokenLen is the length of a token: 256 bits in unpadded base64url.
const TokenLen = 43

// Secret is the server-side key tokens are derived with.
type Secret []byte

// ErrNoSecret is returned when tokens are asked of an unset or short secret.
var ErrNoSecret = errors.New("invites: the token secret is not configured (INVITE_TOKEN_SECRET, at least 32 characters)")

// Check reports whether the secret is long enough to derive tokens.
func (s Secret) Check() error {
	if len(s) < MinSecretLen {
		return ErrNoSecret
	}
	return nil
}

// Token derives the token of one send of an invitation.
func (s Secret) Token(invitationID, nonce string) (string, error) {
	if err := s.Check(); err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, s)
	m.Write([]byte("orgplane-invitation-v1\x00" + invitationID + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// NewNonce draws the nonce of a new send.
func NewNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("invites: crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Hash is what the table stores of a token: hex SHA-256.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s could be a token, so malformed path
// segments are answered without a read.
func WellFormed(s string) bool {
	if len(s) != TokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}
