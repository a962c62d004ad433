// Package api owns Orgplane's HTTP surface: the route list, the middleware
// every route runs behind (in Lambda and locally alike), request decoding,
// and the handlers. Handlers are plain net/http; storage is package ddb.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/apikeys"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/cursor"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// MaxBodyBytes is the request body limit (413 beyond it).
const MaxBodyBytes = 64 << 10

// Authenticator turns a bearer credential into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (auth.Principal, error)
}

// Server holds what handlers need. Build it once per process.
type Server struct {
	Store   *ddb.Store
	Auth    Authenticator
	Cursors cursor.Codec
	Now     func() time.Time
	// InviteSecret derives invitation tokens (see package invites).
	InviteSecret invites.Secret
	// BillingPeriod is the length of a new subscription period.
	BillingPeriod billing.Period
	// Exports is the export bucket, whose files the export routes link to
	// (EXPORT_BUCKET; nil in functions that do not read it). An interface,
	// so functions that are given no bucket link no S3 client.
	Exports ExportLinks
}

// ExportLinks signs time-limited links to export files (bucket.Bucket).
type ExportLinks interface {
	URL(ctx context.Context, key, filename string, at time.Time, ttl time.Duration) (string, error)
}

type handlerFunc func(*Server, *call) error

// call is one request as a handler sees it, after the middleware.
type call struct {
	w         http.ResponseWriter
	r         *http.Request
	at        time.Time // when the request arrived, on the server's clock
	route     Route
	principal auth.Principal
	// Set on org-scoped routes: the caller's membership and role there.
	// On a read route (Route.readsWithAdmission) the handler runs before
	// admission is decided: org, member and role are set only once it has
	// called load, alongside or admit (reply and can call admit), so a
	// read handler adds its reads to c.reads, then loads, then looks.
	orgID  string
	org    orgs.Organization // as admission read it: status, counters, custom roles
	member orgs.Member
	role   access.Role // the role the caller acts with now (see orgs.Member.RoleAt)
	// key is set when an API key authenticated the call; member then
	// stands for the key (UserID is its id) and role for its permissions.
	key *apikeys.Key

	// reads is the request's one consistent read: admission's keys and,
	// on a read route, the resource's, fetched together by admit.
	reads *ddb.Reads
	// judge decides admission from what reads found (nil: nothing to
	// decide); admit runs it once and keeps its answer in admission.
	judge     func() error
	admitOnce sync.Once
	admission error
}

func (c *call) ctx() context.Context { return c.r.Context() }

// admit runs the request's read (admission's keys and whatever the route
// added so far, in one round trip) and decides admission, once. Nothing
// of the route's is released before admit has passed: reply refuses to
// write, and serve answers admission's refusal instead of the handler's.
func (c *call) admit() error {
	c.admitOnce.Do(func() {
		if c.judge == nil {
			return
		}
		if err := c.reads.Run(c.ctx()); err != nil {
			c.admission = err
			return
		}
		c.admission = c.judge()
	})
	return c.admission
}

// load admits the call and fetches what the route added to its read: on
// a read route the resource comes in admission's round trip; elsewhere
// (admission decided before the handler ran) in a round trip of its own.
func (c *call) load() error {
	if err := c.admit(); err != nil {
		return err
	}
	return c.reads.Run(c.ctx())
}

// alongside runs f (a list's Query) while admission's read is in flight,
// and returns admission's refusal if there is one, else f's error. f must
// not touch the response or what admission sets (org, member, role).
func (c *call) alongside(f func() error) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				c.admission = fmt.Errorf("api: admission panicked: %v", v)
			}
		}()
		_ = c.admit()
	}()
	err := f()
	<-done
	if aerr := c.admit(); aerr != nil {
		return aerr
	}
	return err
}

func (c *call) now() time.Time { return c.at }

// can reports whether the caller's role in the org grants p (deciding
// admission first if it is not yet: see readsWithAdmission).
func (c *call) can(p access.Permission) bool { return c.admit() == nil && c.role.Can(p) }

// Handler serves exactly one route, as its Lambda function does.
func (s *Server) Handler(name string) (http.Handler, error) {
	rt, ok := Find(name)
	if !ok {
		return nil, fmt.Errorf("api: no route named %q", name)
	}
	if rt.handle == nil {
		return nil, fmt.Errorf("api: route %q has no handler", name)
	}
	return s.mux([]Route{rt}), nil
}

// Mux serves every route, as the local server does.
func (s *Server) Mux() http.Handler { return s.mux(Routes) }

