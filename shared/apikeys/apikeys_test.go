package apikeys_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/apikeys"
)

// TestMillionSecrets: a million secrets, no two alike, each well formed,
// and each with one character changed refused by the checksum alone.
func TestMillionSecrets(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 10_000
	}
	seen := make(map[string]struct{}, n)
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for i := range n {
		typ := apikeys.Standard
		if i%2 == 1 {
			typ = apikeys.AIAgent
		}
		s, err := apikeys.NewSecret(typ)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := seen[s]; dup {
			t.Fatalf("secret %d repeats an earlier one", i)
		}
		seen[s] = struct{}{}
		if !apikeys.WellFormed(s) || apikeys.TypeOf(s) != typ {
			t.Fatalf("secret %q is not a well-formed %s key", s, typ)
		}
		// Change one character of the random part or the checksum.
		pos := 4 + i%36
		c := alphabet[(strings.IndexByte(alphabet, s[pos])+1+i%61)%62]
		mistyped := s[:pos] + string(c) + s[pos+1:]
		if apikeys.WellFormed(mistyped) {
			t.Fatalf("%q with position %d changed still passes its checksum", s, pos)
		}
	}
}

func TestWellFormed(t *testing.T) {
	good, err := apikeys.NewSecret(apikeys.Standard)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		good:                        true,
		"":                          false,
		"opk_":                      false,
		good[:len(good)-1]:          false,
		good + "x":                  false,
		"opx_" + good[4:]:           false,
		strings.ToUpper(good):       false,
		good[:10] + "-" + good[11:]: false,
	}
	for in, want := range cases {
		if got := apikeys.WellFormed(in); got != want {
			t.Errorf("WellFormed(%q) = %v, want %v", in, got, want)
		}
	}
	prefix, last := apikeys.Shown(good)
	if prefix != good[:8] || last != good[len(good)-4:] {
		t.Errorf("Shown = %q, %q", prefix, last)
	}
	if apikeys.Hash(good) == apikeys.Hash(good[:len(good)-1]+"x") || len(apikeys.Hash(good)) != 64 {
		t.Error("Hash is not a SHA-256 hex digest of the secret")
	}
}

func TestStatusAndRules(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		key  apikeys.Key
		want string
	}{
		{"Active", apikeys.Key{}, apikeys.Active},
		{"Rotating", apikeys.Key{GraceExpiresAt: now.Add(time.Second)}, apikeys.Rotating},
		{"GraceOver", apikeys.Key{GraceExpiresAt: now}, apikeys.Active},
		{"Expired", apikeys.Key{ExpiresAt: now}, apikeys.Expired},
		{"Revoked", apikeys.Key{RevokedAt: now.Add(-time.Hour), ExpiresAt: now}, apikeys.Revoked},
	}
	for _, c := range cases {
		if got := c.key.StatusAt(now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if got := apikeys.ForbiddenFor(apikeys.AIAgent, []access.Permission{access.ProjectsRead, access.RolesManage, access.BillingManage}); len(got) != 2 {
		t.Errorf("agent ceiling: %v", got)
	}
	if got := apikeys.ForbiddenFor(apikeys.Standard, access.All()); got != nil {
		t.Errorf("a standard key's ceiling: %v", got)
	}
	if p := apikeys.Policies("pro", apikeys.AIAgent); len(p) != 2 || p[0].Quota != 120 || p[1].Quota != 50_000 {
		t.Errorf("pro agent policies %+v", p)
	}
	if p := apikeys.Policies("enterprise", apikeys.Standard); len(p) != 1 || p[0].Quota != 6000 || p[0].Window != time.Minute {
		t.Errorf("enterprise standard policies %+v", p)
	}
	b := apikeys.Budget{Amount: 10, Period: apikeys.Month}
	if got := b.PeriodStart(time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC)); !got.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("month start %v", got)
	}
}
