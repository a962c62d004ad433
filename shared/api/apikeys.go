package api

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// API keys. Reading needs api_keys:read, changing api_keys:manage. The
// secret is in the answer to create and rotate only, and is stored only
// as its SHA-256.

// MaxKeyNameLen bounds a key's name.
const MaxKeyNameLen = 64

type apiKeyView struct {
	ID             string              `json:"id"`
	Name           string              `json:"name"`
	Type           string              `json:"type"`
	Prefix         string              `json:"prefix"`
	LastFour       string              `json:"last_four"`
	ProjectID      *string             `json:"project_id"`
	Permissions    []access.Permission `json:"permissions"`
	CreatedBy      string              `json:"created_by"`
	CreatedAt      string              `json:"created_at"`
	LastUsedAt     *string             `json:"last_used_at"`
	ExpiresAt      *string             `json:"expires_at"`
	GraceExpiresAt *string             `json:"grace_expires_at"`
	RevokedAt      *string             `json:"revoked_at"`
	RevokeReason   *string             `json:"revoke_reason"`
	Status         string              `json:"status"`
	Agent          *apikeys.Agent      `json:"agent"`
	CreditBudget   *apikeys.Budget     `json:"credit_budget"`
	Version        int64               `json:"version"`
}

func viewKey(k apikeys.Key, now time.Time) apiKeyView {
	ps := k.Permissions
	if ps == nil {
		ps = []access.Permission{}
	}
	v := apiKeyView{ID: k.ID, Name: k.Name, Type: k.Type, Prefix: k.Prefix, LastFour: k.LastFour,
		ProjectID: strOrNil(k.ProjectID), Permissions: ps, CreatedBy: k.CreatedBy, CreatedAt: ts(k.CreatedAt),
		LastUsedAt: tsOrNil(k.LastUsedAt), ExpiresAt: tsOrNil(k.ExpiresAt), RevokedAt: tsOrNil(k.RevokedAt),
		RevokeReason: strOrNil(k.RevokeReason), Status: k.StatusAt(now), Agent: k.Agent, CreditBudget: k.CreditBudget,
		Version: k.Version}
	if k.StatusAt(now) == apikeys.Rotating {
		v.GraceExpiresAt = tsOrNil(k.GraceExpiresAt)
	}
	return v
}

// keyWithSecret is a key as create and rotate answer: the one time its
// secret is shown.
type keyWithSecret struct {
	apiKeyView
	Secret string `json:"secret"`
}

func (s *Server) listAPIKeys(c *call) error {
	q, err := query(c.r, "limit", "cursor", "type", "project_id", "status")
	if err != nil {
		return err
	}
	f := ddb.KeyFilter{Type: q.Get("type"), ProjectID: q.Get("project_id"), Status: q.Get("status")}
	var check orgs.Check
	if _, ok := q["type"]; ok && f.Type != apikeys.Standard && f.Type != apikeys.AIAgent {
		check.Add("type", "must be standard or ai_agent")
	}
	if _, ok := q["project_id"]; ok && !ids.Valid(ids.Project, f.ProjectID) {
		check.Add("project_id", "must be a project id")
	}
	if _, ok := q["status"]; ok && !slices.Contains([]string{apikeys.Active, apikeys.Rotating, apikeys.Revoked, apikeys.Expired}, f.Status) {
		check.Add("status", "must be active, rotating, revoked or expired")
	}
	if err := check.Err(); err != nil {
		return err
	}
	list := "api-keys:" + f.Type + ":" + f.ProjectID + ":" + f.Status
	pg, err := s.page(q, c.orgID, list)
	if err != nil {
		return err
	}
	var keys []apikeys.Key
	var next ddb.Position
	err = c.alongside(func() (err error) {
		keys, next, err = s.Store.ListAPIKeys(c.ctx(), c.orgID, f, c.now(), pg)
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	views := make([]apiKeyView, len(keys))
	for i, k := range keys {
		views[i] = viewKey(k, c.now())
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, list, next)))
}

// pathKey reads the {key} of the path in the caller's org.
func (s *Server) pathKey(c *call) (apikeys.Key, error) {
	id := c.r.PathValue("key")
	if !ids.Valid(ids.APIKey, id) {
		return apikeys.Key{}, problem.NotFoundf("API key")
	}
	get := c.reads.APIKey(c.orgID, id)
	if err := c.load(); err != nil {
		return apikeys.Key{}, err
	}
	k, err := get(c.ctx())
	return k, storeError(err, "API key")
}

func (s *Server) getAPIKey(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	k, err := s.pathKey(c)
	if err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, k.Version, viewKey(k, c.now()))
}

// keyName checks a key's name: 1–64 characters of clean text.
func keyName(check *orgs.Check, v string) {
	check.Name("name", v)
	if utf8.RuneCountInString(strings.TrimSpace(v)) > MaxKeyNameLen {
		check.Add("name", "must be at most 64 characters")
	}
}