func (s *Server) mux(routes []Route) http.Handler {
	m := http.NewServeMux()
	methods := map[string][]string{}
	for _, rt := range routes {
		m.Handle(rt.Pattern(), s.serve(rt))
		methods[rt.Path] = append(methods[rt.Path], rt.Method)
		if rt.Method == http.MethodGet { // ServeMux serves HEAD with GET
			methods[rt.Path] = append(methods[rt.Path], http.MethodHead)
		}
	}
	// Method-less patterns lose to the method ones above, so they catch
	// only wrong methods (405 with Allow, RFC 9110); "/" catches unknown
	// paths. Both answer in problem+json rather than ServeMux's plain text.
	for p, ms := range methods {
		allow := strings.Join(ms, ", ")
		m.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			WriteProblem(w, r, problem.New(problem.MethodNotAllowed, "Method %s is not allowed here.", r.Method))
		})
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, r, problem.New(problem.NotFound, "No route for %s %s.", r.Method, r.URL.Path))
	}
	m.HandleFunc("/", notFound)
	// ServeMux answers a path that is not clean ("//", "/./", "/../") with a
	// redirect to the clean one; an API names each resource one way, so
	// such a path is simply not found.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "" || p[0] != '/' || path.Clean(p) != p {
			notFound(w, r)
			return
		}
		m.ServeHTTP(w, r)
	})
}

func (s *Server) serve(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				slog.ErrorContext(r.Context(), "panic", "route", rt.Name, "panic", v, "stack", string(debug.Stack()))
				WriteProblem(w, r, errors.New("panic"))
			}
		}()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		r = withRequestMeta(w, r)
		c := &call{w: w, r: r, at: s.clock(), route: rt, reads: s.Store.Reads()}
		err := s.authenticate(c)
		if err == nil && !rt.readsWithAdmission() {
			err = c.admit() // a write acts only after admission
		}
		if err == nil && !rt.Body {
			err = refuseBody(r)
		}
		if err == nil {
			err = rt.handle(s, c)
		}
		// On a read route the handler may have answered before admission
		// was decided (a bad query parameter, a missing resource):
		// admission's refusal wins, so a stranger learns nothing.
		if aerr := c.admit(); aerr != nil {
			err = aerr
		}
		if err != nil {
			WriteProblem(w, r, s.overLimit(c, storeError(err, rt.subject())))
		}
	})
}

// authenticate checks the caller's credential and, on org-scoped routes,
// adds admission's keys to the request's read and sets how admission is
// decided from them (see admit): the caller's membership and the route's
// permission. Non-members and inactive members get the same 404 as an org
// that does not exist.
func (s *Server) authenticate(c *call) error {
	if c.route.Public {
		return nil
	}
	bearer, ok := strings.CutPrefix(c.r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(bearer) == "" {
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="orgplane"`)
		return problem.New(problem.Unauthenticated, "A bearer token is required.")
	}
	if bearer = strings.TrimSpace(bearer); apikeys.LooksLikeKey(bearer) {
		return s.admitKey(c, bearer)
	}
	p, err := s.Auth.Authenticate(c.ctx(), bearer)
	if err != nil {
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="orgplane", error="invalid_token"`)
		return err
	}
	c.principal = p
	if !c.route.OrgScoped() {
		return nil
	}
	org := c.r.PathValue("org")
	if !ids.Valid(ids.Organization, org) {
		return problem.NotFoundf("Organization")
	}
	c.orgID = org // the path's, for the route's reads; admission confirms it
	membership := c.reads.Membership(org, p.UserID)
	c.judge = func() error { return s.judgeMember(c, membership) }
	return nil
}

// judgeMember decides a signed-in caller's admission to the org of the path.
func (s *Server) judgeMember(c *call, membership func() (orgs.Member, orgs.Organization, error)) error {
	org, p := c.orgID, c.principal
	m, o, err := membership()
	// A deleting org answers only the route that finishes deleting it, so
	// an owner can resume a purge that was cut short.
	gone := o.Status != orgs.OrgActive && !(o.Status == orgs.OrgDeleting && c.route.WhileDeleting)
	if errors.Is(err, ddb.ErrNotFound) || (err == nil && (m.Status != orgs.StatusActive || gone)) {
		if c.route.Writes {
			// A new user's first request still provisions them.
			if _, _, err := s.Store.EnsureUser(c.ctx(), p); err != nil {
				return err
			}
		}
		return problem.NotFoundf("Organization")
	}
	if err != nil {
		return err
	}
	// Custom roles came with the org item: a permission change applies on
	// the very next request, with no cache to go stale.
	role, ok := o.Role(m.RoleAt(c.at))
	if !ok {
		return fmt.Errorf("api: member %s of %s has unknown role %q", m.UserID, org, m.Role)
	}
	// c.orgID is the path's already: a list's Query reads it meanwhile
	// (alongside), so admission does not write it.
	c.org, c.member, c.role = o, m, role
	if c.route.Permission != "" && !role.Can(c.route.Permission) {
		return problem.New(problem.Forbidden, "Your role %q lacks the permission %q.", role.ID, c.route.Permission)
	}
	return nil
}
