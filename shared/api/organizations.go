package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

func (s *Server) createOrganization(c *call) error {
	var in struct {
		Name        *string `json:"name"`
		Slug        *string `json:"slug"`
		Description *string `json:"description"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	if in.Name == nil {
		check.Add("name", "is required")
	} else {
		check.Name("name", *in.Name)
	}
	if in.Slug != nil {
		check.Slug("slug", *in.Slug)
	}
	if in.Description != nil {
		check.Description("description", *in.Description)
	}
	if err := check.Err(); err != nil {
		return err
	}
	u, _, err := s.Store.EnsureUser(c.ctx(), c.principal)
	if err != nil {
		return err
	}
	o, err := s.Store.CreateOrganization(c.ctx(), u, ddb.NewOrganization{Name: *in.Name, Slug: deref(in.Slug), Description: deref(in.Description)})
	if errors.Is(err, ddb.ErrSlugTaken) {
		return problem.New(problem.SlugTaken, "The slug %q is taken.", *in.Slug)
	}
	if err != nil {
		return storeError(err, "Organization")
	}
	c.w.Header().Set("Location", "/organizations/"+o.ID)
	return c.replyVersioned(http.StatusCreated, o.Version, viewOrg(o))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Server) getOrganization(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	get := c.reads.Organization(c.orgID)
	if err := c.load(); err != nil {
		return err
	}
	o, err := get()
	if err != nil {
		return storeError(err, "Organization")
	}
	return c.replyVersioned(http.StatusOK, o.Version, viewOrg(o))
}

func (s *Server) updateOrganization(c *call) error {
	var in struct {
		Name                    Optional[string]            `json:"name"`
		Description             Optional[string]            `json:"description"`
		LogoURL                 Optional[string]            `json:"logo_url"`
		Branding                Optional[map[string]string] `json:"branding"`
		NotificationPreferences Optional[map[string]bool]   `json:"notification_preferences"`
		BillingEmail            Optional[string]            `json:"billing_email"`
		Billing                 Optional[billingInput]      `json:"billing"`
	}
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	var p ddb.OrgPatch
	if in.Name.Set {
		if in.Name.Null {
			check.Add("name", "cannot be null")
		}
		check.Name("name", in.Name.Value)
		p.Name = &in.Name.Value
	}
	if in.Description.Set {
		check.Description("description", in.Description.Value)
		p.Description = &in.Description.Value // null clears it to ""
	}
	if in.LogoURL.Set {
		if !in.LogoURL.Null {
			check.HTTPSURL("logo_url", in.LogoURL.Value)
		}
		p.LogoURL = &in.LogoURL.Value
	}
	if in.BillingEmail.Set {
		if !in.BillingEmail.Null {
			check.Email("billing_email", in.BillingEmail.Value)
		}
		p.BillingEmail = &in.BillingEmail.Value
	}
	if in.Branding.Set {
		b := in.Branding.Value
		if b == nil {
			b = map[string]string{}
		}
		for k, v := range b {
			switch k {
			case "primary_color", "accent_color":
				check.Color("branding."+k, v)
			default:
				check.Add("branding."+k, "is not a branding setting (primary_color, accent_color)")
			}
		}
		p.Branding = &b
	}
	if in.NotificationPreferences.Set {
		np := in.NotificationPreferences.Value
		if np == nil {
			np = map[string]bool{}
		}
		if len(np) > 50 {
			check.Add("notification_preferences", "may hold at most 50 settings")
		}
		for k := range np {
			if k == "" || len(k) > 64 || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789_.") != "" {
				check.Add("notification_preferences."+k, "names must be 1–64 of a-z, 0-9, '_' and '.'")
			}
		}
		p.NotificationPreferences = &np
	}
	if in.Billing.Set {
		if !c.can(access.BillingManage) {
			return problem.New(problem.Forbidden, "Changing billing details needs the billing:manage permission.")
		}
		var b orgs.BillingDetails
		if !in.Billing.Null {
			b = in.Billing.Value.details(&check)
			if e := in.Billing.Value.Email; e.Set {
				if in.BillingEmail.Set {
					check.Add("billing.email", "and billing_email are the same field: give one")
				} else if !e.Null {
					check.Email("billing.email", e.Value)
				}
				p.BillingEmail = &e.Value
			}
		}
		p.Billing = &b
	}
	if err := check.Err(); err != nil {
		return err
	}
	o, err := s.Store.UpdateOrganization(c.ctx(), c.member, c.org, p, version)
	if err != nil {
		return storeError(err, "Organization")
	}
	return c.replyVersioned(http.StatusOK, o.Version, viewOrg(o))
}

func (s *Server) deleteOrganization(c *call) error {
	var in struct {
		ConfirmSlug *string `json:"confirm_slug"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.ConfirmSlug == nil || *in.ConfirmSlug == "" {
		return problem.Field("confirm_slug", "is required: the organization's slug")
	}
	if err := s.Store.DeleteOrganization(c.ctx(), c.orgID, *in.ConfirmSlug, &c.member); err != nil {
		return storeError(err, "Organization")
	}
	return c.noContent()
}
