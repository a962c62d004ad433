// Package apispec loads the repository's openapi.yaml (OpenAPI 3.1) for tests
// and checks real responses against it, so the spec stays the tested contract:
//
//	spec := apispec.Load(t)
//	rec := httptest.NewRecorder()
//	handler.ServeHTTP(rec, req)
//	spec.ValidateResponse(t, req, rec.Code, rec.Header(), rec.Body.Bytes())
//
// It is an ordinary (non-test) package so that any package's tests can import
// it; it must not import shared/api, whose own tests use it.
package apispec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/orgplane/orgplane/shared/repo"
)

// FileName is the spec's file name at the module root.
const FileName = "openapi.yaml"

// Spec is a loaded, validated openapi.yaml. It is safe for concurrent use
// by parallel tests.
type Spec struct {
	doc    *openapi3.T
	path   string
	router routers.Router
}

// Operation is one documented operation. ID is its operationId, which is the
// name of the Lambda function serving it; Path uses {name} wildcards exactly
// as shared/api routes do.
type Operation struct {
	ID     string
	Method string
	Path   string
}

func (o Operation) String() string { return o.ID + " (" + o.Method + " " + o.Path + ")" }

type loaded struct {
	spec *Spec
	err  error
}

var (
	cacheMu sync.Mutex
	cache   = map[string]loaded{}
)

// Load finds openapi.yaml at the root of the module holding the working
// directory (the nearest parent directory with a go.mod), parses it, resolves
// its references and validates it as an OpenAPI document. Any failure fails tb
// at once. The result is cached per file, so calling Load in every test is cheap.
func Load(tb testing.TB) *Spec {
	tb.Helper()
	path, err := specPath()
	if err != nil {
		tb.Fatalf("apispec: %v", err)
		return nil
	}
	cacheMu.Lock()
	l, ok := cache[path]
	if !ok {
		l.spec, l.err = LoadFile(path)
		cache[path] = l
	}
	cacheMu.Unlock()
	if l.err != nil {
		tb.Fatalf("apispec: %v", l.err)
		return nil
	}
	return l.spec
}

// LoadFile loads and validates the spec at path without caching.
func LoadFile(path string) (*Spec, error) {
	loader := openapi3.NewLoader()
	loader.Context = context.Background()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("%s is not a valid OpenAPI document: %w", path, err)
	}
	// The legacy router matches a request's URL against the document's
	// servers when it has any; tests call handlers at any host (httptest, a
	// bare path), so route on a copy without servers.
	unserved := *doc
	unserved.Servers = nil
	router, err := legacy.NewRouter(&unserved)
	if err != nil {
		return nil, fmt.Errorf("routing %s: %w", path, err)
	}
	return &Spec{doc: doc, path: path, router: router}, nil
}

// specPath is the openapi.yaml beside go.mod.
func specPath() (string, error) {
	root, err := repo.Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, FileName), nil
}

// Doc is the parsed document, for tests that inspect it directly. Do not
// modify it: it is shared.
func (s *Spec) Doc() *openapi3.T { return s.doc }

// Path is the file the spec was loaded from.
func (s *Spec) Path() string { return s.path }

// Operations lists every documented operation, sorted by path then method.
func (s *Spec) Operations() []Operation {
	var ops []Operation
	for path, item := range s.doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, Operation{ID: op.OperationID, Method: method, Path: path})
		}
	}
	slices.SortFunc(ops, func(a, b Operation) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return ops
}

// Operation returns the operation with the operationId.
func (s *Spec) Operation(id string) (Operation, bool) {
	for _, op := range s.Operations() {
		if op.ID == id {
			return op, true
		}
	}
	return Operation{}, false
}

// Find returns the operation serving req (by method and URL path).
func (s *Spec) Find(req *http.Request) (Operation, bool) {
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return Operation{}, false
	}
	// The router also matches a path whose parameter is empty
	// ("/organizations" for "/organizations/{org}"); such a path names no
	// operation.
	for _, v := range params {
		if v == "" {
			return Operation{}, false
		}
	}
	return Operation{ID: route.Operation.OperationID, Method: route.Method, Path: route.Path}, true
}

