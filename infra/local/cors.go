package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/orgplane/orgplane/infra/deploy"
)

// cors answers the browser's CORS checks for the web console's origin
// only, with the methods and headers the deployed HTTP API's CORS
// configuration allows (infra/deploy): what API Gateway does in AWS.
// Other origins get no CORS headers, so browsers refuse their reads.
func cors(origin string, next http.Handler) http.Handler {
	allowMethods := strings.Join(deploy.CORSAllowMethods, ", ")
	allowHeaders := strings.Join(deploy.CORSAllowHeaders, ", ")
	expose := strings.Join(deploy.CORSExposeHeaders, ", ")
	maxAge := strconv.Itoa(deploy.CORSMaxAgeSeconds)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		if r.Header.Get("Origin") != origin {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", allowMethods)
			h.Set("Access-Control-Allow-Headers", allowHeaders)
			h.Set("Access-Control-Max-Age", maxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", expose)
		next.ServeHTTP(w, r)
	})
}
