package api

import (
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ids"
)

// maxUserAgent bounds the User-Agent kept on activity events.
const maxUserAgent = 256

// withRequestMeta carries where the request came from to the store, which
// stamps it on the activity events its changes write, and answers with the
// request's id. In Lambda the id and the source address are API Gateway's
// (the adapter puts the source IP in RemoteAddr); locally the id is made
// here.
func withRequestMeta(w http.ResponseWriter, r *http.Request) *http.Request {
	rc := activity.Context{IP: r.RemoteAddr, UserAgent: clip(r.UserAgent(), maxUserAgent)}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		rc.IP = host
	}
	if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
		rc.RequestID = gw.RequestID
	} else {
		rc.RequestID = strings.TrimPrefix(ids.New("req"), "req_")
	}
	w.Header().Set("X-Request-Id", rc.RequestID)
	return r.WithContext(activity.WithRequest(r.Context(), rc))
}

// clip cuts s to at most n bytes without splitting a character, and drops
// control characters (a header cannot hold newlines, but may hold others).
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
