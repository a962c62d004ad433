package apispec

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/orgplane/orgplane/shared/repo"
)

// TestSpecLints runs an independent OpenAPI linter, Redocly CLI (pinned in
// infra/package.json, installed by `make deps`), over openapi.yaml with
// infra/redocly.yaml: the recommended-strict rules plus a description on
// every operation, parameter and tag. Zero errors and zero warnings.
func TestSpecLints(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "infra", "node_modules", ".bin", "redocly")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("Redocly CLI is not installed: run `make deps` (npm ci --prefix infra): %v", err)
	}
	cmd := exec.Command(bin, "lint", FileName, "--config", filepath.Join("infra", "redocly.yaml"), "--format=json")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output() // exits non-zero on errors; the report says which
	var report struct {
		Totals struct {
			Errors   int `json:"errors"`
			Warnings int `json:"warnings"`
		} `json:"totals"`
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Location []struct {
				Pointer string `json:"pointer"`
			} `json:"location"`
		} `json:"problems"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("redocly lint gave no report (%v): %v\n%s%s", runErr, err, out, stderr.Bytes())
	}
	for _, p := range report.Problems {
		where := ""
		if len(p.Location) > 0 {
			where = p.Location[0].Pointer
		}
		t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, where, p.Message)
	}
	if report.Totals.Errors+report.Totals.Warnings > 0 || runErr != nil {
		t.Fatalf("redocly lint: %d errors, %d warnings (%v)", report.Totals.Errors, report.Totals.Warnings, runErr)
	}
}
