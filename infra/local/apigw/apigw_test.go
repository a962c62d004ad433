package apigw_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/infra/local/apigw"
)

// fakeFunction records the event it gets and answers with resp.
type fakeFunction struct {
	got  events.APIGatewayV2HTTPRequest
	name string
	resp []byte
	err  error
}

func (f *fakeFunction) invoke(_ context.Context, name string, payload []byte) ([]byte, error) {
	f.name = name
	if err := json.Unmarshal(payload, &f.got); err != nil {
		return nil, err
	}
	return f.resp, f.err
}

func newFront(t *testing.T, f *fakeFunction) *httptest.Server {
	t.Helper()
	h, err := apigw.New([]apigw.Route{
		{Method: "GET", Path: "/organizations/{org}", Function: "get-organization"},
		{Method: "POST", Path: "/organizations/{org}/files/{key+}", Function: "put-file"},
	}, f.invoke)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestRequestEvent(t *testing.T) {
	f := &fakeFunction{resp: []byte(`{"statusCode":204}`)}
	srv := newFront(t, f)

	t.Run("OK", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/organizations/org_1?b=2&a=1&a=3", nil)
		req.Header.Add("X-Multi", "one")
		req.Header.Add("X-Multi", "two")
		req.Header.Set("Cookie", "s=1; t=2")
		req.Header.Set("Authorization", "Bearer x")
		resp, _ := do(t, req)
		if resp.StatusCode != 204 || f.name != "get-organization" {
			t.Fatalf("status %d from %q", resp.StatusCode, f.name)
		}
		ev := f.got
		if ev.Version != "2.0" || ev.RouteKey != "GET /organizations/{org}" || ev.RequestContext.RouteKey != ev.RouteKey {
			t.Errorf("version %q, route key %q / %q", ev.Version, ev.RouteKey, ev.RequestContext.RouteKey)
		}
		if ev.RawPath != "/organizations/org_1" || ev.RawQueryString != "b=2&a=1&a=3" {
			t.Errorf("raw path %q, query %q", ev.RawPath, ev.RawQueryString)
		}
		if ev.PathParameters["org"] != "org_1" || len(ev.PathParameters) != 1 {
			t.Errorf("path parameters %v", ev.PathParameters)
		}
		if ev.QueryStringParameters["a"] != "1,3" || ev.QueryStringParameters["b"] != "2" {
			t.Errorf("query parameters %v", ev.QueryStringParameters)
		}
		if ev.Headers["x-multi"] != "one,two" || ev.Headers["authorization"] != "Bearer x" {
			t.Errorf("headers %v", ev.Headers)
		}
		if _, ok := ev.Headers["cookie"]; ok || !slices.Equal(ev.Cookies, []string{"s=1", "t=2"}) {
			t.Errorf("cookies %v, cookie header %q", ev.Cookies, ev.Headers["cookie"])
		}
		hc := ev.RequestContext.HTTP
		if hc.Method != "GET" || hc.Path != "/organizations/org_1" || hc.SourceIP != "127.0.0.1" {
			t.Errorf("http context %+v", hc)
		}
		if ev.RequestContext.Stage != "$default" || ev.RequestContext.RequestID == "" || ev.RequestContext.TimeEpoch == 0 {
			t.Errorf("request context %+v", ev.RequestContext)
		}
		if ev.Body != "" || ev.IsBase64Encoded {
			t.Errorf("body %q (base64 %v) for a GET", ev.Body, ev.IsBase64Encoded)
		}
	})
	t.Run("GreedyPathText", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.URL+"/organizations/o/files/a/b%20c.txt", strings.NewReader(`{"name":"x"}`))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		do(t, req)
		if f.got.PathParameters["key"] != "a/b c.txt" || f.got.RouteKey != "POST /organizations/{org}/files/{key+}" {
			t.Errorf("route %q, path parameters %v", f.got.RouteKey, f.got.PathParameters)
		}
		if f.got.Body != `{"name":"x"}` || f.got.IsBase64Encoded {
			t.Errorf("body %q (base64 %v), want the JSON as text", f.got.Body, f.got.IsBase64Encoded)
		}
	})
	t.Run("BinaryBodyBase64", func(t *testing.T) {
		bin := "\x00\xff\x10binary"
		req, _ := http.NewRequest("POST", srv.URL+"/organizations/o/files/k", strings.NewReader(bin))
		req.Header.Set("Content-Type", "application/octet-stream")
		do(t, req)
		if got, _ := base64.StdEncoding.DecodeString(f.got.Body); !f.got.IsBase64Encoded || string(got) != bin {
			t.Errorf("body %q (base64 %v), want the bytes base64-encoded", f.got.Body, f.got.IsBase64Encoded)
		}
	})
}

func TestResponse(t *testing.T) {
	tests := []struct {
		name       string
		resp       string
		err        error
		wantStatus int
		wantBody   string
		wantHeader map[string][]string
	}{
		{"OK", `{"statusCode":201,"headers":{"Content-Type":"application/json","ETag":"\"1\""},"body":"{\"id\":1}"}`, nil,
			201, `{"id":1}`, map[string][]string{"Etag": {`"1"`}, "Content-Type": {"application/json"}}},
		{"MultiValueHeadersAndCookies", `{"statusCode":200,"multiValueHeaders":{"Vary":["a","b"]},"cookies":["s=1","t=2"],"body":"x"}`, nil,
			200, "x", map[string][]string{"Vary": {"a", "b"}, "Set-Cookie": {"s=1", "t=2"}}},
		{"Base64Body", `{"statusCode":200,"headers":{"Content-Type":"image/png"},"isBase64Encoded":true,"body":"` +
			base64.StdEncoding.EncodeToString([]byte("\x89PNG")) + `"}`, nil, 200, "\x89PNG", nil},
		{"InferredFormat", `{"hello":"world"}`, nil, 200, `{"hello":"world"}`,
			map[string][]string{"Content-Type": {"application/json"}}},
		{"ErrFunctionFailed", "", errors.New("boom"), 500, `{"message":"Internal Server Error"}`, nil},
		{"ErrMalformedResponse", `{"statusCode":99}`, nil, 500, `{"message":"Internal Server Error"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFront(t, &fakeFunction{resp: []byte(tt.resp), err: tt.err})
			req, _ := http.NewRequest("GET", srv.URL+"/organizations/o", nil)
			resp, body := do(t, req)
			if resp.StatusCode != tt.wantStatus || body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			for k, want := range tt.wantHeader {
				if got := resp.Header.Values(k); !slices.Equal(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if resp.Header.Get("Apigw-Requestid") == "" {
				t.Error("no apigw-requestid header")
			}
		})
	}
}

func TestNoRoute(t *testing.T) {
	f := &fakeFunction{resp: []byte(`{"statusCode":200}`)}
	srv := newFront(t, f)
	for _, tc := range []struct{ method, path string }{{"GET", "/nope"}, {"DELETE", "/organizations/o"}, {"HEAD", "/organizations/o"}} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, body := do(t, req)
		want := `{"message":"Not Found"}`
		if tc.method == "HEAD" {
			want = "" // a HEAD answer has no body
		}
		if resp.StatusCode != 404 || body != want || f.name != "" {
			t.Errorf("%s %s: %d %s (invoked %q), want API Gateway's 404", tc.method, tc.path, resp.StatusCode, body, f.name)
		}
	}
}