// keyPermissions checks a key's permissions against the catalog, the key
// type's ceiling and what the caller holds.
func keyPermissions(c *call, check *orgs.Check, keyType string, ps []access.Permission) error {
	checkCatalog(check, ps)
	for _, p := range apikeys.ForbiddenFor(keyType, ps) {
		check.Add("permissions", "an ai_agent key never holds "+string(p))
	}
	if err := check.Err(); err != nil {
		return err
	}
	var unheld access.UnheldError
	if errors.As(access.MayHold(c.role, ps), &unheld) {
		return &problem.Error{Code: problem.PermissionNotHeld,
			Detail:     "A key may hold only permissions you hold yourself.",
			Extensions: map[string]any{"unheld_permissions": unheld.Permissions}}
	}
	return nil
}

func (s *Server) createAPIKey(c *call) error {
	var in struct {
		Name         *string              `json:"name"`
		Type         *string              `json:"type"`
		ProjectID    *string              `json:"project_id"`
		Permissions  *[]access.Permission `json:"permissions"`
		ExpiresAt    *string              `json:"expires_at"`
		Agent        *apikeys.Agent       `json:"agent"`
		CreditBudget *apikeys.Budget      `json:"credit_budget"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	k := apikeys.Key{ID: ids.New(ids.APIKey), OrganizationID: c.orgID, Type: apikeys.Standard, Level: c.role.Level,
		CreatedBy: c.principal.UserID, CreatedAt: c.now(), Version: 1}
	if in.Name == nil {
		check.Add("name", "is required")
	} else {
		keyName(&check, *in.Name)
		k.Name = strings.TrimSpace(*in.Name)
	}
	if in.Type != nil {
		if *in.Type != apikeys.Standard && *in.Type != apikeys.AIAgent {
			check.Add("type", "must be standard or ai_agent")
		}
		k.Type = *in.Type
	}
	if in.ProjectID != nil {
		if !ids.Valid(ids.Project, *in.ProjectID) {
			check.Add("project_id", "must be a project id")
		}
		k.ProjectID = *in.ProjectID
	}
	if in.Permissions == nil {
		check.Add("permissions", "is required: the permissions the key holds")
	} else {
		k.Permissions = *in.Permissions
	}
	k.ExpiresAt = keyExpiry(&check, in.ExpiresAt, k.Type, c.now())
	agentFields(&check, &k, in.Agent, in.CreditBudget)
	if err := keyPermissions(c, &check, k.Type, k.Permissions); err != nil {
		return err
	}
	if c.key != nil && c.key.ProjectID != "" && k.ProjectID != c.key.ProjectID {
		return problem.New(problem.InsufficientScope, "A project's key may make keys for its project only.")
	}
	secret, err := apikeys.NewSecret(k.Type)
	if err != nil {
		return err
	}
	k.Prefix, k.LastFour = apikeys.Shown(secret)
	k, err = s.Store.CreateAPIKey(c.ctx(), c.member, c.role, ddb.NewAPIKey{Key: k, Hash: apikeys.Hash(secret)})
	if errors.Is(err, ddb.ErrUnknownProject) {
		return problem.Field("project_id", "is not a project of this organization")
	}
	if err != nil {
		return storeError(err, "Organization")
	}
	c.w.Header().Set("Location", "/organizations/"+c.orgID+"/api-keys/"+k.ID)
	c.w.Header().Set("ETag", etag(k.Version))
	return c.reply(http.StatusCreated, keyWithSecret{viewKey(k, c.now()), secret})
}

// keyExpiry checks expires_at: in the future; for ai_agent keys at most
// 90 days ahead, 30 days when not given.
func keyExpiry(check *orgs.Check, v *string, keyType string, now time.Time) time.Time {
	if v == nil {
		if keyType == apikeys.AIAgent {
			return now.Add(apikeys.DefaultAgentLifetime).UTC().Truncate(time.Second)
		}
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, *v)
	switch {
	case err != nil:
		check.Add("expires_at", "must be an RFC 3339 time such as 2027-01-31T18:00:00Z")
	case !t.After(now):
		check.Add("expires_at", "must be in the future")
	case keyType == apikeys.AIAgent && t.Sub(now) > apikeys.MaxAgentLifetime:
		check.Add("expires_at", "must be at most 90 days ahead for an ai_agent key")
	}
	return t.UTC()
}

// agentFields checks the fields only ai_agent keys take.
func agentFields(check *orgs.Check, k *apikeys.Key, agent *apikeys.Agent, budget *apikeys.Budget) {
	if k.Type != apikeys.AIAgent {
		if agent != nil {
			check.Add("agent", "is for ai_agent keys only")
		}
		if budget != nil {
			check.Add("credit_budget", "is for ai_agent keys only")
		}
		return
	}
	if agent == nil {
		check.Add("agent", "is required for an ai_agent key: {name, vendor?, contact?}")
	} else {
		check.Name("agent.name", agent.Name)
		if agent.Vendor != "" {
			check.Name("agent.vendor", agent.Vendor)
		}
		if agent.Contact != "" {
			check.Name("agent.contact", agent.Contact)
		}
		k.Agent = agent
	}
	if budget != nil {
		if budget.Amount < 1 {
			check.Add("credit_budget.amount", "must be a positive whole number of credits")
		}
		if budget.Period != apikeys.Day && budget.Period != apikeys.Month {
			check.Add("credit_budget.period", "must be day or month")
		}
		k.CreditBudget = budget
	}
}

func (s *Server) updateAPIKey(c *call) error {
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	var in struct {
		Name        *string              `json:"name"`
		Permissions *[]access.Permission `json:"permissions"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	cur, err := s.pathKey(c)
	if err != nil {
		return err
	}
	if version > 0 && version != cur.Version {
		return problem.New(problem.VersionConflict, "The key changed since version %d.", version)
	}
	if !cur.RevokedAt.IsZero() {
		return problem.New(problem.Conflict, "The key is revoked; it cannot change.")
	}
	var check orgs.Check
	name, ps := cur.Name, cur.Permissions
	if in.Name != nil {
		keyName(&check, *in.Name)
		name = strings.TrimSpace(*in.Name)
	}
	if in.Permissions != nil {
		for _, p := range *in.Permissions {
			if !slices.Contains(cur.Permissions, p) {
				check.Add("permissions", "may only narrow the key: "+quoteClip(string(p))+" is not one of its permissions")
			}
		}
		ps = *in.Permissions
	}
	if in.Name == nil && in.Permissions == nil {
		check.Add("name", "give a name or permissions to change")
	}
	if err := check.Err(); err != nil {
		return err
	}
	k, err := s.Store.UpdateAPIKey(c.ctx(), c.member, cur, name, ps)
	if err != nil {
		return storeError(err, "API key")
	}
	return c.replyVersioned(http.StatusOK, k.Version, viewKey(k, c.now()))
}

// decodeOptional decodes a body that may be left out entirely.
func (c *call) decodeOptional(dst any) error {
	body, err := readBody(c.r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	c.r.Body = http.NoBody
	return decodeBytes(body, dst)
}

func (s *Server) revokeAPIKey(c *call) error {
	var in struct {
		Reason *string `json:"reason"`
	}
	if err := c.decodeOptional(&in); err != nil {
		return err
	}
	reason := ""
	if in.Reason != nil {
		var check orgs.Check
		check.Description("reason", *in.Reason)
		if err := check.Err(); err != nil {
			return err
		}
		reason = *in.Reason
	}
	id := c.r.PathValue("key")
	if !ids.Valid(ids.APIKey, id) {
		return problem.NotFoundf("API key")
	}
	if _, err := s.Store.RevokeAPIKey(c.ctx(), c.member, c.orgID, id, reason); err != nil {
		return storeError(err, "API key")
	}
	return c.noContent()
}

func (s *Server) rotateAPIKey(c *call) error {
	var in struct {
		GracePeriodSeconds *int64 `json:"grace_period_seconds"`
	}
	if err := c.decodeOptional(&in); err != nil {
		return err
	}
	grace := apikeys.DefaultGracePeriod
	if in.GracePeriodSeconds != nil {
		if *in.GracePeriodSeconds < 0 || time.Duration(*in.GracePeriodSeconds)*time.Second > apikeys.MaxGracePeriod {
			return problem.Field("grace_period_seconds", "must be from 0 to 604800 (7 days)")
		}
		grace = time.Duration(*in.GracePeriodSeconds) * time.Second
	}
	cur, err := s.pathKey(c)
	if err != nil {
		return err
	}
	if st := cur.StatusAt(c.now()); st == apikeys.Revoked || st == apikeys.Expired {
		return problem.New(problem.Conflict, "The key is %s; only a live key can be rotated.", st)
	}
	secret, err := apikeys.NewSecret(cur.Type)
	if err != nil {
		return err
	}
	prefix, lastFour := apikeys.Shown(secret)
	k, err := s.Store.RotateAPIKey(c.ctx(), c.member, cur, apikeys.Hash(secret), prefix, lastFour, c.now().Add(grace))
	if err != nil {
		return storeError(err, "API key")
	}
	view := viewKey(k, c.now())
	view.GraceExpiresAt = tsOrNil(k.GraceExpiresAt)
	c.w.Header().Set("ETag", etag(k.Version))
	return c.reply(http.StatusOK, keyWithSecret{view, secret})
}
