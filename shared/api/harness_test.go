package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/apispec"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/bucket"
	"github.com/orgplane/orgplane/shared/cursor"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddbtest"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

const (
	testIssuer   = "https://issuer.test"
	testAudience = "orgplane-test"
)

// env is one API over a fresh table, served over real HTTP.
type env struct {
	srv    *httptest.Server
	issuer *auth.DevIssuer
	spec   *apispec.Spec
	calls  *ddbtest.Counter
	store  *ddb.Store
	db     *dynamodb.Client // uncounted, for reading the table behind the API's back
	// faults, when set, injects DynamoDB faults: a 503 service_unavailable
	// with Retry-After is then an expected answer, any other 5xx still a bug.
	faults *ddbtest.Faults
	tokens sync.Map
	// exports is the export bucket on a local S3 server that reads the
	// env's clock (presigned links expire by it).
	exports *bucket.Bucket
}

func newEnv(tb testing.TB) *env { return newEnvAt(tb, time.Now) }

// newEnvAt is newEnv with the server's and store's clock injected.
func newEnvAt(tb testing.TB, now func() time.Time) *env {
	return newEnvOn(tb, now, func(calls *ddbtest.Counter) *dynamodb.Client { return ddbtest.NewCountingClient(tb, calls) })
}

// newFaultEnv is newEnv whose store's DynamoDB calls go through faults.
func newFaultEnv(tb testing.TB, faults *ddbtest.Faults) *env {
	e := newEnvOn(tb, time.Now, func(calls *ddbtest.Counter) *dynamodb.Client { return ddbtest.NewFaultyClient(tb, faults, calls) })
	e.faults = faults
	return e
}

// tokenCacheSize is the verifier's token cache in envs built from now on:
// none in tests, web.TokenCacheSize in benchmarks (as functions run).
var tokenCacheSize = 0

// newEnvOn is newEnvAt with the store's client made by client.
func newEnvOn(tb testing.TB, now func() time.Time, client func(*ddbtest.Counter) *dynamodb.Client) *env {
	tb.Helper()
	db, tableName := ddbtest.NewTable(tb)
	calls := &ddbtest.Counter{}
	store := ddb.New(client(calls), tableName)
	store.Now = now
	issuer, err := auth.NewDevIssuer(testIssuer, testAudience)
	if err != nil {
		tb.Fatal(err)
	}
	exports := newTestExports(tb, now)
	s := &api.Server{
		Exports:      exports,
		Store:        store,
		Auth:         &auth.Verifier{Issuer: testIssuer, Audience: testAudience, Keys: issuer, CacheSize: tokenCacheSize},
		Cursors:      cursor.Codec{Secret: []byte("test-secret-test-secret-test-secret")},
		Now:          now,
		InviteSecret: testInviteSecret,
	}
	e := &env{srv: httptest.NewServer(s.Mux()), issuer: issuer, spec: apispec.Load(tb), calls: calls, store: store, db: db, exports: exports}
	tb.Cleanup(e.srv.Close)
	return e
}

// token signs an ID token for the email (cached per email).
func (e *env) token(t testing.TB, email string) string {
	t.Helper()
	if tok, ok := e.tokens.Load(email); ok {
		return tok.(string)
	}
	tok, err := e.issuer.Token(email, strings.Split(email, "@")[0], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.tokens.Store(email, tok)
	return tok
}

type resp struct {
	Status int
	Header http.Header
	Raw    []byte
}

// JSON decodes the body into a generic map.
func (r resp) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Raw, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Raw)
	}
	return m
}

// as decodes the body into a typed value, so a test that asserts on a
// field cannot pass on a misspelled name.
func as[T any](t testing.TB, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Raw, &v); err != nil {
		t.Fatalf("body does not decode into %T: %v: %s", v, err, r.Raw)
	}
	return v
}

// isNull reports whether a response object holds field as null: a
// misspelled or missing field is not null, so an "is cleared" check
// cannot pass by accident.
func isNull(m map[string]any, field string) bool {
	v, ok := m[field]
	return ok && v == nil
}

// decode unmarshals the body into a typed struct.
func (r resp) decode(v any) error { return json.Unmarshal(r.Raw, v) }

func (r resp) Str(t testing.TB, field string) string {
	t.Helper()
	v, _ := r.JSON(t)[field].(string)
	return v
}

func (r resp) Code(t testing.TB) string { return r.Str(t, "code") }

func (r resp) Data(t testing.TB) []map[string]any {
	t.Helper()
	var l struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r.Raw, &l); err != nil {
		t.Fatalf("not a list: %v", err)
	}
	return l.Data
}

// call sends a request as the user with email (no auth when email is "")
// and checks the response against openapi.yaml. body may be a string
// (sent as is) or any value (sent as JSON).
func (e *env) call(t testing.TB, email, method, path string, body any, headers ...string) resp {
	t.Helper()
	var rd io.Reader
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if email != "" {
		req.Header.Set("Authorization", "Bearer "+e.token(t, email))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Header: res.Header, Raw: out}
	if r.Status >= 500 && !(e.faults != nil && transient(r)) {
		t.Errorf("%s %s → %d (a 5xx is a bug): %s", method, path, r.Status, out)
	}
	if e.spec == nil { // benchmarks measure the API, not the validator
		return r
	}
	if _, known := e.spec.Find(req); known {
		e.spec.ValidateResponse(t, req, r.Status, r.Header, r.Raw)
	}
	return r
}

// transient reports whether r is the answer to a DynamoDB fault the API
// may give: 503 service_unavailable with a Retry-After.
func transient(r resp) bool {
	var p struct {
		Code string `json:"code"`
	}
	return r.Status == 503 && json.Unmarshal(r.Raw, &p) == nil && p.Code == "service_unavailable" && r.Header.Get("Retry-After") != ""
}

// must is call that fails the test unless the status is want.
func (e *env) must(t testing.TB, want int, email, method, path string, body any, headers ...string) resp {
	t.Helper()
	r := e.call(t, email, method, path, body, headers...)
	if r.Status != want {
		t.Fatalf("%s %s → %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r
}

// newOrg creates an org owned by email and returns its id and slug.
func (e *env) newOrg(t testing.TB, email, name string) (string, string) {
	t.Helper()
	r := e.must(t, 201, email, "POST", "/organizations", map[string]any{"name": name})
	return r.Str(t, "id"), r.Str(t, "slug")
}

// userID is the id the API gives the test user with email.
func userID(email string) string { return auth.UserID(testIssuer, strings.ToLower(email)) }
