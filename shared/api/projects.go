package api

import (
	"net/http"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

func (s *Server) listProjects(c *call) error {
	q, err := query(c.r, "limit", "cursor", "sort", "q", "has_api_keys")
	if err != nil {
		return err
	}
	f := ddb.ProjectFilter{Query: q.Get("q")}
	switch sort := q.Get("sort"); sort {
	case "", "name", "-updated_at":
		f.Sort = sort
	default:
		return problem.Field("sort", "must be name or -updated_at")
	}
	if len(f.Query) > orgs.MaxNameLen {
		return problem.Field("q", "must be at most 100 characters")
	}
	if v, ok := q["has_api_keys"]; ok {
		switch v[0] {
		case "true", "false":
			b := v[0] == "true"
			f.HasAPIKeys = &b
		default:
			return problem.Field("has_api_keys", "must be true or false")
		}
	}
	list := "projects:" + f.Sort
	pg, err := s.page(q, c.orgID, list)
	if err != nil {
		return err
	}
	var projects []orgs.Project
	var next ddb.Position
	err = c.alongside(func() (err error) {
		projects, next, err = s.Store.ListProjects(c.ctx(), c.orgID, f, pg)
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	views := make([]projectView, len(projects))
	for i, p := range projects {
		views[i] = viewProject(p)
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, list, next)))
}

func (s *Server) createProject(c *call) error {
	var in struct {
		Name        *string `json:"name"`
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
	if in.Description != nil {
		check.Description("description", *in.Description)
	}
	if err := check.Err(); err != nil {
		return err
	}
	p, err := s.Store.CreateProject(c.ctx(), c.member, *in.Name, deref(in.Description))
	if err != nil {
		return storeError(err, "Organization")
	}
	c.w.Header().Set("Location", "/organizations/"+c.orgID+"/projects/"+p.ID)
	return c.replyVersioned(http.StatusCreated, p.Version, viewProject(p))
}

// project reads the {project} of the path inside the caller's org.
func (s *Server) project(c *call) (orgs.Project, error) {
	id := c.r.PathValue("project")
	if !ids.Valid(ids.Project, id) {
		return orgs.Project{}, problem.NotFoundf("Project")
	}
	get := c.reads.Project(c.orgID, id)
	if err := c.load(); err != nil {
		return orgs.Project{}, err
	}
	p, err := get()
	return p, storeError(err, "Project")
}

// mayManage: projects:manage covers every project; projects:manage_own only
// those the caller created.
func mayManage(c *call, p orgs.Project) error {
	if c.can(access.ProjectsManage) || (c.can(access.ProjectsManageOwn) && p.CreatedBy == c.principal.UserID) {
		return nil
	}
	return problem.New(problem.Forbidden, "You may manage only the projects you created.")
}

func (s *Server) getProject(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	p, err := s.project(c)
	if err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, p.Version, viewProject(p))
}

func (s *Server) updateProject(c *call) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	var in struct {
		Name        Optional[string] `json:"name"`
		Description Optional[string] `json:"description"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	var patch ddb.ProjectPatch
	if in.Name.Set {
		if in.Name.Null {
			check.Add("name", "cannot be null")
		}
		check.Name("name", in.Name.Value)
		patch.Name = &in.Name.Value
	}
	if in.Description.Set {
		check.Description("description", in.Description.Value)
		patch.Description = &in.Description.Value
	}
	if err := check.Err(); err != nil {
		return err
	}
	p, err := s.project(c)
	if err != nil {
		return err
	}
	if err := mayManage(c, p); err != nil {
		return err
	}
	p, err = s.Store.UpdateProject(c.ctx(), c.member, p, patch, version)
	if err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, p.Version, viewProject(p))
}

func (s *Server) deleteProject(c *call) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	if err := mayManage(c, p); err != nil {
		return err
	}
	if err := s.Store.DeleteProject(c.ctx(), c.member, p); err != nil {
		return err
	}
	return c.noContent()
}
