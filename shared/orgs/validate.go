package orgs

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/problem"
	"github.com/orgplane/orgplane/shared/text"
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
	// MaxPersonNameLen bounds a person's name as stored (member, inviter,
	// user), so that the personal org's name still fits MaxNameLen.
	MaxPersonNameLen = MaxNameLen - len(personalSuffix)
)

const personalSuffix = "'s workspace"

// PersonalName is the name of a user's personal org. A person's name
// within MaxPersonNameLen gives a valid org name.
func PersonalName(person string) string { return person + personalSuffix }

// Check collects field errors for one request.
type Check struct{ errs []problem.FieldError }

// Add records a field error.
func (c *Check) Add(field, msg string) {
	c.errs = append(c.errs, problem.FieldError{Field: field, Message: msg})
}

// Err is the validation error, or nil when every field passed.
func (c *Check) Err() error { return problem.Fields(c.errs) }

// Name checks a display name: 1–100 characters of one line of text.
func (c *Check) Name(field, v string) {
	if msg := text.Problem(v, text.Line); msg != "" {
		c.Add(field, msg)
		return
	}
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		c.Add(field, "is required")
	case utf8.RuneCountInString(v) > MaxNameLen:
		c.Add(field, "must be at most 100 characters")
	}
}

// Description checks free text up to 500 characters; tabs and line feeds allowed.
func (c *Check) Description(field, v string) {
	if msg := text.Problem(v, text.Lines); msg != "" {
		c.Add(field, msg)
		return
	}
	if utf8.RuneCountInString(v) > MaxDescriptionLen {
		c.Add(field, "must be at most 500 characters")
	}
}

// Text checks one line of free text of 1 to max characters.
func (c *Check) Text(field, v string, max int) {
	if msg := text.Problem(v, text.Line); msg != "" {
		c.Add(field, msg)
		return
	}
	switch {
	case strings.TrimSpace(v) == "":
		c.Add(field, "must not be blank")
	case utf8.RuneCountInString(v) > max:
		c.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
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

// Email checks a plain address (no display name) and returns its
// normalized form, the one to store and compare.
func (c *Check) Email(field, v string) email.Address {
	a, err := email.Parse(v)
	if err != nil {
		c.Add(field, "must be an email address")
	}
	return a
}

// HTTPSURL checks an absolute https URL.
func (c *Check) HTTPSURL(field, v string) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(v) > 2048 || text.Problem(v, text.Line) != "" {
		c.Add(field, "must be an https URL")
	}
}

// Color checks a #rrggbb color.
func (c *Check) Color(field, v string) {
	if !colorPattern.MatchString(v) {
		c.Add(field, "must be a color like #1a2b3c")
	}
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
