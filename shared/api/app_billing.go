package api

import (
	"strings"

	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/catalog"
	"github.com/orgplane/orgplane/shared/orgs"
)

// appBilling reads an install's billing option (default monthly) and its
// price from the template's pricing; a free template installs with none.
func appBilling(check *orgs.Check, t catalog.Template, in *string) (string, int64) {
	option := billing.Monthly
	if in != nil {
		option = *in
	}
	price, ok := t.Pricing.Price(option)
	switch {
	case !ok:
		check.Add("billing", "must be one of "+strings.Join(billing.AppBillings, ", "))
		return "", 0
	case price == 0:
		return "", 0
	}
	return option, price
}
