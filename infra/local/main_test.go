package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/infra/local/runner"
	"github.com/orgplane/orgplane/shared/app/web"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/triggers"
)

// stackChildEnv, when set, makes the test binary run main instead of the
// tests: the smoke test starts the whole stack that way.
const stackChildEnv = "ORGPLANE_LOCAL_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(stackChildEnv) == "1" {
		main()
		os.Exit(0)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ddbtest.Main(m)
}

// devServer is the local server (API and dev endpoints) over a fresh
// table, wired as run wires it, with test schedules.
type devServer struct {
	URL       string
	jwksFetch atomic.Int32 // GETs of the JWKS, by the verifier or anyone
}

// testSchedules are the schedules the dev servers of these tests run.
var testSchedules = []triggers.Schedule{{Name: "ok-job"}, {Name: "failing-job"}}

func newDevServer(t *testing.T) *devServer {
	t.Helper()
	_, tableName := ddbtest.NewTable(t)
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	cfg.TableName, cfg.DynamoDBEndpoint, cfg.SMTPAddr = tableName, ddbtest.Endpoint(t), "127.0.0.1:1"
	cfg.AppURL, cfg.Root = cfg.baseURL(), t.TempDir()
	for k := range cfg.appEnv() { // newApp sets them; restore them after the test
		t.Setenv(k, "")
	}
	for _, k := range secretEnvs {
		t.Setenv(k, "")
	}

	env, err := localEnv(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(t.Context(), env)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	issuer, err := auth.NewDevIssuer(cfg.baseURL(), cfg.Audience)
	if err != nil {
		t.Fatal(err)
	}
	schedules := &runner.Scheduler{
		Schedules: testSchedules,
		Handler: func(s triggers.Schedule) triggers.ScheduleHandler {
			return func(context.Context, events.EventBridgeEvent) error {
				if s.Name == "failing-job" {
					return errors.New("job failed")
				}
				return nil
			}
		},
	}
	db := ddbtest.Client(t)
	s := &devServer{URL: cfg.baseURL()}
	h := newDevAPI(issuer, db, tableName, schedules).handler(web.API(a, web.Exports).Mux())
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == jwksPath {
			s.jwksFetch.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

// do sends a request and decodes a JSON body into out (if not nil),
// returning the status and content type.
func (s *devServer) do(t *testing.T, method, path, contentType, body, bearer string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: decoding %q: %v", method, path, resp.StatusCode, resp.Header.Get("Content-Type"), b, err)
		}
	}
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

// mustToken gets a dev token for the email.
func (s *devServer) mustToken(t *testing.T, email string) string {
	t.Helper()
	var got struct{ Token string }
	status, _ := s.do(t, "POST", tokenPath, "application/json", `{"email":"`+email+`"}`, "", &got)
	if status != http.StatusOK || got.Token == "" {
		t.Fatalf("POST %s: %d, token %q", tokenPath, status, got.Token)
	}
	return got.Token
}

// problemBody is the problem+json fields the tests look at.
type problemBody struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Errors []struct {
		Field string `json:"field"`
	} `json:"errors"`
}
