package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/catalog"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// The catalog is the same for everyone, so its cursors are bound to a
// fixed scope instead of an org.
const (
	catalogScope = "catalog"
	catalogList  = "app-templates"
)

func (s *Server) listAppTemplates(c *call) error {
	q, err := query(c.r, "limit", "cursor", "category", "q")
	if err != nil {
		return err
	}
	category, text := q.Get("category"), q.Get("q")
	if _, ok := q["category"]; ok && !catalog.KnownCategory(category) {
		known := make([]string, len(catalog.Categories))
		for i, cat := range catalog.Categories {
			known[i] = cat.ID
		}
		return problem.Field("category", "must be one of "+strings.Join(known, ", "))
	}
	if len(text) > orgs.MaxNameLen {
		return problem.Field("q", "must be at most 100 characters")
	}
	pg, err := s.page(q, catalogScope, catalogList)
	if err != nil {
		return err
	}
	found := catalog.Search(category, text)
	start := 0
	if len(pg.After) > 0 {
		after, ok := pg.After["id"]
		if !ok || len(pg.After) != 1 {
			return invalidCursor()
		}
		start = len(found)
		if i := slices.IndexFunc(found, func(t catalog.Template) bool { return t.ID > after }); i >= 0 {
			start = i
		}
	}
	end := min(start+pg.Limit, len(found))
	views := make([]appTemplateView, 0, end-start)
	for _, t := range found[start:end] {
		views = append(views, viewAppTemplate(t))
	}
	var next ddb.Position
	if end < len(found) {
		next = ddb.Position{"id": found[end-1].ID}
	}
	return c.reply(http.StatusOK, listOf(views, s.next(catalogScope, catalogList, next)))
}

func (s *Server) listApps(c *call) error {
	q, err := query(c.r, "limit", "cursor", "status")
	if err != nil {
		return err
	}
	status := q.Get("status")
	if _, ok := q["status"]; ok && status != apps.Running && status != apps.Stopped {
		return problem.Field("status", "must be running or stopped")
	}
	list := "apps:" + status
	pg, err := s.page(q, c.orgID, list)
	if err != nil {
		return err
	}
	var instances []apps.Instance
	var next ddb.Position
	err = c.alongside(func() (err error) {
		instances, next, err = s.Store.ListApps(c.ctx(), c.orgID, status, pg)
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	views := make([]appView, len(instances))
	for i, in := range instances {
		views[i] = viewApp(in)
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, list, next)))
}

// accessInput is the settable part of an instance's access setting.
type accessInput struct {
	Visibility *string `json:"visibility"`
}

func checkAccess(check *orgs.Check, a accessInput) {
	if a.Visibility != nil && !apps.ValidVisibility(*a.Visibility) {
		check.Add("access.visibility", "must be organization or private")
	}
}

