package catalog

import "github.com/orgplane/orgplane/shared/billing"

// Price is what the option (billing.Monthly, …) costs; false for an
// option that is not one.
func (p Pricing) Price(option string) (int64, bool) {
	switch option {
	case billing.Monthly:
		return p.Monthly, true
	case billing.Annual:
		return p.Annual, true
	case billing.OneTime:
		return p.OneTime, true
	case billing.Lifetime:
		return p.Lifetime, true
	}
	return 0, false
}
