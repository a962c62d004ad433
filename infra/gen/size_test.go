package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/infra/deploy"
)

// MaxFunctionBytes is every function binary's budget: 10 MB stripped, as
// the Makefile builds it for Lambda (linux/arm64).
const MaxFunctionBytes = 10_000_000

// TestFunctionSizes builds, as `make build` does, every trigger function
// (each links its own consumer or job), every HTTP function that touches
// exports (an S3 client) and the first and the last other HTTP route's
// (those link the same packages), in one `go build` with the build cache, and
// fails when one exceeds MaxFunctionBytes. It costs one link per binary:
// about 10 s with a warm cache on a 2-core machine.
func TestFunctionSizes(t *testing.T) {
	var names []string
	var http []string
	for _, f := range mustAll(t, deploy.Current()) {
		if f.Kind == deploy.HTTP && f.Exports == deploy.NoExports {
			http = append(http, f.Name)
		} else {
			names = append(names, f.Name) // links its own consumer, mail or S3 client
		}
	}
	sort.Strings(http)
	if len(http) > 0 {
		names = append(names, http[0], http[len(http)-1])
	}
	sizes := buildSizes(t, names)
	for _, n := range names {
		if sizes[n] > MaxFunctionBytes {
			t.Errorf("%s is %d bytes stripped (linux/arm64), over its budget of %d", n, sizes[n], MaxFunctionBytes)
		}
	}
	t.Logf("function sizes (stripped, linux/arm64):\n%s", sizeReport(names, sizes))
}

// BenchmarkFunctionSizes builds EVERY function as `make build` does and
// prints their sizes beside the budget (and reports the largest).
func BenchmarkFunctionSizes(b *testing.B) {
	var names []string
	for _, f := range mustAll(b, deploy.Current()) {
		names = append(names, f.Name)
	}
	var sizes map[string]int64
	for b.Loop() {
		sizes = buildSizes(b, names)
	}
	var largest int64
	for _, s := range sizes {
		largest = max(largest, s)
	}
	b.ReportMetric(float64(largest)/1e6, "largest-MB")
	b.ReportMetric(float64(largest)/MaxFunctionBytes, "largest/budget")
	fmt.Printf("\nFunction sizes (stripped, linux/arm64; budget %.0f MB):\n%s", float64(MaxFunctionBytes)/1e6, sizeReport(names, sizes))
}

// buildSizes builds the functions for Lambda in one `go build` and
// returns each binary's size.
func buildSizes(tb testing.TB, names []string) map[string]int64 {
	tb.Helper()
	out := tb.TempDir()
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./"+functionsDir+"/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, b)
	}
	sizes := map[string]int64{}
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(out, n))
		if err != nil {
			tb.Fatal(err)
		}
		sizes[n] = fi.Size()
	}
	return sizes
}

func sizeReport(names []string, sizes map[string]int64) string {
	var r string
	for _, n := range names {
		r += fmt.Sprintf("%-28s %6.2f MB  %3.0f%% of budget\n", n, float64(sizes[n])/1e6, 100*float64(sizes[n])/MaxFunctionBytes)
	}
	return r
}

// TestTriggerLinksItsOwnAlone builds one trigger function (unstripped, for
// this host) and fails when another trigger's constructor is linked into
// it: the trigger lists must stay statically initialized (see
// triggers.StreamConsumer.WritePartitions), or every consumer lands in
// every function. About 3 s with a warm build cache.
func TestTriggerLinksItsOwnAlone(t *testing.T) {
	var triggers []deploy.Function
	for _, f := range mustAll(t, deploy.Current()) {
		if f.Kind != deploy.HTTP {
			triggers = append(triggers, f)
		}
	}
	if len(triggers) < 2 {
		t.Skip("fewer than two triggers: nothing to keep apart")
	}
	constructor := func(f deploy.Function) string {
		var fn any
		if f.Kind == deploy.Stream {
			fn = f.Consumer.New
		} else {
			fn = f.Schedule.New
		}
		return runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
	}
	own := triggers[0]
	bin := filepath.Join(t.TempDir(), own.Name)
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./"+functionsDir+"/"+own.Name)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	syms := string(out)
	// (Its own constructor may be inlined into main; another's, held in
	// a list as a func value, would have a symbol of its own.)
	for _, f := range triggers[1:] {
		if c := constructor(f); strings.Contains(syms, " "+c+"\n") {
			t.Errorf("%s links %s (the constructor of %s): a trigger list is initialized at run time", own.Name, c, f.Name)
		}
	}
}
