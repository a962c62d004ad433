package orgs

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/orgplane/orgplane/shared/problem"
)

var (
	slugPattern  = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
	colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// Field limits.
const (
	MaxNameLen        = 100
	MaxDescriptionLen = 500
	MinSlugLen        = 3
	MaxSlugLen        = 48
)

// Check collects field errors for one request.
type Check struct{ errs []problem.FieldError }

// Add records a field error.
func (c *Check) Add(field, msg string) {
	c.errs = append(c.errs, problem.FieldError{Field: field, Message: msg})
}

// Err is the validation error, or nil when every field passed.
func (c *Check) Err() error { return problem.Fields(c.errs) }

// Name checks a display name: 1–100 characters of printable text.
func (c *Check) Name(field, v string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		c.Add(field, "is required")
	case utf8.RuneCountInString(v) > MaxNameLen:
		c.Add(field, "must be at most 100 characters")
	case !printable(v):
		c.Add(field, "must not contain control characters")
	}
}

// Description checks free text up to 500 characters.
func (c *Check) Description(field, v string) {
	switch {
	case utf8.RuneCountInString(v) > MaxDescriptionLen:
		c.Add(field, "must be at most 500 characters")
	case !printable(strings.NewReplacer("\n", "", "\t", "").Replace(v)):
		c.Add(field, "must not contain control characters")
	}
}

// Slug checks an org slug: 3–48 of [a-z0-9-], not starting or ending with '-'.
func (c *Check) Slug(field, v string) {
	switch {
	case len(v) < MinSlugLen || len(v) > MaxSlugLen:
		c.Add(field, "must be 3 to 48 characters")
	case !slugPattern.MatchString(v):
		c.Add(field, "may hold only a-z, 0-9 and '-', and must start and end with a letter or digit")
	}
}

// Email checks a plain address (no display name).
func (c *Check) Email(field, v string) {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 {
		c.Add(field, "must be an email address")
	}
}

// HTTPSURL checks an absolute https URL.
func (c *Check) HTTPSURL(field, v string) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(v) > 2048 {
		c.Add(field, "must be an https URL")
	}
}

// Color checks a #rrggbb color.
func (c *Check) Color(field, v string) {
	if !colorPattern.MatchString(v) {
		c.Add(field, "must be a color like #1a2b3c")
	}
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// SlugFrom derives a slug candidate from a name: lower case, runs of other
// characters folded to '-', trimmed to the slug limits.
func SlugFrom(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > MaxSlugLen-7 { // room for a "-xxxxxx" suffix
		s = strings.Trim(s[:MaxSlugLen-7], "-")
	}
	for len(s) < MinSlugLen {
		s += "org"[:min(3, MinSlugLen-len(s))]
		s = strings.TrimPrefix(s, "-")
	}
	return s
}