func (s *Server) installApp(c *call) error {
	var in struct {
		TemplateID *string           `json:"template_id"`
		Name       *string           `json:"name"`
		Env        map[string]string `json:"env"`
		Access     *accessInput      `json:"access"`
		Billing    *string           `json:"billing"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	var t catalog.Template
	if in.TemplateID == nil {
		check.Add("template_id", "is required")
	} else if tpl, ok := catalog.Get(*in.TemplateID); ok {
		t = tpl
	} else {
		check.Add("template_id", "is not an app in the catalog (GET /apps)")
	}
	name := t.Name
	if in.Name != nil {
		check.Name("name", *in.Name)
		name = *in.Name
	}
	var env map[string]string
	if t.ID != "" {
		var errs []problem.FieldError
		env, errs = t.NewEnv(in.Env)
		for _, e := range errs {
			check.Add(e.Field, e.Message)
		}
	}
	visibility := apps.VisibleToOrganization
	if in.Access != nil {
		checkAccess(&check, *in.Access)
		if in.Access.Visibility != nil {
			visibility = *in.Access.Visibility
		}
	}
	option, price := appBilling(&check, t, in.Billing)
	if err := check.Err(); err != nil {
		return err
	}
	i, err := s.Store.InstallApp(c.ctx(), ddb.NewApp{By: c.member, TemplateID: t.ID, Name: name,
		Env: env, Visibility: visibility, TrialDays: t.TrialDays, Billing: option, Price: price, Period: s.BillingPeriod})
	if err != nil {
		return storeError(err, "Organization")
	}
	c.w.Header().Set("Location", "/organizations/"+c.orgID+"/apps/"+i.ID)
	return c.replyVersioned(http.StatusCreated, i.Version, viewApp(i))
}

// appID is the {app} of the path, 404 unless shaped like an app id.
func appID(c *call) (string, error) {
	id := c.r.PathValue("app")
	if !ids.Valid(ids.App, id) {
		return "", problem.NotFoundf("App")
	}
	return id, nil
}

// app reads the {app} of the path inside the caller's org.
func (s *Server) app(c *call) (apps.Instance, error) {
	id, err := appID(c)
	if err != nil {
		return apps.Instance{}, err
	}
	get := c.reads.App(c.orgID, id)
	if err := c.load(); err != nil {
		return apps.Instance{}, err
	}
	i, err := get()
	return i, storeError(err, "App")
}

func (s *Server) getApp(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	i, err := s.app(c)
	if err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, i.Version, viewApp(i))
}

func (s *Server) updateApp(c *call) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	var in struct {
		Name   Optional[string]             `json:"name"`
		Env    Optional[map[string]*string] `json:"env"`
		Access Optional[accessInput]        `json:"access"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	if in.Name.Set {
		if in.Name.Null {
			check.Add("name", "cannot be null")
		}
		check.Name("name", in.Name.Value)
	}
	if in.Env.Null {
		check.Add("env", "cannot be null; set a key to null to reset it to its default")
	}
	if in.Access.Null {
		check.Add("access", "cannot be null")
	}
	checkAccess(&check, in.Access.Value)
	if err := check.Err(); err != nil {
		return err
	}
	cur, err := s.app(c)
	if err != nil {
		return err
	}
	var p ddb.AppPatch
	if name := strings.TrimSpace(in.Name.Value); in.Name.Set && name != cur.Name {
		p.Name = &name
		p.Changes = append(p.Changes, "name")
	}
	if in.Env.Set && len(in.Env.Value) > 0 {
		t, ok := catalog.Get(cur.TemplateID)
		if !ok {
			return problem.New(problem.Conflict, "The app's template %q is no longer in the catalog; its env cannot change.", cur.TemplateID)
		}
		env, changed, errs := t.PatchEnv(cur.Env, in.Env.Value)
		if err := problem.Fields(errs); err != nil {
			return err
		}
		if len(changed) > 0 {
			p.Env = env
			for _, k := range changed {
				p.Changes = append(p.Changes, "env."+k)
			}
		}
	}
	if v := in.Access.Value.Visibility; v != nil && *v != cur.Access.Visibility {
		p.Visibility = v
		p.Changes = append(p.Changes, "access.visibility")
	}
	i, err := s.Store.UpdateApp(c.ctx(), c.member, cur, p, version)
	if err != nil {
		return storeError(err, "App")
	}
	return c.replyVersioned(http.StatusOK, i.Version, viewApp(i))
}

func (s *Server) uninstallApp(c *call) error {
	i, err := s.app(c)
	if err != nil {
		return err
	}
	if err := s.Store.UninstallApp(c.ctx(), c.member, i); err != nil {
		return storeError(err, "App")
	}
	return c.noContent()
}

func (s *Server) restartApp(c *call) error {
	return s.lifecycle(c, func(ctx context.Context, app string) (apps.Instance, error) {
		return s.Store.RestartApp(ctx, c.member, app)
	})
}

func (s *Server) stopApp(c *call) error {
	return s.lifecycle(c, func(ctx context.Context, app string) (apps.Instance, error) {
		return s.Store.StopApp(ctx, c.member, app)
	})
}

func (s *Server) accessApp(c *call) error {
	mayUsePrivate := c.can(access.AppsManage)
	return s.lifecycle(c, func(ctx context.Context, app string) (apps.Instance, error) {
		return s.Store.AccessApp(ctx, c.orgID, app, apps.NamedActor(c.member.UserID, c.member.Name), mayUsePrivate)
	})
}

// lifecycle runs a start/stop style change on the {app} of the path and
// answers with the instance after it. These POSTs take no body.
func (s *Server) lifecycle(c *call, change func(ctx context.Context, app string) (apps.Instance, error)) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	id, err := appID(c)
	if err != nil {
		return err
	}
	i, err := change(c.ctx(), id)
	if err != nil {
		return storeError(err, "App")
	}
	return c.replyVersioned(http.StatusOK, i.Version, viewApp(i))
}

func (s *Server) listAppLogs(c *call) error {
	q, err := query(c.r, "limit", "cursor")
	if err != nil {
		return err
	}
	id, err := appID(c)
	if err != nil {
		return err
	}
	list := "app-logs:" + id
	pg, err := s.page(q, c.orgID, list)
	if err != nil {
		return err
	}
	// The instance comes in admission's read, sent beside its log's Query.
	app := c.reads.App(c.orgID, id)
	var events []apps.Event
	var next ddb.Position
	err = c.alongside(func() (err error) {
		events, next, err = s.Store.ListAppEvents(c.ctx(), c.orgID, id, pg)
		return err
	})
	if err == nil {
		_, err = app()
	}
	if err != nil {
		return storeError(err, "App")
	}
	views := make([]appLogView, len(events))
	for k, e := range events {
		views[k] = viewAppLog(e)
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, list, next)))
}
