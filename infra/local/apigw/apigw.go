// Package apigw is a local stand-in for an API Gateway HTTP API with
// Lambda proxy integrations (payload format 2.0): it matches each request
// to a route of the route list, turns it into the
// events.APIGatewayV2HTTPRequest API Gateway would send the route's
// function, invokes the function, and maps its
// events.APIGatewayV2HTTPResponse back onto the HTTP response, as `sam
// local start-api` does. Lambda mode (make run LAMBDA=1) puts it in front
// of the real bootstrap binaries.
package apigw

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Route is one route key and the function it invokes.
type Route struct {
	Method, Path string // API Gateway route key parts: "GET", "/organizations/{org}"
	Function     string
}

// Invoker runs a function on an event payload and returns its response
// payload; an error is a failed invocation (API Gateway answers 500).
type Invoker func(ctx context.Context, function string, payload []byte) ([]byte, error)

// Local stand-ins for the API's identity in the events.
const (
	APIID     = "local"
	AccountID = "000000000000"
	Stage     = "$default"
)

// MaxBody is API Gateway's payload limit for HTTP APIs (10 MB).
const MaxBody = 10 << 20

// New returns the front for the routes. Route paths use {name} wildcards
// (and {name+} greedy ones), the syntax http.ServeMux also accepts as
// {name} and {name...}.
func New(routes []Route, invoke Invoker) (http.Handler, error) {
	mux := http.NewServeMux()
	for _, rt := range routes {
		pattern := rt.Method + " " + greedy.ReplaceAllString(rt.Path, "{$1...}")
		h := &route{Route: rt, params: paramNames(rt.Path), invoke: invoke}
		if err := register(mux, pattern, h); err != nil {
			return nil, err
		}
	}
	// API Gateway answers a request no route matches (any method) with 404.
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeMessage(w, http.StatusNotFound, "Not Found")
	})
	return mux, nil
}

func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("apigw: route %s: %v", pattern, v)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

var (
	greedy   = regexp.MustCompile(`\{([A-Za-z0-9_]+)\+\}`)
	wildcard = regexp.MustCompile(`\{([A-Za-z0-9_]+)\+?\}`)
)

func paramNames(path string) []string {
	var names []string
	for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
		names = append(names, m[1])
	}
	return names
}

type route struct {
	Route
	params []string
	invoke Invoker
}

func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != rt.Method { // ServeMux lets HEAD into GET routes; API Gateway does not
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := rt.event(r, body)
	payload, err := json.Marshal(ev)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	w.Header().Set("Apigw-Requestid", ev.RequestContext.RequestID)
	out, err := rt.invoke(r.Context(), rt.Function, payload)
	if err != nil {
		slog.ErrorContext(r.Context(), "apigw: integration failed", "route", ev.RouteKey, "function", rt.Function, "err", err)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if err := writeResponse(w, out); err != nil {
		slog.ErrorContext(r.Context(), "apigw: malformed function response", "route", ev.RouteKey, "function", rt.Function, "err", err)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
	}
}

// event is the payload 2.0 request API Gateway builds: header names in
// lower case with repeated values joined by commas, cookies taken out of
// the headers, repeated query parameters joined by commas, and the body
// base64-encoded unless it is text.
func (rt *route) event(r *http.Request, body []byte) events.APIGatewayV2HTTPRequest {
	now := time.Now().UTC()
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		name = strings.ToLower(name)
		if name == "cookie" {
			for _, v := range values {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[name] = strings.Join(values, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	headers["x-forwarded-for"] = joinNonEmpty(headers["x-forwarded-for"], sourceIP)
	headers["x-forwarded-proto"] = "http"

	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	var params map[string]string
	if len(rt.params) > 0 {
		params = map[string]string{}
		for _, name := range rt.params {
			params[name] = r.PathValue(name)
		}
	}

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              rt.Method + " " + rt.Path,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     rt.Method + " " + rt.Path,
			AccountID:    AccountID,
			Stage:        Stage,
			RequestID:    requestID(),
			APIID:        APIID,
			DomainName:   r.Host,
			DomainPrefix: strings.Split(r.Host, ".")[0],
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type"), body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isText reports whether API Gateway would pass the body as text: a
// textual media type and valid UTF-8. Anything else goes base64-encoded.
func isText(contentType string, body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "/json"), strings.HasSuffix(mt, "+json"),
		strings.HasSuffix(mt, "/xml"), strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/x-www-form-urlencoded", mt == "application/yaml":
		return true
	}
	return false
}

// writeResponse maps the function's payload 2.0 response onto w. A
// response that is not an object with a statusCode is, as API Gateway
// infers, a 200 JSON body.
func writeResponse(w http.ResponseWriter, payload []byte) error {
	var resp events.APIGatewayV2HTTPResponse
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil {
		if !json.Valid(payload) {
			return errors.New("the response is not JSON")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
		return nil
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		return err
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return fmt.Errorf("body is not base64: %w", err)
		}
		body = b
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" && len(body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return nil
}

// writeMessage is API Gateway's own error body.
func writeMessage(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"message":%q}`, message)
}

func requestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}
