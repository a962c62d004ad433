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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Bucket is one S3 bucket. Build it once per process.
type Bucket struct {
	Name    string
	client  *s3.Client
	presign *s3.PresignClient
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
	return &Bucket{Name: name, client: client, presign: s3.NewPresignClient(client)}
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

// URL is a presigned GET of the object, signed at the time at (the
// request's clock) and valid for ttl from then, that downloads it as
// filename.
func (b *Bucket) URL(ctx context.Context, key, filename string, at time.Time, ttl time.Duration) (string, error) {
	if ttl < time.Second {
		// X-Amz-Expires counts whole seconds, and the SDK takes 0 for
		// its default of 15 minutes.
		return "", errors.New("bucket: a link must be valid for a second at least")
	}
	req, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(b.Name), Key: aws.String(key),
		ResponseContentDisposition: aws.String(mime.FormatMediaType("attachment", map[string]string{"filename": filename})),
	}, s3.WithPresignExpires(ttl), func(o *s3.PresignOptions) { o.Presigner = signedAt{o.Presigner, at} })
	if err != nil {
		return "", fmt.Errorf("bucket: presign %s: %w", key, err)
	}
	return req.URL, nil
}

// signedAt presigns at a given time rather than the SDK's clock, so a
// link's validity follows the clock of the request that asked for it.
type signedAt struct {
	s3.HTTPPresignerV4
	at time.Time
}

func (s signedAt) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
	_ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return s.HTTPPresignerV4.PresignHTTP(ctx, creds, r, payloadHash, service, region, s.at, optFns...)
}
