// Package plans holds the subscription plans, their monthly price in
// credits and their quotas.
package plans

// Limits are a plan's quotas; nil means unlimited. Members counts active
// and inactive members plus pending invitations (seats).
type Limits struct {
	Members  *int `json:"members"`
	Projects *int `json:"projects"`
	APIKeys  *int `json:"api_keys"`
	Apps     *int `json:"apps"`
	Roles    *int `json:"roles"` // custom roles; the built-ins do not count
}

// Plan is one subscription plan.
type Plan struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Price  int64  `json:"price"`
	Limits Limits `json:"limits"`
}

func n(v int) *int { return &v }

// Free is where every new org starts.
const Free = "free"

// All lists the plans, cheapest first.
var All = []Plan{
	{ID: "free", Name: "Free", Price: 0, Limits: Limits{Members: n(5), Projects: n(3), APIKeys: n(5), Apps: n(1), Roles: n(3)}},
	{ID: "pro", Name: "Pro", Price: 2000, Limits: Limits{Members: n(25), Projects: n(50), APIKeys: n(50), Apps: n(10), Roles: n(10)}},
	{ID: "business", Name: "Business", Price: 10000, Limits: Limits{Members: n(200), Projects: n(500), APIKeys: n(500), Apps: n(50), Roles: n(25)}},
	// Enterprise has no plan limits; custom roles are still bounded by
	// MaxCustomRoles, since they live on the org item.
	{ID: "enterprise", Name: "Enterprise", Price: 50000, Limits: Limits{}},
}

// Get returns the plan with the id.
func Get(id string) (Plan, bool) {
	for _, p := range All {
		if p.ID == id {
			return p, true
		}
	}
	return Plan{}, false
}

// MaxCustomRoles bounds an org's custom roles whatever its plan: they are
// stored on the org item, which must stay far below DynamoDB's 400 KB.
const MaxCustomRoles = 100
