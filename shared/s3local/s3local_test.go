package s3local_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgplane/orgplane/shared/bucket"
	"github.com/orgplane/orgplane/shared/s3local"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func mustStart(t *testing.T, now func() time.Time) (*s3local.Server, *bucket.Bucket) {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"exports"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := aws.Config{Region: s3local.Region, Credentials: s3local.Credentials()}
	return srv, bucket.New(cfg, "exports", srv.Endpoint())
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestPresignedDownload(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Now()}
	srv, b := mustStart(t, c.Now)
	if err := b.Put(ctx, "exports/a/file.csv", "text/csv", []byte("a,b\n1,2\n")); err != nil {
		t.Fatal(err)
	}
	url, err := b.URL(ctx, "exports/a/file.csv", "file.csv", c.Now(), 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(body) != "a,b\n1,2\n" {
			t.Fatalf("GET presigned = %d %q", res.StatusCode, body)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename=file.csv`) {
			t.Errorf("Content-Disposition = %q", cd)
		}
	})
	t.Run("ErrAnonymous", func(t *testing.T) {
		if code, body := get(t, srv.Endpoint()+"/exports/exports/a/file.csv"); code != 403 || !strings.Contains(body, "AccessDenied") {
			t.Errorf("anonymous GET = %d %s", code, body)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		other := strings.Replace(url, "file.csv?", "other.csv?", 1)
		if code, body := get(t, other); code != 403 || !strings.Contains(body, "signature") {
			t.Errorf("GET with another key = %d %s", code, body)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		c.Add(15*time.Minute + time.Second)
		t.Cleanup(func() { c.Add(-(15*time.Minute + time.Second)) })
		if code, body := get(t, url); code != 403 || !strings.Contains(body, "Request has expired") {
			t.Errorf("GET after 15 minutes = %d %s", code, body)
		}
	})
}