// bodyExcerptLen bounds how much of a body a failure message shows.
const bodyExcerptLen = 1500

// ValidateResponse fails tb (without stopping it) unless the response
// (status, header, body) to req is one openapi.yaml documents: req's method
// and path name an operation, the status is listed among its responses
// (there is no default response), the documented headers are present and
// well-formed, a response documented without content has an empty body, and
// a body's Content-Type and JSON match the documented schema.
// It reports whether the response conformed.
func (s *Spec) ValidateResponse(tb testing.TB, req *http.Request, status int, header http.Header, body []byte) bool {
	tb.Helper()
	if err := s.validateResponse(req, status, header, body); err != nil {
		tb.Errorf("apispec: response does not match %s\n%v\nbody: %s", FileName, err, excerpt(body))
		return false
	}
	return true
}

// CheckResponse is ValidateResponse's check alone: nil when the response
// conforms, else an error naming the operation, the status and the mismatch.
func (s *Spec) CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	return s.validateResponse(req, status, header, body)
}

func (s *Spec) validateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	if req == nil || req.URL == nil {
		return errors.New("no request given")
	}
	// Route on method and path only: a request built for a handler may carry
	// any host, scheme or query.
	routed := &http.Request{Method: req.Method, URL: &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath}, Header: req.Header}
	route, params, err := s.router.FindRoute(routed)
	if err != nil {
		return fmt.Errorf("%s %s: no documented operation: %v", req.Method, req.URL.Path, err)
	}
	op := route.Operation
	where := fmt.Sprintf("operation %s (%s %s), request %s %s, status %d",
		op.OperationID, route.Method, route.Path, req.Method, req.URL.Path, status)

	ref := op.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("%s: status %d is not documented; documented: %s",
			where, status, strings.Join(documentedStatuses(op), ", "))
	}
	if len(ref.Value.Content) == 0 && len(bytes.TrimSpace(body)) != 0 {
		return fmt.Errorf("%s: the response is documented without a body but has %d bytes", where, len(body))
	}

	if header == nil {
		header = http.Header{}
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true,
			SchemaValidationOptions: formatOptions,
		},
	}
	input.Options.WithCustomSchemaErrorFunc(schemaErrorMessage)
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// formatOptions asserts the string formats openapi.yaml uses that
// kin-openapi only annotates by default (it asserts date, date-time and byte
// itself).
var formatOptions = []openapi3.SchemaValidationOption{
	openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
	openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		if !u.IsAbs() || (u.Host == "" && u.Opaque == "") {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
		return nil
	})),
}

// schemaErrorMessage keeps kin-openapi's schema errors to one line each: its
// default message appends the whole failing schema and value as indented
// JSON, which for a top-level "property is missing" is the entire resource
// (the body excerpt is printed once anyway).
func schemaErrorMessage(err *openapi3.SchemaError) string {
	if err.Origin != nil {
		return "" // the default: the path, then the causes (themselves customized)
	}
	var b strings.Builder
	reason := err.Reason
	if reason == "" {
		reason = fmt.Sprintf("doesn't match schema %q", err.SchemaField)
	}
	// Errors of the JSON Schema 2020-12 validator name the path in their reason.
	if ptr := err.JSONPointer(); len(ptr) > 0 && !strings.HasPrefix(reason, "error at ") {
		fmt.Fprintf(&b, "Error at %q: ", "/"+strings.Join(ptr, "/"))
	}
	b.WriteString(reason)
	if _, isObject := err.Value.(map[string]any); !isObject && err.Value != nil {
		if v, jerr := json.Marshal(err.Value); jerr == nil {
			if len(v) > 200 {
				v = append(v[:200:200], "…"...)
			}
			fmt.Fprintf(&b, " (value %s)", v)
		}
	}
	return b.String()
}

func documentedStatuses(op *openapi3.Operation) []string {
	var codes []string
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

func excerpt(body []byte) string {
	if len(body) == 0 {
		return "(empty)"
	}
	if len(body) <= bodyExcerptLen {
		return string(body)
	}
	cut := bodyExcerptLen
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", body[:cut], len(body))
}
