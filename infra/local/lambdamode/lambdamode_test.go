package lambdamode_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/infra/local/lambdamode"
	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/repo"
	"github.com/orgplane/orgplane/shared/triggers"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

const (
	issuer   = "https://issuer.orgplane.test"
	audience = "orgplane-lambda-mode"
)

// The three real functions the test builds and runs: an HTTP read, an
// HTTP write and a stream consumer.
const (
	readRoute  = "get-organization"
	writeRoute = "create-organization"
	consumer   = "create-wallet"
)

// lambdaStack is the three functions under the emulator over a fresh
// table, the front before them, and the values the fixtures need.
type lambdaStack struct {
	mode *lambdamode.Mode
	api  *httptest.Server
	root string
	vars map[string]string
}

func newLambdaStack(t *testing.T) *lambdaStack {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	if err := lambdamode.Build(t.Context(), root, readRoute, writeRoute, consumer); err != nil {
		t.Fatal(err)
	}
	_, table := ddbtest.NewTable(t)
	dev, err := auth.NewDevIssuer(issuer, audience)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(dev.JWKS())
	}))
	t.Cleanup(jwks.Close)

	var lists deploy.Lists
	for _, r := range api.Routes {
		if r.Name == readRoute || r.Name == writeRoute {
			lists.Routes = append(lists.Routes, r)
		}
	}
	c, ok := triggers.FindStream(consumer)
	if !ok || len(lists.Routes) != 2 {
		t.Fatalf("the lists lack %s, %s or %s", readRoute, writeRoute, consumer)
	}
	lists.StreamConsumers = []triggers.StreamConsumer{c}

	mode, err := lambdamode.New(lists, lambdamode.Options{
		Emulator:     filepath.Join(root, lambdamode.EmulatorPath),
		FunctionsDir: filepath.Join(root, lambdamode.FunctionsDirPath),
		Log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		Output:       io.Discard,
	}, map[string]string{
		deploy.EnvTableName:         table,
		deploy.EnvDynamoDBEndpoint:  ddbtest.Endpoint(t),
		deploy.EnvOIDCIssuer:        issuer,
		deploy.EnvOIDCJWKSURL:       jwks.URL,
		deploy.EnvOIDCAudience:      audience,
		deploy.EnvCursorSecret:      strings.Repeat("c", 64),
		deploy.EnvInviteTokenSecret: strings.Repeat("i", 64),
		deploy.EnvAppURL:            "https://app.orgplane.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mode.Stop)
	srv := httptest.NewServer(mode.API)
	t.Cleanup(srv.Close)

	token, err := dev.Token("ada@example.com", "Ada Lovelace", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &lambdaStack{mode: mode, api: srv, root: root, vars: map[string]string{"TOKEN": token}}
}

var placeholder = regexp.MustCompile(`\{\{[A-Z_]+\}\}`)

// fixture reads events/<name> with its placeholders filled.
func (s *lambdaStack) fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range s.vars {
		b = bytes.ReplaceAll(b, []byte("{{"+k+"}}"), []byte(v))
	}
	if left := placeholder.Find(b); left != nil {
		t.Fatalf("%s: no value for %s", name, left)
	}
	return b
}

// invoke sends an API fixture straight to its function's emulator, as
// `sam local invoke -e` does, and decodes the function's response.
func (s *lambdaStack) invoke(t *testing.T, function, fixture string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, err := s.mode.Invoke(t.Context(), function, s.fixture(t, fixture))
	if err != nil {
		t.Fatalf("%s: %v", function, err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s: response %s: %v", function, out, err)
	}
	return resp
}

// call sends a request through the front and decodes a JSON body.
func (s *lambdaStack) call(t *testing.T, method, path, body string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.vars["TOKEN"])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp
}

type organization struct {
	ID           string `json:"id"`
	Slug         string `json:"slug"`
	WalletStatus string `json:"wallet_status"`
	Code         string `json:"code"` // of a problem
}

// TestFunctionsUnderEmulator builds three real functions, runs them under
// the emulator against DynamoDB Local, and drives them with the events/
// fixtures and through the HTTP API front.
func TestFunctionsUnderEmulator(t *testing.T) {
	s := newLambdaStack(t)

	t.Run("WriteFromFixture", func(t *testing.T) {
		resp := s.invoke(t, writeRoute, "api-create-organization.json")
		var org organization
		if err := json.Unmarshal([]byte(resp.Body), &org); err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST /organizations: %d %s", resp.StatusCode, resp.Body)
		}
		if !strings.HasPrefix(org.ID, "org_") || org.Slug != "acme-robotics" {
			t.Fatalf("organization %+v", org)
		}
		s.vars["ORG_ID"] = org.ID
	})
	t.Run("ErrSlugTakenThroughFront", func(t *testing.T) {
		var p organization
		resp := s.call(t, "POST", "/organizations", `{"name":"Acme Robotics","slug":"acme-robotics"}`, &p)
		if resp.StatusCode != http.StatusConflict || p.Code != "slug_taken" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%d %s %+v, want 409 slug_taken problem", resp.StatusCode, resp.Header.Get("Content-Type"), p)
		}
	})
	t.Run("ReadFromFixture", func(t *testing.T) {
		if s.vars["ORG_ID"] == "" {
			t.Skip("no organization was created")
		}
		resp := s.invoke(t, readRoute, "api-get-organization.json")
		var org organization
		if err := json.Unmarshal([]byte(resp.Body), &org); err != nil || resp.StatusCode != http.StatusOK || org.ID != s.vars["ORG_ID"] {
			t.Fatalf("GET /organizations/{org}: %d %s", resp.StatusCode, resp.Body)
		}
		if org.WalletStatus != "missing" {
			t.Errorf("wallet_status %q before the consumer ran, want missing", org.WalletStatus)
		}
	})
	t.Run("StreamFromFixture", func(t *testing.T) {
		if s.vars["ORG_ID"] == "" {
			t.Skip("no organization was created")
		}
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(s.fixture(t, "stream-organization-insert.json"), &ev); err != nil {
			t.Fatal(err)
		}
		c, _ := triggers.FindStream(consumer)
		for range 2 { // redelivered: still one wallet, no failures
			resp, err := s.mode.Stream(c)(t.Context(), ev)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("%s: %+v, %v", consumer, resp, err)
			}
		}
	})
	t.Run("ReadThroughFront", func(t *testing.T) {
		if s.vars["ORG_ID"] == "" {
			t.Skip("no organization was created")
		}
		var org organization
		resp := s.call(t, "GET", "/organizations/"+s.vars["ORG_ID"], "", &org)
		if resp.StatusCode != http.StatusOK || org.ID != s.vars["ORG_ID"] || resp.Header.Get("ETag") == "" {
			t.Fatalf("%d %+v ETag %q", resp.StatusCode, org, resp.Header.Get("ETag"))
		}
		if org.WalletStatus != "active" {
			t.Errorf("wallet_status %q after the consumer ran, want active", org.WalletStatus)
		}
	})
	t.Run("ErrNoRoute", func(t *testing.T) {
		var msg struct{ Message string }
		if resp := s.call(t, "DELETE", "/organizations/x", "", &msg); resp.StatusCode != http.StatusNotFound || msg.Message != "Not Found" {
			t.Fatalf("%d %+v, want API Gateway's 404", resp.StatusCode, msg)
		}
	})
	t.Run("WarmAndOwnProcesses", func(t *testing.T) {
		running := s.mode.Running()
		names := slices.Sorted(maps.Keys(running))
		if want := slices.Sorted(slices.Values([]string{consumer, writeRoute, readRoute})); !slices.Equal(names, want) {
			t.Fatalf("running %v, want %v", names, want)
		}
		pids := map[int]bool{}
		for _, pid := range running {
			pids[pid] = true
		}
		if len(pids) != 3 {
			t.Errorf("emulator pids %v: want one process per function", running)
		}
	})
}

