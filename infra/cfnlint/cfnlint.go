// Package cfnlint runs cfn-lint (https://github.com/aws-cloudformation/cfn-lint)
// on CloudFormation templates from tests, so that both the generated SAM
// template and the synthesized CDK template are linted by `go test` as well
// as by `make lint`.
package cfnlint

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Command is the executable looked up on PATH.
const Command = "cfn-lint"

// Check runs cfn-lint on the template files and fails tb unless it
// reports nothing at all: errors, warnings and informational findings all
// fail. A missing cfn-lint fails too (never skips), saying how to get it.
func Check(tb testing.TB, templates ...string) {
	tb.Helper()
	path, err := exec.LookPath(Command)
	if err != nil {
		tb.Fatalf("cfnlint: %s is not on PATH: install it (pipx install cfn-lint, or pip install cfn-lint): %v", Command, err)
	}
	out, err := exec.Command(path, append([]string{"--"}, templates...)...).CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			tb.Fatalf("cfnlint: %s %s found problems (exit %d):\n%s",
				Command, strings.Join(templates, " "), exit.ExitCode(), out)
		}
		tb.Fatalf("cfnlint: running %s: %v\n%s", Command, err, out)
	}
}
