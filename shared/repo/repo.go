// Package repo finds the checkout Orgplane runs from: tests, the local
// stack and the CDK app read files beside go.mod (openapi.yaml, the npm
// packages under infra/, the function builds).
package repo

import (
	"errors"
	"os"
	"path/filepath"
)

// Root walks up from the working directory to the first directory that
// holds a go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}
