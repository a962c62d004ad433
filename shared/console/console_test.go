package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

var built = fstest.MapFS{
	"index.html":         {Data: []byte(`<!doctype html><div id="app"></div>`)},
	"favicon.svg":        {Data: []byte(`<svg/>`)},
	"assets/index-1.js":  {Data: []byte(`console.log(1)`)},
	"assets/index-1.css": {Data: []byte(`body{}`)},
}

var cfg = Config{APIURL: "http://127.0.0.1:3000", Auth: "dev"}

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func TestServe(t *testing.T) {
	h := serve(built, cfg)
	tests := []struct {
		name, path  string
		status      int
		body, cache string
	}{
		{"Index", "/", 200, `id="app"`, "no-cache"},
		{"AppRoute", "/invitations/abc_DEF-123", 200, `id="app"`, "no-cache"},
		{"DeepAppRoute", "/orgs/org_x/roles/new", 200, `id="app"`, "no-cache"},
		{"Asset", "/assets/index-1.js", 200, "console.log", "public, max-age=31536000, immutable"},
		{"File", "/favicon.svg", 200, "<svg/>", "no-cache"},
		{"ErrMissingAsset", "/assets/gone.js", 404, "", ""}, // never cached
		{"Config", "/config.json", 200, `"apiUrl":"http://127.0.0.1:3000"`, "no-store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, "GET", tt.path)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.body) {
				t.Fatalf("GET %s: %d %q, want %d containing %q", tt.path, w.Code, w.Body.String(), tt.status, tt.body)
			}
			if got := w.Header().Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			for k := range Headers("") {
				if w.Header().Get(k) == "" {
					t.Errorf("no %s header", k)
				}
			}
		})
	}
	t.Run("ErrMethod", func(t *testing.T) {
		if w := get(t, h, "POST", "/"); w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("POST /: %d, want 405", w.Code)
		}
	})
}

func TestServeNotBuilt(t *testing.T) {
	h := serve(fstest.MapFS{}, cfg)
	w := get(t, h, "GET", "/orgs")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "make console") {
		t.Fatalf("%d %q, want 503 naming make console", w.Code, w.Body.String())
	}
	// The config still answers: it does not depend on the build.
	var got Config
	if err := json.Unmarshal(get(t, h, "GET", "/config.json").Body.Bytes(), &got); err != nil || got != cfg {
		t.Fatalf("config %+v, %v; want %+v", got, err, cfg)
	}
}

func TestCSP(t *testing.T) {
	csp := CSP("https://api.example.com")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self' https://api.example.com", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows unsafe sources", csp)
	}
}