// TestEnv: a function gets what the CDK stack gives it, the local
// endpoints, and Lambda's own variables; a missing required value fails.
func TestEnv(t *testing.T) {
	fns := deploy.Current().MustAll()
	values := map[string]string{deploy.EnvDynamoDBEndpoint: "http://127.0.0.1:8000", deploy.EnvSMTPAddr: "127.0.0.1:1025",
		deploy.EnvS3Endpoint: "http://127.0.0.1:9000"}
	for _, k := range append(deploy.CommonEnv, deploy.EnvMailFrom, deploy.EnvExportBucket) {
		values[k] = "v-" + k
	}
	for _, f := range fns {
		env, err := lambdamode.Env(f, values)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, kv := range env {
			k, _, _ := strings.Cut(kv, "=")
			got[k] = true
		}
		for _, k := range append(f.Env(), f.LocalEnv()...) {
			if !got[k] {
				t.Errorf("%s lacks %s", f.Name, k)
			}
		}
		if got[deploy.EnvMailFrom] != f.SendsEmail || got[deploy.EnvSMTPAddr] != f.SendsEmail {
			t.Errorf("%s: mail variables set %v/%v, sends email %v", f.Name, got[deploy.EnvMailFrom], got[deploy.EnvSMTPAddr], f.SendsEmail)
		}
		exports := f.Exports != deploy.NoExports
		if got[deploy.EnvExportBucket] != exports || got[deploy.EnvS3Endpoint] != exports {
			t.Errorf("%s: export variables set %v/%v, touches exports %v", f.Name, got[deploy.EnvExportBucket], got[deploy.EnvS3Endpoint], exports)
		}
		if !got["AWS_REGION"] || got[deploy.EnvAppIdleTimeout] {
			t.Errorf("%s: env %v", f.Name, env)
		}
	}
	delete(values, deploy.EnvTableName)
	if _, err := lambdamode.Env(fns[0], values); err == nil || !strings.Contains(err.Error(), deploy.EnvTableName) {
		t.Errorf("err = %v, want one naming %s", err, deploy.EnvTableName)
	}
}

func TestErrNoEmulator(t *testing.T) {
	_, err := lambdamode.New(deploy.Lists{}, lambdamode.Options{Emulator: filepath.Join(t.TempDir(), "aws-lambda-rie")}, nil)
	if err == nil || !strings.Contains(err.Error(), "make lambda-host") {
		t.Fatalf("err = %v, want one saying how to install the emulator", err)
	}
}
