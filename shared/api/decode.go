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
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orgplane/orgplane/shared/problem"
)

// decode reads the call's JSON object body strictly into dst. Only a route
// that declares Body may decode one; the others refuse any body but an
// empty one or {} before their handler runs (see refuseBody).
func (c *call) decode(dst any) error {
	if !c.route.Body {
		return fmt.Errorf("api: route %s decodes a body but does not declare Body", c.route.Name)
	}
	return decode(c.r, dst)
}

// decode reads a JSON object body strictly into dst: a body that is not an
// object (null, an array, a scalar), invalid UTF-8, unknown fields (which
// include every server-owned field such as id, plan or counters), field
// names in another case, duplicate keys at any depth, null where dst has no
// Optional, trailing data, wrong types and bodies over the limit are all 4xx.
func decode(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem.New(problem.UnsupportedMedia, "Send the body as application/json.")
		}
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeBytes(body, dst)
}

// refuseBody answers a route that takes no body: an empty body or {} is
// fine, anything else is 400 (so {"force":true} is refused, not ignored).
func refuseBody(r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		// Too large included: for a route without a body that is bad input.
		return problem.New(problem.BadRequest, "This operation takes no body.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var none struct{}
	return decodeBytes(body, &none)
}

// readBody reads the whole body within the limit the middleware set.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, problem.New(problem.TooLarge, "The body is larger than %d bytes.", tooBig.Limit)
		}
		return nil, problem.New(problem.BadRequest, "The body could not be read.")
	}
	return body, nil
}

// decodeBytes is decode without the transport: the fuzz target's entry.
func decodeBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.New(problem.BadRequest, "A JSON object body is required.")
	}
	if !utf8.Valid(body) {
		return problem.New(problem.BadRequest, "The body is not valid UTF-8.")
	}
	if err := checkShape(body, reflect.TypeOf(dst)); err != nil {
		return err
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

// Optional is a PATCH field: absent, null, or a value. It is the only
// field type that may receive null (besides the pointer values of a map,
// which a merge patch uses to reset a key); the handler decides what null
// means for each field.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

func (Optional[T]) nullable() {}

type nullableField interface{ nullable() }

var (
	nullableType   = reflect.TypeFor[nullableField]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

// checkShape walks body, which must be one JSON object, beside the Go type
// it will be decoded into and refuses what encoding/json would let pass:
// duplicate keys (the last would win), field names matching only in
// another case, and null where the field cannot say "null". Type errors and
// unknown fields are left to the decoder, which names them.
func checkShape(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return problem.New(problem.BadRequest, "The body is not valid JSON.")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return problem.New(problem.BadRequest, "The body must be a JSON object.")
	}
	t, _ = unwrap(t, false)
	return shapeObject(dec, t, "")
}

// shapeValue checks the value whose first token is tok against t (nil when
// unknown: then only duplicate keys are checked).
func shapeValue(dec *json.Decoder, tok json.Token, t reflect.Type, field string, nullable bool) error {
	t, nullable = unwrap(t, nullable)
	switch tok := tok.(type) {
	case nil:
		if !nullable {
			return problem.Field(field, "must not be null; leave it out instead")
		}
	case json.Delim:
		if tok == '{' {
			return shapeObject(dec, t, field)
		}
		if tok == '[' {
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t != rawMessageType {
				elem = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				next, err := dec.Token()
				if err != nil {
					return problem.New(problem.BadRequest, "The body is not valid JSON.")
				}
				if err := shapeValue(dec, next, elem, fmt.Sprintf("%s[%d]", field, i), false); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ]
				return problem.New(problem.BadRequest, "The body is not valid JSON.")
			}
		}
	}
	return nil
}

func shapeObject(dec *json.Decoder, t reflect.Type, field string) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return problem.New(problem.BadRequest, "The body is not valid JSON.")
		}
		key, _ := tok.(string)
		path := key
		if field != "" {
			path = field + "." + key
		}
		if seen[key] {
			return problem.Field(path, "is given more than once")
		}
		seen[key] = true
		var vt reflect.Type
		nullable := t == nil
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			f, exact := fieldNamed(t, key)
			if f != nil && !exact {
				return problem.Field(path, fmt.Sprintf("is not a field you can set here (field names are case-sensitive: %s)", f.Tag.Get("json")))
			}
			if f != nil {
				vt = f.Type
			}
		case t.Kind() == reflect.Map:
			vt = t.Elem()
			nullable = vt.Kind() == reflect.Pointer
		}
		val, err := dec.Token()
		if err != nil {
			return problem.New(problem.BadRequest, "The body is not valid JSON.")
		}
		if err := shapeValue(dec, val, vt, path, nullable || vt == nil); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return problem.New(problem.BadRequest, "The body is not valid JSON.")
	}
	return nil
}

// unwrap looks through pointers and Optional to the type a value fills;
// an Optional makes null acceptable, and json.RawMessage leaves it to the
// handler.
func unwrap(t reflect.Type, nullable bool) (reflect.Type, bool) {
	for t != nil {
		switch {
		case t == rawMessageType:
			return nil, true
		case t.Kind() == reflect.Pointer:
			t = t.Elem()
		case t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(nullableType):
			f, _ := t.FieldByName("Value")
			t, nullable = f.Type, true
		default:
			return t, nullable
		}
	}
	return nil, nullable
}

// fieldNamed finds the struct field for a JSON key as encoding/json would
// (an exact tag match first, else a case-insensitive one) and reports
// whether the match was exact.
func fieldNamed(t reflect.Type, key string) (*reflect.StructField, bool) {
	var folded *reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return &f, true
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = &f
		}
	}
	return folded, false
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
