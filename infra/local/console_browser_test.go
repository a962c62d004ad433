//go:build console && unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/orgplane/orgplane/shared/console"
	"github.com/orgplane/orgplane/shared/repo"
)

// TestConsoleInBrowser (make test-console, which make test runs) starts the
// stack as make run does and runs the console's browser tests against it:
// shared/console/e2e, node's test runner driving Debian's Chromium through
// playwright-core. Screenshots go to shared/console/build/screenshots.
func TestConsoleInBrowser(t *testing.T) {
	if !console.Built() {
		t.Fatal("the console is not built into this binary: run `make console` first (make test-console does)")
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("the browser tests need Node.js on PATH")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s: `apt-get install chromium` (make chromium), or set CHROMIUM", chromium)
	}

	// Apps idle for a second are stopped when the test runs the job.
	st := startStack(t, false, "APP_IDLE_TIMEOUT=1s")

	dir := filepath.Join(root, "shared", "console")
	cmd := exec.CommandContext(t.Context(), node, "--test", "--test-concurrency=1", "--test-reporter=spec", "e2e/")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CONSOLE_URL="+st.consoleURL(t), "API_URL="+st.base, "MAILDEV_URL="+st.mailWeb, "CHROMIUM="+chromium,
		"SCREENSHOTS="+filepath.Join(dir, "build", "screenshots"))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the console's browser tests failed (%v); the stack's log:\n%s", err, st.stderr.String())
	}
	st.stop(t, childPids(t, st.cmd.Process.Pid))
}
