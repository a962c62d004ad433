package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/orgplane/orgplane/shared/problem"
)

// decode reads a JSON object body strictly into dst: unknown fields (which
// include every server-owned field such as id, plan or counters), trailing
// data, wrong types and bodies over the limit are all 4xx.
func decode(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem.New(problem.UnsupportedMedia, "Send the body as application/json.")
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return problem.New(problem.TooLarge, "The body is larger than %d bytes.", tooBig.Limit)
		}
		return problem.New(problem.BadRequest, "The body could not be read.")
	}
	return decodeBytes(body, dst)
}

// decodeBytes is decode without the transport: the fuzz target's entry.
func decodeBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.New(problem.BadRequest, "A JSON object body is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.BadRequest, "The body must hold exactly one JSON object.")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var fieldErr *problem.Error
	switch {
	case errors.As(err, &fieldErr):
		return fieldErr
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return problem.New(problem.BadRequest, "The body must be a JSON object.")
		}
		return problem.Field(field, fmt.Sprintf("must be a %s", jsonKind(typeErr.Type.Kind().String())))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return problem.New(problem.BadRequest, "The body is not valid JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return problem.Field(name, "is not a field you can set here")
	}
	return problem.New(problem.BadRequest, "The body could not be decoded.")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "array"
	default:
		return "number"
	}
}

// Optional is a PATCH field: absent, null, or a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	// Strict inside too: an object value must not smuggle unknown fields.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.Value)
}

// query checks a request's query string: only the named parameters, each
// at most once.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, problem.New(problem.BadRequest, "The query string is malformed.")
	}
	var fields []problem.FieldError
	for k, v := range q {
		switch {
		case !contains(allowed, k):
			fields = append(fields, problem.FieldError{Field: k, Message: "is not a known query parameter"})
		case len(v) > 1:
			fields = append(fields, problem.FieldError{Field: k, Message: "may be given once"})
		}
	}
	return q, problem.Fields(fields)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// page is a list request's limit and cursor.
type page struct {
	Limit  int
	Cursor string
}

func pageOf(q url.Values) (page, error) {
	p := page{Limit: 20, Cursor: q.Get("cursor")}
	if s, ok := q["limit"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 1 || n > 100 {
			return p, problem.Field("limit", "must be an integer from 1 to 100")
		}
		p.Limit = n
	}
	if _, ok := q["cursor"]; ok && p.Cursor == "" {
		return p, problem.New(problem.InvalidCursor, "The cursor is empty.")
	}
	return p, nil
}

// ifMatch returns the version named by If-Match, 0 when absent.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v < 1 {
		return 0, problem.New(problem.VersionConflict, "If-Match does not name a version of this resource.")
	}
	return v, nil
}
