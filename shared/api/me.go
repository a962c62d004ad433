package api

import (
	"net/http"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/problem"
)

func (s *Server) getMe(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	u, _, err := s.Store.CurrentUser(c.ctx(), c.principal)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, viewUser(u))
}

func (s *Server) listMyOrganizations(c *call) error {
	q, err := query(c.r, "limit", "cursor")
	if err != nil {
		return err
	}
	pg, err := s.page(q, c.principal.UserID, "me/organizations")
	if err != nil {
		return err
	}
	list, next, err := s.Store.MyOrganizations(c.ctx(), c.principal, pg)
	if err != nil {
		return err
	}
	views := make([]myOrgView, len(list))
	for i, o := range list {
		views[i] = viewMyOrg(o)
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.principal.UserID, "me/organizations", next)))
}

func (s *Server) setActiveOrganization(c *call) error {
	var in struct {
		OrganizationID *string `json:"organization_id"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.OrganizationID == nil {
		return problem.Field("organization_id", "is required")
	}
	// A malformed id in a body is bad input (400); only a well-formed id
	// that names nothing the caller may see is 404.
	if !ids.Valid(ids.Organization, *in.OrganizationID) {
		return problem.Field("organization_id", "must be an organization id (org_…)")
	}
	if _, _, err := s.Store.EnsureUser(c.ctx(), c.principal); err != nil {
		return err
	}
	u, err := s.Store.SetActiveOrganization(c.ctx(), c.principal.UserID, *in.OrganizationID)
	if err != nil {
		return storeError(err, "Organization")
	}
	return c.reply(http.StatusOK, viewUser(u))
}

func (s *Server) setActiveProject(c *call) error {
	var in struct {
		ProjectID *string `json:"project_id"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.ProjectID == nil {
		return problem.Field("project_id", "is required")
	}
	if !ids.Valid(ids.Project, *in.ProjectID) {
		return problem.Field("project_id", "must be a project id (prj_…)")
	}
	u, _, err := s.Store.CurrentUser(c.ctx(), c.principal)
	if err != nil {
		return err
	}
	if u.ActiveOrganizationID == "" {
		return problem.New(problem.Conflict, "Choose an active organization first.")
	}
	u, err = s.Store.SetActiveProject(c.ctx(), u.ID, u.ActiveOrganizationID, *in.ProjectID)
	if err != nil {
		return storeError(err, "Project")
	}
	return c.reply(http.StatusOK, viewUser(u))
}

func (s *Server) listPermissions(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	return c.reply(http.StatusOK, struct {
		Data []access.Group `json:"data"`
	}{access.Catalog})
}
