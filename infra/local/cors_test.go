package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCORS(t *testing.T) {
	const console = "http://127.0.0.1:3001"
	api := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("ETag", `"1"`)
		w.WriteHeader(http.StatusOK)
	})
	h := cors(console, api)
	tests := []struct {
		name, method, origin string
		status               int
		allow, expose        string
	}{
		{"Preflight", "OPTIONS", console, 204, console, ""},
		{"Request", "GET", console, 200, console, "ETag"},
		{"ErrOtherOrigin", "GET", "http://evil.example", 200, "", ""},
		{"ErrOtherOriginPreflight", "OPTIONS", "http://evil.example", 200, "", ""},
		{"NoOrigin", "GET", "", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/me", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.method == "OPTIONS" {
				r.Header.Set("Access-Control-Request-Method", "PATCH")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Header().Get("Access-Control-Allow-Origin") != tt.allow {
				t.Fatalf("%d allow-origin %q, want %d %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"), tt.status, tt.allow)
			}
			if got := w.Header().Get("Access-Control-Expose-Headers"); tt.expose != "" && !contains(got, tt.expose) {
				t.Errorf("expose %q lacks %q", got, tt.expose)
			}
			if tt.name == "Preflight" && !contains(w.Header().Get("Access-Control-Allow-Headers"), "If-Match") {
				t.Errorf("preflight allows headers %q, want If-Match among them", w.Header().Get("Access-Control-Allow-Headers"))
			}
		})
	}
}

func contains(list, item string) bool {
	for _, v := range strings.Split(list, ",") {
		if strings.TrimSpace(v) == item {
			return true
		}
	}
	return false
}
