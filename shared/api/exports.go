package api

import (
	"net/http"
	"time"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/exports"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// exportView is an export job as the API shows it. download_url is set
// while the job is ready, valid until download_expires_at.
type exportView struct {
	ID                string               `json:"id"`
	Kind              string               `json:"kind"`
	Status            string               `json:"status"`
	Format            string               `json:"format"`
	Filters           *activityFiltersView `json:"filters,omitempty"`
	CreatedAt         time.Time            `json:"created_at"`
	StartedAt         *time.Time           `json:"started_at"`
	FinishedAt        *time.Time           `json:"finished_at"`
	ExpiresAt         time.Time            `json:"expires_at"`
	Size              *int64               `json:"size"`
	Records           *int                 `json:"records"`
	DownloadURL       *string              `json:"download_url"`
	DownloadExpiresAt *time.Time           `json:"download_expires_at"`
}

type activityFiltersView struct {
	ActorID   string     `json:"actor_id,omitempty"`
	ActorType string     `json:"actor_type,omitempty"`
	Action    string     `json:"action,omitempty"`
	TargetID  string     `json:"target_id,omitempty"`
	Since     *time.Time `json:"since,omitempty"`
	Until     *time.Time `json:"until,omitempty"`
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func viewExport(j exports.Job, now time.Time) exportView {
	v := exportView{ID: j.ID, Kind: j.Kind, Status: j.StatusAt(now), Format: j.Format, CreatedAt: j.CreatedAt,
		StartedAt: timeOrNil(j.StartedAt), FinishedAt: timeOrNil(j.FinishedAt), ExpiresAt: j.ExpiresAt()}
	if j.Kind == exports.KindActivity {
		f := j.Filter
		v.Filters = &activityFiltersView{ActorID: f.ActorID, ActorType: f.ActorType, Action: f.Action, TargetID: f.TargetID,
			Since: timeOrNil(f.Since), Until: timeOrNil(f.Until)}
	}
	if v.Status == exports.StatusReady {
		v.Size, v.Records = &j.Size, &j.Records
	}
	return v
}

// withLink adds a download link to a ready export's view: valid for
// exports.LinkTTL, never past the export's own expiry.
func (s *Server) withLink(c *call, j exports.Job, v exportView) (exportView, error) {
	if v.Status != exports.StatusReady || s.Exports == nil {
		return v, nil
	}
	// Links last whole seconds (X-Amz-Expires); none in the last second.
	ttl := min(exports.LinkTTL, j.ExpiresAt().Sub(c.now())).Truncate(time.Second)
	if ttl < time.Second {
		return v, nil
	}
	url, err := s.Exports.URL(c.ctx(), j.Object(), j.Filename(), c.now(), ttl)
	if err != nil {
		return v, err
	}
	until := c.now().Add(ttl).UTC()
	v.DownloadURL, v.DownloadExpiresAt = &url, &until
	return v, nil
}

func (s *Server) createExport(c *call) error {
	j, err := s.Store.RequestExport(c.ctx(), exports.KindOrganization, exports.FormatJSON, activity.Filter{}, c.member)
	if err != nil {
		return storeError(err, "Organization")
	}
	c.w.Header().Set("Location", "/organizations/"+c.orgID+"/exports/"+j.ID)
	return c.reply(http.StatusAccepted, viewExport(j, c.now()))
}

func (s *Server) listExports(c *call) error { return s.listOrgExports(c, exports.KindOrganization) }
func (s *Server) getExport(c *call) error   { return s.getOrgExport(c, exports.KindOrganization) }
func (s *Server) getActivityExport(c *call) error {
	return s.getOrgExport(c, exports.KindActivity)
}
func (s *Server) listActivityExports(c *call) error {
	return s.listOrgExports(c, exports.KindActivity)
}

func (s *Server) listOrgExports(c *call, kind string) error {
	q, err := query(c.r, "limit", "cursor")
	if err != nil {
		return err
	}
	list := "exports:" + kind
	pg, err := s.page(q, c.orgID, list)
	if err != nil {
		return err
	}
	var jobs []exports.Job
	var next ddb.Position
	err = c.alongside(func() (err error) {
		jobs, next, err = s.Store.ListExports(c.ctx(), c.orgID, kind, pg)
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	views := make([]exportView, len(jobs))
	for i, j := range jobs {
		views[i] = viewExport(j, c.now())
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, list, next)))
}

// getOrgExport reads the org's export in admission's batch (Prefetch).
func (s *Server) getOrgExport(c *call, kind string) error {
	id := c.r.PathValue("export")
	if !ids.Valid(ids.Export, id) {
		return problem.NotFoundf("Export")
	}
	get := c.reads.Export(kind, c.orgID, id)
	if err := c.load(); err != nil {
		return err
	}
	j, err := get()
	if err != nil {
		return storeError(err, "Export")
	}
	return s.replyExport(c, j)
}

// showExport answers with the caller's own export named by the path, of
// the kind and owner (a person), with its link when it is ready.
func (s *Server) showExport(c *call, kind, owner string) error {
	id := c.r.PathValue("export")
	if !ids.Valid(ids.Export, id) {
		return problem.NotFoundf("Export")
	}
	j, err := s.Store.Export(c.ctx(), kind, owner, id)
	if err != nil {
		return storeError(err, "Export")
	}
	return s.replyExport(c, j)
}

// replyExport answers with an export job and, when it is ready, its link.
func (s *Server) replyExport(c *call, j exports.Job) error {
	v, err := s.withLink(c, j, viewExport(j, c.now()))
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, v)
}

func (s *Server) createActivityExport(c *call) error {
	var in struct {
		Filters *struct {
			ActorID   *string `json:"actor_id"`
			ActorType *string `json:"actor_type"`
			Action    *string `json:"action"`
			TargetID  *string `json:"target_id"`
			Since     *string `json:"since"`
			Until     *string `json:"until"`
		} `json:"filters"`
		Format *string `json:"format"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	format := exports.FormatCSV
	if in.Format != nil {
		format = *in.Format
		if format != exports.FormatCSV && format != exports.FormatJSONL {
			check.Add("format", "must be csv or jsonl")
		}
	}
	var f activity.Filter
	if fi := in.Filters; fi != nil {
		given := map[string]*string{"actor_id": fi.ActorID, "actor_type": fi.ActorType, "action": fi.Action,
			"target_id": fi.TargetID, "since": fi.Since, "until": fi.Until}
		var err error
		f, err = activityFilter("filters.", func(k string) (string, bool) {
			if v := given[k]; v != nil {
				return *v, true
			}
			return "", false
		})
		if err != nil {
			return err
		}
	}
	if err := check.Err(); err != nil {
		return err
	}
	j, err := s.Store.RequestExport(c.ctx(), exports.KindActivity, format, f, c.member)
	if err != nil {
		return storeError(err, "Organization")
	}
	c.w.Header().Set("Location", "/organizations/"+c.orgID+"/activity/exports/"+j.ID)
	return c.reply(http.StatusAccepted, viewExport(j, c.now()))
}

func (s *Server) createMyExport(c *call) error {
	j, err := s.Store.RequestUserExport(c.ctx(), c.principal.UserID)
	if err != nil {
		return storeError(err, "User")
	}
	c.w.Header().Set("Location", "/me/exports/"+j.ID)
	return c.reply(http.StatusAccepted, viewExport(j, c.now()))
}

func (s *Server) getMyExport(c *call) error {
	return s.showExport(c, exports.KindUser, c.principal.UserID)
}
