// Package console serves the web console: the single-page app that Vite
// builds from this folder's TypeScript sources into dist/site (make
// console), embedded here for the local stack, and the runtime config the
// app reads from /config.json. The CDK stack deploys the same files to S3
// behind CloudFront with the same security headers (Headers).
//
// dist/ holds a committed .keep, so a fresh clone compiles before the
// first build; until then the handler serves a page saying how to build.
package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Site is the built console (index.html, assets/…), empty before a build.
func Site() fs.FS {
	site, err := fs.Sub(dist, "dist/site")
	if err != nil {
		panic(err) // a constant, valid path
	}
	return site
}

// Built reports whether the embedded files hold a console build.
func Built() bool {
	_, err := fs.Stat(Site(), "index.html")
	return err == nil
}

// Config is /config.json: what the app needs to know about where it runs.
// The same build reads the local stack's or the deployed stack's.
type Config struct {
	APIURL string `json:"apiUrl"`
	// Auth is "dev" (the local stack's /dev/token) or "oidc" (Cognito's
	// hosted sign-in, authorization code + PKCE).
	Auth          string `json:"auth"`
	OIDCAuthority string `json:"oidcAuthority,omitempty"`
	OIDCClientID  string `json:"oidcClientId,omitempty"`
	OIDCDomain    string `json:"oidcDomain,omitempty"`
}

// CSP is the console's Content-Security-Policy: its own scripts and
// styles only (no inline code, no eval), calls to itself, the API and the
// sign-in origins only, never framed.
func CSP(connect ...string) string {
	src := strings.Join(append([]string{"'self'"}, connect...), " ")
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' https: data:",
		"font-src 'self'",
		"connect-src " + src,
		"manifest-src 'self'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"object-src 'none'",
	}, "; ")
}

// Headers are the security headers every console response carries. The
// referrer is never sent: an invitation page's URL holds its token.
func Headers(csp string) map[string]string {
	return map[string]string{
		"Content-Security-Policy":    csp,
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "no-referrer",
		"Permissions-Policy":         "camera=(), microphone=(), geolocation=()",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
}

// Handler serves the console with cfg as /config.json. Paths that name no
// file get index.html (the app routes them: /invitations/{token}, …);
// hashed assets are cached for good, everything else revalidated.
func Handler(cfg Config, connect ...string) http.Handler {
	return serve(Site(), cfg, connect...)
}

// serve serves site (a build, or an empty folder before one) as Handler.
func serve(site fs.FS, cfg Config, connect ...string) http.Handler {
	_, statErr := fs.Stat(site, "index.html")
	built := statErr == nil
	files := http.FileServerFS(site)
	headers := Headers(CSP(append([]string{cfg.APIURL}, connect...)...))
	configJSON, _ := json.Marshal(cfg)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/config.json" {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(configJSON)
			return
		}
		if !built {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(notBuilt))
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			files.ServeHTTP(w, r)
			return
		}
		if st, err := fs.Stat(site, name); name == "" || err != nil || st.IsDir() {
			// An app route: the app itself, always revalidated.
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, site, "index.html")
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

const notBuilt = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Console not built</title>
<h1>The console is not built</h1>
<p>Run <code>make console</code> (or <code>make run</code>, which builds it) from the repository root, then reload.</p></html>`
