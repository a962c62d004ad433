package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/app"
)

func TestIdleTimeoutFromEnv(t *testing.T) {
	for _, v := range []struct{ k, v string }{
		{"TABLE_NAME", "orgplane"}, {"OIDC_ISSUER", "https://issuer.test"}, {"OIDC_AUDIENCE", "orgplane"},
		{"CURSOR_SECRET", strings.Repeat("s", 32)},
	} {
		t.Setenv(v.k, v.v)
	}
	cases := []struct {
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"", 12 * time.Hour, false},
		{"4s", 4 * time.Second, false},
		{"90m", 90 * time.Minute, false},
		{"0s", 0, true},
		{"-1h", 0, true},
		{"12", 0, true},
		{"soon", 0, true},
	}
	for _, tc := range cases {
		t.Run("APP_IDLE_TIMEOUT="+tc.env, func(t *testing.T) {
			t.Setenv("APP_IDLE_TIMEOUT", tc.env)
			c, err := app.FromEnv()
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "APP_IDLE_TIMEOUT") {
					t.Fatalf("err = %v, want one naming APP_IDLE_TIMEOUT", err)
				}
				return
			}
			// Other settings may be missing here; only this one is under test.
			if err != nil && strings.Contains(err.Error(), "APP_IDLE_TIMEOUT") {
				t.Fatalf("err = %v", err)
			}
			if c.IdleTimeout != tc.want {
				t.Fatalf("IdleTimeout = %v, want %v", c.IdleTimeout, tc.want)
			}
		})
	}
}
