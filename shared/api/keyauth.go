package api

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// admitKey authenticates an API key. Its shape and checksum are checked
// first, with no I/O. Then the request's one consistent read holds the
// secret's lookup and the org of the path (see judgeKey).
func (s *Server) admitKey(c *call, secret string) error {
	if !apikeys.WellFormed(secret) {
		return keyRefused(c, problem.APIKeyInvalid, "The API key is malformed or its checksum does not match.")
	}
	org := ""
	switch {
	case c.route.OrgScoped():
		if org = c.r.PathValue("org"); !ids.Valid(ids.Organization, org) {
			return problem.NotFoundf("Organization")
		}
	case !c.route.Catalog:
		return problem.New(problem.InsufficientScope, "API keys act inside their organization; this operation is for a signed-in user.")
	}
	hash := apikeys.Hash(secret)
	c.orgID = org // the path's, for the route's reads; admission confirms it
	lookup := c.reads.KeyAndOrg(hash, org)
	c.judge = func() error { return s.judgeKey(c, hash, lookup) }
	return nil
}

// judgeKey decides an API key's admission from its lookup and the org of
// the path: a key acts in its own org only (404 elsewhere, as for a
// stranger), a project key only on its project's routes, and only with
// its own permissions. Its rate limits are counted next, and its last use
// is recorded at most once a minute.
func (s *Server) judgeKey(c *call, hash string, lookup func() (ddb.KeyAuth, orgs.Organization, error)) error {
	org := c.orgID
	a, o, err := lookup()
	switch {
	case errors.Is(err, ddb.ErrNotFound):
		return keyRefused(c, problem.APIKeyInvalid, "The API key is not known.")
	case err != nil:
		return err
	}
	k := a.Key
	switch {
	case !k.RevokedAt.IsZero():
		return keyRefused(c, problem.APIKeyRevoked, "The API key was revoked.")
	case !a.SecretEndsAt.IsZero() && !c.at.Before(a.SecretEndsAt):
		return keyRefused(c, problem.APIKeyExpired, "The API key (or this secret of it, after a rotation) has expired.")
	}
	if org == "" { // a catalog route: the key's own org sets its limits
		if o, err = s.Store.GetOrganization(c.ctx(), k.OrganizationID); err != nil {
			return storeError(err, "Organization")
		}
	}
	gone := o.Status != orgs.OrgActive && !(o.Status == orgs.OrgDeleting && c.route.WhileDeleting)
	if (org != "" && k.OrganizationID != org) || gone || (k.ProjectID != "" && c.r.PathValue("project") != k.ProjectID) {
		return problem.NotFoundf("Organization")
	}
	if err := s.limit(c, k, o.Plan); err != nil {
		return err
	}
	if c.at.Sub(a.LastUsedAt) >= time.Minute {
		if err := s.Store.TouchKey(c.ctx(), hash, c.at); err != nil {
			slog.WarnContext(c.ctx(), "api key last use not recorded", "key", k.ID, "err", err)
		}
	}
	c.principal = auth.Principal{UserID: k.ID, Name: k.Name}
	c.key = &k
	if c.orgID == "" { // a catalog route: the key's own org (never beside a Query)
		c.orgID = o.ID
	}
	c.org, c.role = o, k.Role()
	c.member = orgs.Member{OrganizationID: o.ID, UserID: k.ID, Name: k.Name, Role: k.ID, Status: orgs.StatusActive}
	switch {
	case c.route.People:
		return problem.New(problem.InsufficientScope, "Members, invitations and roles are managed by people, not by API keys.")
	case c.route.Permission != "" && !c.role.Can(c.route.Permission):
		return problem.New(problem.InsufficientScope, "The API key lacks the permission %q.", c.route.Permission)
	}
	return nil
}

// keyRefused is a 401 for a key, with the challenge RFC 6750 asks for.
func keyRefused(c *call, code problem.Code, detail string) error {
	c.w.Header().Set("WWW-Authenticate", `Bearer realm="orgplane", error="invalid_token"`)
	return problem.New(code, "%s", detail)
}

// limit counts the request against the key's rate-limit policies, sets
// the RateLimit-Policy and RateLimit fields, and refuses it (429) when a
// window is full. If DynamoDB cannot count, the request goes on: the
// limiter fails open (money never does) and says so in the log.
func (s *Server) limit(c *call, k apikeys.Key, plan string) error {
	policies := apikeys.Policies(plan, k.Type)
	windows, err := s.Store.CountRequest(c.ctx(), k, policies, c.at)
	var limited *ddb.RateLimited
	switch {
	case errors.As(err, &limited):
	case err != nil:
		slog.WarnContext(c.ctx(), "rate limiter unavailable; request let through", "key", k.ID, "err", err)
		return nil
	}
	h := c.w.Header()
	var policy, state []string
	for _, w := range windows {
		policy = append(policy, fmt.Sprintf("%q;q=%d;w=%d", w.Policy.Name, w.Policy.Quota, int64(w.Policy.Window/time.Second)))
		state = append(state, fmt.Sprintf("%q;r=%d;t=%d", w.Policy.Name, w.Remaining, secondsUntil(c.at, w.Reset)))
	}
	h.Set("RateLimit-Policy", strings.Join(policy, ", "))
	h.Set("RateLimit", strings.Join(state, ", "))
	if limited == nil {
		return nil
	}
	if err := s.Store.CountRefusal(c.ctx(), k, policies, c.at); err != nil {
		slog.WarnContext(c.ctx(), "rate-limited request not counted in usage", "key", k.ID, "err", err)
	}
	var wait time.Duration
	names := make([]string, len(limited.Violated))
	for i, p := range limited.Violated {
		names[i] = p.Name
		for _, w := range windows {
			if w.Policy.Name == p.Name {
				wait = max(wait, w.Reset.Sub(c.at))
			}
		}
	}
	return &problem.Error{Code: problem.RateLimited, RetryAfter: wait,
		Detail:     "The API key's rate limit is reached: " + strings.Join(names, ", ") + ".",
		Extensions: map[string]any{"violated_policies": names}}
}

func secondsUntil(now, t time.Time) int64 {
	return max(int64((t.Sub(now)+time.Second-1)/time.Second), 0)
}
