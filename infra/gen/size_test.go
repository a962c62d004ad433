package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/orgplane/orgplane/infra/deploy"
)

// MaxFunctionBytes is every function binary's budget: 10 MB stripped, as
// the Makefile builds it for Lambda (linux/arm64).
const MaxFunctionBytes = 10_000_000

// TestFunctionSizes builds, as `make build` does, every trigger function
// (each links its own consumer or job) and the first and the last HTTP
// route's (every HTTP function links the same packages: the route list
// and one handler's wiring), in one `go build` with the build cache, and
// fails when one exceeds MaxFunctionBytes. It costs one link per binary:
// about 10 s with a warm cache on a 2-core machine.
func TestFunctionSizes(t *testing.T) {
	fns := mustAll(t, deploy.Current())
	var names []string
	var http []string
	for _, f := range fns {
		if f.Kind == deploy.HTTP {
			http = append(http, f.Name)
		} else {
			names = append(names, f.Name)
		}
	}
	sort.Strings(http)
	if len(http) > 0 {
		names = append(names, http[0], http[len(http)-1])
	}
	root := filepath.Join("..", "..")
	out := t.TempDir()
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./"+functionsDir+"/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	var report string
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(out, n))
		if err != nil {
			t.Fatal(err)
		}
		report += fmt.Sprintf("%-28s %6.2f MB\n", n, float64(fi.Size())/1e6)
		if fi.Size() > MaxFunctionBytes {
			t.Errorf("%s is %d bytes stripped (linux/arm64), over its budget of %d", n, fi.Size(), MaxFunctionBytes)
		}
	}
	t.Logf("function sizes (stripped, linux/arm64):\n%s", report)
}
