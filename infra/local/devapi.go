package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orgplane/orgplane/infra/local/runner"
	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/problem"
)

// Paths of the local stack's own endpoints. None is in api.Routes: they
// are never deployed (a test checks).
const (
	healthPath      = "/health"
	tokenPath       = "/dev/token"
	jwksPath        = "/.well-known/jwks.json"
	discoveryPath   = "/.well-known/openid-configuration"
	runSchedulePath = "/dev/schedules/{name}/run"
)

// devTokenTTL is how long a dev token lives. The issuer's key is new on
// every start, so tokens never outlive the stack anyway.
const devTokenTTL = 12 * time.Hour

// devAPI serves the local stack's endpoints beside the API: health, the
// dev OIDC issuer (tokens, JWKS, discovery) and on-demand schedule runs.
type devAPI struct {
	issuer *auth.DevIssuer
	// ping reports whether the table answers.
	ping      func(context.Context) error
	schedules interface {
		RunNow(ctx context.Context, name string) (runner.Run, error)
	}
}

func newDevAPI(issuer *auth.DevIssuer, db *dynamodb.Client, tableName string, schedules *runner.Scheduler) *devAPI {
	return &devAPI{
		issuer:    issuer,
		schedules: schedules,
		ping: func(ctx context.Context) error {
			_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tableName)})
			return err
		},
	}
}

// handler serves the dev endpoints and hands every other request to api.
func (d *devAPI) handler(routes http.Handler) http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET "+healthPath, d.health)
	m.HandleFunc("POST "+tokenPath, d.token)
	m.HandleFunc("GET "+jwksPath, d.jwks)
	m.HandleFunc("GET "+discoveryPath, d.discovery)
	m.HandleFunc("POST "+runSchedulePath, d.runSchedule)
	// As in the API: wrong methods get a problem, not ServeMux's text.
	for _, p := range []string{healthPath, tokenPath, jwksPath, discoveryPath, runSchedulePath} {
		m.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			api.WriteProblem(w, r, problem.New(problem.MethodNotAllowed, "Method %s is not allowed here.", r.Method))
		})
	}
	m.Handle("/", routes)
	return m
}

// health is 200 when the table answers DescribeTable, 503 otherwise.
func (d *devAPI) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := d.ping(ctx); err != nil {
		slog.WarnContext(r.Context(), "health: the table does not answer", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type tokenRequest struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// token issues a dev ID token for an email address.
func (d *devAPI) token(w http.ResponseWriter, r *http.Request) {
	var in tokenRequest
	if err := decodeStrict(w, r, &in); err != nil {
		api.WriteProblem(w, r, err)
		return
	}
	if err := in.validate(); err != nil {
		api.WriteProblem(w, r, err)
		return
	}
	tok, err := d.issuer.Token(in.Email, strings.TrimSpace(in.Name), devTokenTTL)
	if err != nil {
		api.WriteProblem(w, r, fmt.Errorf("dev token: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

func (in tokenRequest) validate() error {
	var fields []problem.FieldError
	addr, err := mail.ParseAddress(in.Email)
	switch {
	case in.Email == "":
		fields = append(fields, problem.FieldError{Field: "email", Message: "is required"})
	case err != nil || addr.Address != in.Email || len(in.Email) > 254:
		fields = append(fields, problem.FieldError{Field: "email", Message: "must be an email address such as ada@example.com"})
	}
	if n := utf8.RuneCountInString(in.Name); n > 100 || strings.ContainsFunc(in.Name, isControl) {
		fields = append(fields, problem.FieldError{Field: "name", Message: "must be at most 100 characters, without control characters"})
	}
	return problem.Fields(fields)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func (d *devAPI) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, d.issuer.JWKS())
}

// discovery is the OpenID Provider metadata, for tools that start there.
func (d *devAPI) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                d.issuer.Issuer,
		"jwks_uri":                              d.issuer.Issuer + jwksPath,
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"subject_types_supported":               []string{"public"},
		"response_types_supported":              []string{"id_token"},
	})
}

// runSchedule runs a scheduled job now, through the scheduler's own path.
func (d *devAPI) runSchedule(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	run, err := d.schedules.RunNow(r.Context(), name)
	switch {
	case errors.Is(err, runner.ErrUnknownSchedule):
		api.WriteProblem(w, r, problem.New(problem.NotFound, "No schedule is named %q.", name))
	case err != nil:
		api.WriteProblem(w, r, fmt.Errorf("schedule %s: %w", name, err)) // a 500; the log holds the cause
	default:
		writeJSON(w, http.StatusOK, run)
	}
}

// maxDevBody bounds dev request bodies, as the API bounds its own.
const maxDevBody = 64 << 10

// decodeStrict reads one JSON object into dst: unknown fields, wrong
// types, trailing data and other media types are 4xx problems.
func decodeStrict(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem.New(problem.UnsupportedMedia, "Send the body as application/json.")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDevBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return problem.New(problem.TooLarge, "The body is larger than %d bytes.", tooBig.Limit)
		}
		return problem.New(problem.BadRequest, "The body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.New(problem.BadRequest, "A JSON object body is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return problem.Field(typeErr.Field, "has the wrong type")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return problem.Field(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a field you can set here")
		}
		return problem.New(problem.BadRequest, "The body must be one JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.BadRequest, "The body must hold exactly one JSON object.")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
