package invites_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/invites"
)

var secret = invites.Secret(strings.Repeat("k", 32))

func TestToken(t *testing.T) {
	const id = "inv_01jbz8k6w3m4t5v6x7y8z9a0bc"
	nonce := invites.NewNonce()
	tok, err := secret.Token(id, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != invites.TokenLen || !invites.WellFormed(tok) {
		t.Fatalf("token %q is not well formed", tok)
	}
	again, _ := secret.Token(id, nonce)
	if again != tok {
		t.Fatal("the same invitation and nonce derive another token")
	}
	for name, other := range map[string]func() (string, error){
		"OtherNonce":  func() (string, error) { return secret.Token(id, invites.NewNonce()) },
		"OtherID":     func() (string, error) { return secret.Token("inv_01jbz8k6w3m4t5v6x7y8z9a0bd", nonce) },
		"OtherSecret": func() (string, error) { return invites.Secret(strings.Repeat("j", 32)).Token(id, nonce) },
		// The fields are separated, so moving bytes between them changes the token.
		"Boundary": func() (string, error) { return secret.Token(id+nonce[:1], nonce[1:]) },
	} {
		if got, err := other(); err != nil || got == tok {
			t.Errorf("%s: %q, %v; want another token", name, got, err)
		}
	}
	if h := invites.Hash(tok); len(h) != 64 || h == invites.Hash(again+"x") || strings.Contains(h, tok) {
		t.Errorf("hash %q", h)
	}
	if a, b := invites.NewNonce(), invites.NewNonce(); a == b || len(a) != 22 {
		t.Errorf("nonces %q %q", a, b)
	}
}

func TestShortSecret(t *testing.T) {
	for _, s := range []invites.Secret{nil, invites.Secret(strings.Repeat("k", 31))} {
		if _, err := s.Token("inv_x", "n"); !errors.Is(err, invites.ErrNoSecret) {
			t.Errorf("secret of %d bytes: %v", len(s), err)
		}
	}
}

func TestWellFormed(t *testing.T) {
	for _, s := range []string{"", "short", strings.Repeat("A", 42), strings.Repeat("A", 44), strings.Repeat("+", 43), strings.Repeat("A", 42) + "="} {
		if invites.WellFormed(s) {
			t.Errorf("%q counted as a token", s)
		}
	}
}

func TestStatusAt(t *testing.T) {
	exp := time.Date(2030, 1, 8, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		stored string
		at     time.Time
		want   string
	}{
		{invites.Pending, exp.Add(-time.Nanosecond), invites.Pending},
		{invites.Pending, exp, invites.Expired},
		{invites.Accepted, exp.Add(time.Hour), invites.Accepted},
		{invites.Revoked, exp.Add(-time.Hour), invites.Revoked},
		{invites.Expired, exp.Add(-time.Hour), invites.Expired},
	}
	for _, c := range cases {
		i := invites.Invitation{Status: c.stored, ExpiresAt: exp}
		if got := i.StatusAt(c.at); got != c.want {
			t.Errorf("%s at %v: %s, want %s", c.stored, c.at, got, c.want)
		}
	}
}
