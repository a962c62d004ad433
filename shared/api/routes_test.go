package api_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/apispec"
)

var functionName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// TestRouteListMatchesOpenAPI: every route is in openapi.yaml under its
// function name, and openapi.yaml has no operation without a route.
func TestRouteListMatchesOpenAPI(t *testing.T) {
	spec := apispec.Load(t)
	ops := map[string]apispec.Operation{}
	for _, op := range spec.Operations() {
		ops[op.ID] = op
	}
	names, patterns := map[string]bool{}, map[string]bool{}
	for _, rt := range api.Routes {
		if !functionName.MatchString(rt.Name) || len(rt.Name) > 48 {
			t.Errorf("route name %q is not a short kebab-case function name", rt.Name)
		}
		if names[rt.Name] || patterns[rt.Pattern()] {
			t.Errorf("route %s (%s) is listed twice", rt.Name, rt.Pattern())
		}
		names[rt.Name], patterns[rt.Pattern()] = true, true
		op, ok := ops[rt.Name]
		if !ok {
			t.Errorf("route %s (%s) is missing from openapi.yaml", rt.Name, rt.Pattern())
			continue
		}
		if op.Method != rt.Method || op.Path != rt.Path {
			t.Errorf("openapi.yaml has %s as %s %s, the route list as %s", rt.Name, op.Method, op.Path, rt.Pattern())
		}
		if rt.Method == http.MethodGet && rt.Writes && !rt.OrgScoped() && rt.Path != "/me" && rt.Path != "/me/organizations" {
			t.Errorf("GET route %s writes; only first-request provisioning may", rt.Name)
		}
	}
	for id, op := range ops {
		if !names[id] {
			t.Errorf("openapi.yaml documents %s (%s %s) but no route serves it", id, op.Method, op.Path)
		}
	}
}

// TestEveryRouteHasAHandler builds each route's single-route handler, as
// its Lambda function does.
func TestEveryRouteHasAHandler(t *testing.T) {
	s := &api.Server{}
	for _, rt := range api.Routes {
		if _, err := s.Handler(rt.Name); err != nil {
			t.Errorf("%s: %v", rt.Name, err)
		}
	}
	if _, err := s.Handler("no-such-route"); err == nil {
		t.Error("an unknown route name built a handler")
	}
}

// handlerForbids are the routes whose handler answers 403 beyond the
// route's permission (project ownership, private apps, role levels, the
// invitee's address).
var handlerForbids = map[string]bool{
	"update-project": true, "delete-project": true, "access-app": true, "update-member": true,
	"remove-member": true, "create-invitation": true, "revoke-invitation": true, "resend-invitation": true,
	"accept-invitation": true, "decline-invitation": true,
}

// TestForbiddenIsDocumentedWhereItCanHappen: openapi.yaml documents 403 on
// exactly the routes that can answer it: those that need a permission (a
// custom role may hold none), those whose handler forbids more, and every
// route an API key may not call (all but the public and catalog ones).
func TestForbiddenIsDocumentedWhereItCanHappen(t *testing.T) {
	doc := apispec.Load(t).Doc()
	for _, rt := range api.Routes {
		op := doc.Paths.Find(rt.Path).GetOperation(rt.Method)
		if op == nil {
			continue // TestRouteListMatchesOpenAPI reports it
		}
		// A custom role may hold no permission at all, so any route that
		// needs one can answer 403; and an API key gets 403 on every
		// authenticated route but the catalogs.
		can := rt.Permission != "" || handlerForbids[rt.Name] || (!rt.Public && !rt.Catalog)
		if documented := op.Responses.Status(403) != nil; documented != can {
			t.Errorf("%s: 403 documented %v, can happen %v", rt.Name, documented, can)
		}
	}
}

// TestBodyMatchesOpenAPI: a route takes a body exactly when openapi.yaml
// documents one, and only such routes answer 413 and 415.
func TestBodyMatchesOpenAPI(t *testing.T) {
	doc := apispec.Load(t).Doc()
	for _, rt := range api.Routes {
		op := doc.Paths.Find(rt.Path).GetOperation(rt.Method)
		if op == nil {
			continue
		}
		if documented := op.RequestBody != nil; documented != rt.Body {
			t.Errorf("%s: Body %v, openapi.yaml request body %v", rt.Name, rt.Body, documented)
		}
		for _, s := range []int{413, 415} {
			if documented := op.Responses.Status(s) != nil; documented != rt.Body {
				t.Errorf("%s: Body %v, %d documented %v", rt.Name, rt.Body, s, documented)
			}
		}
	}
}

// TestPrefetchOnlyOnOrgReads: only a read-only GET in an org may run its
// handler before admission is decided (Route.Prefetch).
func TestPrefetchOnlyOnOrgReads(t *testing.T) {
	for _, rt := range api.Routes {
		if rt.Prefetch && (rt.Method != http.MethodGet || !rt.OrgScoped() || rt.Writes) {
			t.Errorf("%s is Prefetch but not a read-only GET in an org", rt.Name)
		}
	}
}
