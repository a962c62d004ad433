// Command upload puts the web console's build (embedded by
// shared/console) and its config.json into the stack's console bucket:
// the last step of `make deploy`, after cdk deploy wrote the stack's
// outputs (ConsoleBucketName, ConsoleConfig) to a file. The stack itself
// has no bucket-deployment custom resource, so no helper function.
//
// Hashed assets go first and are cached for a year; index.html goes last
// and, like config.json, is revalidated on every load: a browser never
// gets an index naming assets not yet uploaded.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"mime"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgplane/orgplane/shared/console"
)

func main() {
	outputs := flag.String("outputs", ".local/cdk-outputs.json", "cdk deploy --outputs-file")
	stackName := flag.String("stack", "", "the stack's name in the outputs file (default: the only one)")
	flag.Parse()
	if err := run(context.Background(), *outputs, *stackName); err != nil {
		fmt.Fprintln(os.Stderr, "console upload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, outputsFile, stackName string) error {
	if !console.Built() {
		return errors.New("the console is not built into this binary: run `make console` (make deploy does)")
	}
	out, err := readOutputs(outputsFile, stackName)
	if err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	n, err := upload(ctx, s3.NewFromConfig(cfg), out.Bucket, console.Site(), []byte(out.Config))
	if err != nil {
		return err
	}
	fmt.Printf("console: %d files and config.json in s3://%s\n", n, out.Bucket)
	return nil
}

type stackOutputs struct {
	Bucket string `json:"ConsoleBucketName"`
	Config string `json:"ConsoleConfig"`
}

// readOutputs reads the console's outputs of stackName (or of the only
// stack) from cdk deploy's outputs file.
func readOutputs(file, stackName string) (stackOutputs, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return stackOutputs{}, fmt.Errorf("%w (cdk deploy --outputs-file writes it; make deploy does)", err)
	}
	var stacks map[string]stackOutputs
	if err := json.Unmarshal(b, &stacks); err != nil {
		return stackOutputs{}, fmt.Errorf("%s: %w", file, err)
	}
	if stackName == "" && len(stacks) == 1 {
		for name := range stacks {
			stackName = name
		}
	}
	out, ok := stacks[stackName]
	switch {
	case !ok:
		return out, fmt.Errorf("%s holds no stack %q (name one with -stack)", file, stackName)
	case out.Bucket == "" || !json.Valid([]byte(out.Config)):
		return out, fmt.Errorf("%s: stack %s has no ConsoleBucketName and ConsoleConfig outputs", file, stackName)
	}
	return out, nil
}

// contentTypes are what a Vite build holds, fixed here.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".woff2": "font/woff2",
}

// putter is the one S3 call the upload makes.
type putter interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// upload puts every file of site, then config.json, into bucket: assets
// first, index.html last. It returns how many files of site it put.
func upload(ctx context.Context, s3c putter, bucket string, site fs.FS, configJSON []byte) (int, error) {
	var names []string
	err := fs.WalkDir(site, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	rank := func(name string) int {
		switch {
		case strings.HasPrefix(name, "assets/"):
			return 0
		case name == "index.html":
			return 2
		}
		return 1
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })

	put := func(name string, body []byte) error {
		cache := "no-cache"
		if strings.HasPrefix(name, "assets/") {
			cache = "public, max-age=31536000, immutable"
		}
		ctype, ok := contentTypes[path.Ext(name)]
		if !ok {
			ctype = mime.TypeByExtension(path.Ext(name)) // may vary with the machine's mime.types
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(name), Body: bytes.NewReader(body),
			ContentType: aws.String(ctype), CacheControl: aws.String(cache),
		})
		if err != nil {
			return fmt.Errorf("put %s: %w", name, err)
		}
		return nil
	}
	for i, name := range names {
		if rank(name) == 2 { // config.json before the index that reads it
			if err := put("config.json", configJSON); err != nil {
				return i, err
			}
		}
		b, err := fs.ReadFile(site, name)
		if err != nil {
			return i, err
		}
		if err := put(name, b); err != nil {
			return i, err
		}
	}
	return len(names), nil
}
