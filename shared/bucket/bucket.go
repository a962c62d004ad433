// Package bucket keeps export files in an S3 bucket: it writes them and
// hands out short-lived presigned download links. The same client code
// runs in AWS and against the local S3 server (package s3local), which
// is addressed path-style at its endpoint.
package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Bucket is one S3 bucket. Build it once per process.
type Bucket struct {
	Name   string
	client *s3.Client
	links  Links
}

// New returns the bucket named name over cfg. A non-empty endpoint (the
// local S3 server) is addressed path-style, as S3-compatible servers
// expect; in AWS it is empty and the regional endpoint is used.
func New(cfg aws.Config, name, endpoint string) *Bucket {
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	})
	return &Bucket{Name: name, client: client, links: NewLinks(cfg, name, endpoint)}
}

// Put writes an object, replacing one at the same key.
func (b *Bucket) Put(ctx context.Context, key, contentType string, body []byte) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.Name), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String(contentType), ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return fmt.Errorf("bucket: put %s: %w", key, err)
	}
	return nil
}

// Get reads an object whole (tests and tools; downloads go through URL).
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("bucket: get %s: %w", key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// URL is a presigned GET of the object (see Links.URL).
func (b *Bucket) URL(ctx context.Context, key, filename string, at time.Time, ttl time.Duration) (string, error) {
	return b.links.URL(ctx, key, filename, at, ttl)
}

// Links signs download links to a bucket's objects with no S3 client: a
// presigned GET is a SigV4 query signature over the object's URL, so the
// functions that only link to exports link no S3 client (over 1 MB).
type Links struct {
	Name, Region string
	// Endpoint is the local S3 server's (path-style); empty in AWS, where
	// the bucket's virtual-hosted regional endpoint is used.
	Endpoint    string
	Credentials aws.CredentialsProvider
}

// NewLinks signs links to the bucket named name over cfg's credentials.
func NewLinks(cfg aws.Config, name, endpoint string) Links {
	return Links{Name: name, Region: cfg.Region, Endpoint: endpoint, Credentials: cfg.Credentials}
}

// URL is a presigned GET of the object, signed at the time at (the
// request's clock) and valid for ttl from then, that downloads it as
// filename.
func (l Links) URL(ctx context.Context, key, filename string, at time.Time, ttl time.Duration) (string, error) {
	if ttl < time.Second {
		// X-Amz-Expires counts whole seconds.
		return "", errors.New("bucket: a link must be valid for a second at least")
	}
	u := url.URL{Scheme: "https", Host: l.Name + ".s3." + l.Region + ".amazonaws.com", Path: "/" + key}
	if l.Endpoint != "" {
		base, err := url.Parse(l.Endpoint)
		if err != nil {
			return "", fmt.Errorf("bucket: endpoint: %w", err)
		}
		u = url.URL{Scheme: base.Scheme, Host: base.Host, Path: strings.TrimRight(base.Path, "/") + "/" + l.Name + "/" + key}
	}
	u.RawPath = escapePath(u.Path)
	q := url.Values{}
	q.Set("response-content-disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(ttl/time.Second), 10))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	creds, err := l.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("bucket: credentials: %w", err)
	}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", l.Region, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		return "", fmt.Errorf("bucket: presign %s: %w", key, err)
	}
	return signed, nil
}

// escapePath percent-encodes a path as S3 canonicalizes it: every byte
// but the unreserved ones and '/'.
func escapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
