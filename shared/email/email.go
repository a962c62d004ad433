// Package email owns Orgplane's one email address type and its one
// normalization, used wherever addresses are compared: the per-org email
// guard, invitations, and the identity a token carries.
//
// Two addresses are the same when their normalized forms are equal byte for
// byte. The normalization is Unicode NFC, then ASCII-only lowercasing of the
// domain and, when the local part is all ASCII, of the local part. Unicode
// case folding never makes two addresses equal: "ſam@example.test"
// (U+017F) is not "sam@example.test", and a non-ASCII local part keeps its
// case. NFC maps a few characters to ASCII (U+212A KELVIN SIGN becomes "K",
// U+037E GREEK QUESTION MARK becomes ";"); an address holding one is refused
// rather than let it turn into another user's ASCII address.
package email

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxLen bounds an address, in bytes (RFC 5321's path limit less the brackets).
const MaxLen = 254

// Address is a normalized email address. Compare addresses with ==.
type Address string

// ErrInvalid is the one error Parse returns: the text is not a plain
// address (no display name, no comments) Orgplane can compare safely.
var ErrInvalid = errors.New("email: not a usable address")

// Parse checks s as a plain address and returns its normalized form.
func Parse(s string) (Address, error) {
	if s == "" || len(s) > MaxLen || !utf8.ValidString(s) {
		return "", ErrInvalid
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError || (r >= utf8.RuneSelf && foldsToASCII(r)) {
			return "", ErrInvalid
		}
	}
	n := norm.NFC.String(s)
	if a, err := mail.ParseAddress(n); err != nil || a.Address != n || len(n) > MaxLen {
		return "", ErrInvalid
	}
	at := strings.LastIndexByte(n, '@')
	local, domain := n[:at], n[at+1:]
	if isASCII(local) {
		local = lowerASCII(local)
	}
	return Address(local + "@" + lowerASCII(domain)), nil
}

// Normalize is Parse for an address already accepted once (read back from
// the store, say): the normalized form, or s unchanged when it does not parse.
func Normalize(s string) Address {
	a, err := Parse(s)
	if err != nil {
		return Address(s)
	}
	return a
}

func (a Address) String() string { return string(a) }

// foldsToASCII reports whether NFC turns the non-ASCII rune r into ASCII.
func foldsToASCII(r rune) bool {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, b := range norm.NFC.Bytes(buf[:n]) {
		if b < utf8.RuneSelf {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// lowerASCII lowercases A–Z only; every other byte stays as it is.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
