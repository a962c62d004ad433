package app_test

import (
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/app"
)

func TestInviteTokenSecretFromEnv(t *testing.T) {
	for k, v := range map[string]string{"TABLE_NAME": "orgplane", "OIDC_ISSUER": "https://issuer.test",
		"OIDC_AUDIENCE": "orgplane", "CURSOR_SECRET": strings.Repeat("s", 32)} {
		t.Setenv(k, v)
	}
	for _, c := range []struct {
		secret string
		ok     bool
	}{{"", false}, {strings.Repeat("i", 31), false}, {strings.Repeat("i", 32), true}} {
		t.Setenv("INVITE_TOKEN_SECRET", c.secret)
		got, err := app.FromEnv()
		if c.ok != (err == nil) {
			t.Errorf("INVITE_TOKEN_SECRET of %d characters: %v", len(c.secret), err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), "INVITE_TOKEN_SECRET")) {
			t.Errorf("error %v does not name INVITE_TOKEN_SECRET", err)
		}
		if c.ok && got.InviteTokenSecret != c.secret {
			t.Errorf("InviteTokenSecret = %q", got.InviteTokenSecret)
		}
	}
}
