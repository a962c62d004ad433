package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fakeS3 records puts, failing the put of failKey.
type fakeS3 struct {
	puts    []*s3.PutObjectInput
	bodies  map[string]string
	failKey string
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if *in.Key == f.failKey {
		return nil, errors.New("access denied")
	}
	b, _ := io.ReadAll(in.Body)
	if f.bodies == nil {
		f.bodies = map[string]string{}
	}
	f.puts, f.bodies[*in.Key] = append(f.puts, in), string(b)
	return &s3.PutObjectOutput{}, nil
}

var site = fstest.MapFS{
	"index.html":           {Data: []byte("<!doctype html>")},
	"favicon.svg":          {Data: []byte("<svg/>")},
	"assets/index-1.js":    {Data: []byte("js")},
	"assets/index-1.css":   {Data: []byte("css")},
	"assets/chartlib-2.js": {Data: []byte("chart")},
}

func TestUpload(t *testing.T) {
	f := &fakeS3{}
	n, err := upload(t.Context(), f, "bucket", site, []byte(`{"apiUrl":"https://api"}`))
	if err != nil || n != len(site) {
		t.Fatalf("upload: %d, %v; want %d files", n, err, len(site))
	}
	var keys []string
	for _, p := range f.puts {
		keys = append(keys, *p.Key)
		if *p.Bucket != "bucket" {
			t.Errorf("%s went to bucket %s", *p.Key, *p.Bucket)
		}
	}
	got := strings.Join(keys, " ")
	// Assets first, the index last, its config just before it.
	if !strings.HasPrefix(got, "assets/") || !strings.HasSuffix(got, "config.json index.html") {
		t.Errorf("order %s: want assets first, then config.json and index.html last", got)
	}
	want := map[string][2]string{
		"assets/index-1.js":  {"text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		"assets/index-1.css": {"text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		"index.html":         {"text/html; charset=utf-8", "no-cache"},
		"config.json":        {"application/json", "no-cache"},
		"favicon.svg":        {"image/svg+xml", "no-cache"},
	}
	for _, p := range f.puts {
		w, ok := want[*p.Key]
		if ok && (*p.ContentType != w[0] || *p.CacheControl != w[1]) {
			t.Errorf("%s: %s, %s; want %s, %s", *p.Key, *p.ContentType, *p.CacheControl, w[0], w[1])
		}
	}
	if f.bodies["config.json"] != `{"apiUrl":"https://api"}` {
		t.Errorf("config.json = %q", f.bodies["config.json"])
	}
}

func TestUploadErrStopsBeforeTheIndex(t *testing.T) {
	f := &fakeS3{failKey: "assets/index-1.js"}
	if _, err := upload(t.Context(), f, "bucket", site, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "assets/index-1.js") {
		t.Fatalf("err = %v, want the failed key named", err)
	}
	if _, ok := f.bodies["index.html"]; ok {
		t.Error("index.html was uploaded after an asset failed")
	}
}

func TestReadOutputs(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "out.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := `{"Orgplane":{"ConsoleBucketName":"b","ConsoleConfig":"{\"apiUrl\":\"x\"}","ApiUrl":"x"}}`
	two := `{"Orgplane":{"ConsoleBucketName":"b","ConsoleConfig":"{}"},"Orgplane-dev":{"ConsoleBucketName":"d","ConsoleConfig":"{}"}}`
	tests := []struct {
		name, body, stack, wantBucket, wantErr string
	}{
		{"OneStack", one, "", "b", ""},
		{"NamedStack", two, "Orgplane-dev", "d", ""},
		{"ErrWhichStack", two, "", "", "-stack"},
		{"ErrNoConsoleOutputs", `{"Orgplane":{"ApiUrl":"x"}}`, "", "", "ConsoleBucketName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readOutputs(write(tt.body), tt.stack)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Bucket != tt.wantBucket {
				t.Fatalf("%+v, %v; want bucket %s", got, err, tt.wantBucket)
			}
		})
	}
	t.Run("ErrNoFile", func(t *testing.T) {
		if _, err := readOutputs(filepath.Join(dir, "missing.json"), ""); err == nil || !strings.Contains(err.Error(), "outputs-file") {
			t.Fatalf("err = %v", err)
		}
	})
}
