// Package catalog holds the app marketplace: the app templates an org can
// install, their categories, prices and trial periods, and each template's
// env schema with the rules an instance's env must follow (known keys,
// required values, defaults, secrets masked on the way out). The catalog is
// static data compiled into the binary; it imports nothing from AWS.
package catalog

import (
	"slices"
	"strings"
)

// Category groups templates in the marketplace.
type Category struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Category ids.
const (
	Productivity   = "productivity"
	AI             = "ai"
	Communication  = "communication"
	Analytics      = "analytics"
	DeveloperTools = "developer-tools"
)

// Categories are the marketplace's categories, in display order.
var Categories = []Category{
	{Productivity, "Productivity"},
	{AI, "AI"},
	{Communication, "Communication"},
	{Analytics, "Analytics"},
	{DeveloperTools, "Developer tools"},
}

// KnownCategory reports whether id names a category.
func KnownCategory(id string) bool {
	return slices.ContainsFunc(Categories, func(c Category) bool { return c.ID == id })
}

// Pricing is what a template costs, in whole credits, for each way of
// buying it: a monthly or annual subscription, a one-time purchase of the
// current version, or a lifetime licence. Zero means free.
type Pricing struct {
	Monthly  int64 `json:"monthly"`
	Annual   int64 `json:"annual"`
	OneTime  int64 `json:"one_time"`
	Lifetime int64 `json:"lifetime"`
}

// EnvVar is one setting of a template's env schema. A secret is stored as
// given but never shown again: reads return Mask in its place.
type EnvVar struct {
	Key         string
	Description string
	Required    bool
	Secret      bool
	// Default applies when an install leaves the key out, and when a
	// PATCH resets it with null. Secrets have no default.
	Default *string
}

// Template is an installable app.
type Template struct {
	ID          string
	Name        string
	Description string
	Category    string
	Pricing     Pricing
	// TrialDays is the free trial an install starts with; 0 means none.
	TrialDays int
	Env       []EnvVar
}

// Var returns the template's setting named key.
func (t Template) Var(key string) (EnvVar, bool) {
	i := slices.IndexFunc(t.Env, func(v EnvVar) bool { return v.Key == key })
	if i < 0 {
		return EnvVar{}, false
	}
	return t.Env[i], true
}

// Get returns the template with the id.
func Get(id string) (Template, bool) {
	i := slices.IndexFunc(templates, func(t Template) bool { return t.ID == id })
	if i < 0 {
		return Template{}, false
	}
	return templates[i], true
}

// All returns every template, ordered by id (the catalog's list order).
func All() []Template { return slices.Clone(templates) }

// Search returns the templates in category (every category when empty)
// whose name or description contains q, case-insensitively (every one when
// q is empty), ordered by id.
func Search(category, q string) []Template {
	q = strings.ToLower(strings.TrimSpace(q))
	var out []Template
	for _, t := range templates {
		if category != "" && t.Category != category {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(t.Name), q) && !strings.Contains(strings.ToLower(t.Description), q) {
			continue
		}
		out = append(out, t)
	}
	return out
}
