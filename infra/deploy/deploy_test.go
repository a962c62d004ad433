package deploy_test

import (
	"strings"
	"testing"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/app"
)

// TestCommonEnvSatisfiesApp: the variables the deploy descriptions give
// every function are what app.FromEnv requires, so a new required
// variable fails here before it fails a deployed function at init.
func TestCommonEnvSatisfiesApp(t *testing.T) {
	values := map[string]string{
		deploy.EnvOIDCIssuer:   "https://issuer.example.com",
		deploy.EnvOIDCJWKSURL:  "https://issuer.example.com/jwks",
		deploy.EnvAppURL:       "https://app.example.com",
		deploy.EnvOIDCAudience: "client",
	}
	set := func(except string) {
		for _, k := range deploy.CommonEnv {
			v, ok := values[k]
			if !ok {
				v = strings.Repeat("x", 64) // names, secrets: any long value
			}
			if k == except {
				v = ""
			}
			t.Setenv(k, v)
		}
	}
	// Nothing outside CommonEnv may leak in from the test's environment.
	for _, k := range []string{deploy.EnvDynamoDBEndpoint, deploy.EnvSMTPAddr, deploy.EnvMailFrom, deploy.EnvAppIdleTimeout} {
		t.Setenv(k, "")
	}

	set("")
	if _, err := app.FromEnv(); err != nil {
		t.Fatalf("app.FromEnv with deploy.CommonEnv: %v (add what it needs to CommonEnv, the stack and template.yaml)", err)
	}
	for _, k := range deploy.CommonEnv {
		if k == deploy.EnvOIDCJWKSURL || k == deploy.EnvAppURL {
			continue // optional: derived from the issuer, defaulted
		}
		t.Run(k, func(t *testing.T) {
			set(k)
			if _, err := app.FromEnv(); err == nil || !strings.Contains(err.Error(), k) {
				t.Fatalf("app.FromEnv without %s: err = %v; is it still required?", k, err)
			}
		})
	}
}

func TestListsAreValid(t *testing.T) {
	for _, l := range []deploy.Lists{deploy.Current(), deploy.Current().WithSampleTriggers()} {
		fns, err := l.All()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fns {
			if f.ID() == "" || strings.Contains(f.ID(), "-") {
				t.Errorf("%s: ID %q", f.Name, f.ID())
			}
		}
	}
}

func TestAllRejects(t *testing.T) {
	l := deploy.Current()
	l.Routes = append(l.Routes[:1:1], l.Routes[0])
	if _, err := l.All(); err == nil || !strings.Contains(err.Error(), l.Routes[0].Name) {
		t.Errorf("duplicate name: err = %v", err)
	}
	l = deploy.Current()
	l.Routes = l.Routes[:1:1]
	l.Routes[0].Name = "Get_Me"
	if _, err := l.All(); err == nil {
		t.Error("a name that is not kebab-case was accepted")
	}
}

func TestGroups(t *testing.T) {
	route := func(name, path string) api.Route { return api.Route{Name: name, Method: "GET", Path: path} }
	l := deploy.Lists{Routes: []api.Route{
		route("get-me", "/me"),
		route("list-projects", "/organizations/{org}/projects"),
		route("get-project", "/organizations/{org}/projects/{project}"),
		route("list-apps", "/organizations/{org}/apps"),
		route("get-app", "/organizations/{org}/apps/{app}"),
		route("stop-app", "/organizations/{org}/apps/{app}/stop"),
		route("get-org", "/organizations/{org}"),
	}}
	names := func(gs []deploy.Group) string {
		var out []string
		for _, g := range gs {
			var fns []string
			for _, f := range g.Functions {
				fns = append(fns, f.Name)
			}
			out = append(out, g.Name+":"+strings.Join(fns, ","))
		}
		return strings.Join(out, " ")
	}
	for _, tt := range []struct {
		name string
		max  int
		want string
	}{
		// Areas in order of first appearance, each whole: me, projects, apps, organizations.
		{"OneGroup", 25, "Me:get-me,list-projects,get-project,list-apps,get-app,stop-app,get-org"},
		{"WholeAreas", 3, "Me:get-me,list-projects,get-project Apps:list-apps,get-app,stop-app Organizations:get-org"},
		{"AreaSplit", 2, "Me:get-me Projects:list-projects,get-project Apps1:list-apps,get-app Apps2:stop-app,get-org"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(deploy.Groups(l.MustAll(), tt.max)); got != tt.want {
				t.Errorf("groups\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
