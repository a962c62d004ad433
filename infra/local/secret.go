package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// secretEnvs are the app's secret keys (at least 32 characters each): the
// pagination cursor key and the invitation token key.
var secretEnvs = []string{"CURSOR_SECRET", "INVITE_TOKEN_SECRET"}

// localSecret is the value of the secret env var: as set if set; else,
// with persist, the one kept in dir (made on first use), so cursors and
// invitation links stay valid across restarts like the data; else a fresh
// random one.
func localSecret(env, value string, persist bool, dir string) (string, error) {
	if value != "" {
		return value, nil
	}
	if !persist {
		return newSecret(), nil
	}
	path := filepath.Join(dir, strings.ToLower(strings.ReplaceAll(env, "_", "-")))
	b, err := os.ReadFile(path)
	if s := strings.TrimSpace(string(b)); err == nil && len(s) >= 32 {
		return s, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading %s: %w", env, err)
	}
	s := newSecret()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("saving %s: %w", env, err)
	}
	return s, nil
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
