// Package web builds an app's HTTP side: the API server, with its token
// verifier, and the handler of one route's function. It is apart from
// package app so the stream consumers and scheduled jobs link neither the
// route list's handlers nor the verifier.
package web

import (
	"context"
	"net/http"
	"time"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/app"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/cursor"
	"github.com/orgplane/orgplane/shared/invites"
)

// TokenCacheSize is how many verified ID tokens a warm function keeps
// until they expire (see auth.Verifier.CacheSize): a signature check
// (ES256, ~0.1 ms) once per client token, not once per request.
const TokenCacheSize = 1024

// API builds the API server over the app's store. The verifier fetches the
// issuer's key set on the first token (at most once a sandbox, again only
// for a key id it has not seen), never at init.
func API(a *app.App, opts ...Option) *api.Server {
	c := a.Config
	verifier := &auth.Verifier{Issuer: c.Issuer, Audience: c.Audience,
		Keys: &auth.RemoteJWKS{URL: c.JWKSURL, MinRefresh: time.Minute}, CacheSize: TokenCacheSize}
	s := &api.Server{Store: a.Store, Auth: verifier, Cursors: cursor.Codec{Secret: []byte(c.CursorSecret)}, Now: time.Now,
		InviteSecret: invites.Secret(c.InviteTokenSecret), BillingPeriod: c.BillingPeriod}
	for _, o := range opts {
		o(s, a)
	}
	return s
}

// Option adds what only some routes need.
type Option func(*api.Server, *app.App)

// Exports adds the export bucket's link signer, for the routes that link
// to exports (it needs no S3 client).
func Exports(s *api.Server, a *app.App) {
	if l, ok := app.NewExportLinks(a.Config); ok {
		s.Exports = l
	}
}

// Route is the http.Handler of one HTTP route's function. With
// app.Warmups it fetches the issuer's key set in the background; else
// the first token fetches it (once per sandbox).
func Route(a *app.App, name string, opts ...Option) http.Handler {
	s := API(a, opts...)
	if v, ok := s.Auth.(*auth.Verifier); ok {
		if k, ok := v.Keys.(*auth.RemoteJWKS); ok && app.Warmups() {
			go k.Prefetch(context.Background())
		}
	}
	h, err := s.Handler(name)
	if err != nil {
		panic(err) // functions/ is generated from the route list; a miss is a build bug
	}
	return h
}
