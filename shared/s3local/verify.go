package s3local

import (
	"crypto/subtle"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// private admits what a private S3 bucket admits: requests signed in the
// Authorization header (the SDK client's), and presigned URLs whose
// signature matches the local credentials and which have not expired.
// Anything else is 403 AccessDenied, as S3 answers.
func private(next http.Handler, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Get("X-Amz-Signature") != "":
			if msg := checkPresigned(r, q, now()); msg != "" {
				denied(w, msg)
				return
			}
		case r.Header.Get("Authorization") == "":
			denied(w, "Access Denied")
			return
		}
		next.ServeHTTP(w, r)
	})
}

const amzDate = "20060102T150405Z"

// checkPresigned returns why a presigned request is refused, "" when it
// is good: the URL is signed again, at the time it names, with the local
// credentials, and the signatures must match.
func checkPresigned(r *http.Request, q url.Values, now time.Time) string {
	signedAt, err := time.Parse(amzDate, q.Get("X-Amz-Date"))
	if err != nil {
		return "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || secs > 7*24*3600 {
		return "X-Amz-Expires must be between 1 and 604800 seconds"
	}
	if now.Before(signedAt.Add(-15*time.Minute)) || !now.Before(signedAt.Add(time.Duration(secs)*time.Second)) {
		return "Request has expired"
	}
	given := q.Get("X-Amz-Signature")
	unsigned := url.Values{}
	for k, v := range q {
		switch k {
		case "X-Amz-Signature", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Security-Token":
		default:
			unsigned[k] = v
		}
	}
	u := *r.URL
	u.Scheme, u.Host, u.RawQuery = "http", r.Host, unsigned.Encode()
	again, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), nil)
	if err != nil {
		return "The request signature we calculated does not match the signature you provided."
	}
	creds := aws.Credentials{AccessKeyID: AccessKey, SecretAccessKey: SecretKey}
	signed, _, err := v4.NewSigner().PresignHTTP(r.Context(), creds, again, "UNSIGNED-PAYLOAD", "s3", Region, signedAt,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		return "The request signature we calculated does not match the signature you provided."
	}
	want, err := url.Parse(signed)
	if err != nil || subtle.ConstantTimeCompare([]byte(want.Query().Get("X-Amz-Signature")), []byte(given)) != 1 {
		return "The request signature we calculated does not match the signature you provided."
	}
	return ""
}

type s3Error struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
}

func denied(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(s3Error{Code: "AccessDenied", Message: msg})
}
