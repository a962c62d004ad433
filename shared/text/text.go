// Package text owns the one rule for free text that Orgplane stores:
// names, descriptions, references, app settings, and the names an identity
// provider hands over. Text is valid UTF-8 with no C0 or C1 control
// characters and no U+FFFD (which is what a JSON decoder makes of invalid
// UTF-8 and of a lone surrogate escape such as "\ud800"). Multi-line text
// may also hold tab and line feed.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind says which white space a field allows besides the space.
type Kind int

const (
	// Line is one line: no tab, no line break.
	Line Kind = iota
	// Lines is multi-line text: tab and line feed allowed.
	Lines
)

// Problem says why s breaks the rule for kind, or "" when it does not.
// The message names no part of s.
func Problem(s string, kind Kind) string {
	if !utf8.ValidString(s) {
		return "must be UTF-8 text"
	}
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "must not contain U+FFFD or invalid UTF-8"
		case kind == Lines && (r == '\t' || r == '\n'):
		case unicode.IsControl(r):
			return "must not contain control characters"
		}
	}
	return ""
}

// Clean makes one line of acceptable text out of s, which comes from
// outside (an identity provider's name claim): it drops invalid UTF-8,
// U+FFFD and control characters, folds runs of white space into one
// space, trims, and keeps at most max characters.
func Clean(s string, max int) string {
	var b strings.Builder
	space, n := false, 0
	for _, r := range strings.ToValidUTF8(s, "") {
		switch {
		case n >= max:
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case r == utf8.RuneError, unicode.IsControl(r):
		default:
			if space {
				if n+1 >= max {
					n = max // a word cannot follow: stop here
					continue
				}
				b.WriteByte(' ')
				n++
			}
			space = false
			b.WriteRune(r)
			n++
		}
	}
	return b.String()
}
