package api

import (
	"github.com/orgplane/orgplane/shared/orgs"
)

// billingView is an org's billing details with Stripe's field names;
// email is the org's billing_email.
type billingView struct {
	Email       *string      `json:"email"`
	CompanyName *string      `json:"company_name"`
	Address     *addressView `json:"address"`
	TaxID       *taxIDView   `json:"tax_id"`
}

type addressView struct {
	Line1      string  `json:"line1"`
	Line2      *string `json:"line2"`
	City       *string `json:"city"`
	PostalCode *string `json:"postal_code"`
	State      *string `json:"state"`
	Country    string  `json:"country"`
}

type taxIDView struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func viewBilling(o orgs.Organization) billingView {
	b := o.Billing
	v := billingView{Email: strOrNil(o.BillingEmail), CompanyName: strOrNil(b.CompanyName)}
	if a := b.Address; a != (orgs.Address{}) {
		v.Address = &addressView{Line1: a.Line1, Line2: strOrNil(a.Line2), City: strOrNil(a.City),
			PostalCode: strOrNil(a.PostalCode), State: strOrNil(a.State), Country: a.Country}
	}
	if t := b.TaxID; t != (orgs.TaxID{}) {
		v.TaxID = &taxIDView{Type: t.Type, Value: t.Value}
	}
	return v
}

// billingInput is the `billing` of an org patch: it replaces the billing
// details as a whole (null clears them); email sets billing_email.
type billingInput struct {
	Email       Optional[string] `json:"email"`
	CompanyName *string          `json:"company_name"`
	Address     *struct {
		Line1      *string `json:"line1"`
		Line2      *string `json:"line2"`
		City       *string `json:"city"`
		PostalCode *string `json:"postal_code"`
		State      *string `json:"state"`
		Country    *string `json:"country"`
	} `json:"address"`
	TaxID *struct {
		Type  *string `json:"type"`
		Value *string `json:"value"`
	} `json:"tax_id"`
}

// details are the billing details the input names, checked.
func (in billingInput) details(check *orgs.Check) orgs.BillingDetails {
	b := orgs.BillingDetails{CompanyName: deref(in.CompanyName)}
	if a := in.Address; a != nil {
		b.Address = orgs.Address{Line1: deref(a.Line1), Line2: deref(a.Line2), City: deref(a.City),
			PostalCode: deref(a.PostalCode), State: deref(a.State), Country: deref(a.Country)}
		if a.Line1 == nil || a.Country == nil {
			check.Add("billing.address", "needs line1 and country")
		}
	}
	if t := in.TaxID; t != nil {
		b.TaxID = orgs.TaxID{Type: deref(t.Type), Value: deref(t.Value)}
		if t.Type == nil || t.Value == nil {
			check.Add("billing.tax_id", "needs type and value")
		}
	}
	check.BillingDetails("billing.", b)
	return b
}
