package auth

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/text"
)

// TestPrincipalIdentity covers findings 1 and 5 of issue 9: the token's
// email gets the one normalization (no Unicode case folding), and the name
// claim is cleaned and bounded wherever it is stored.
func TestPrincipalIdentity(t *testing.T) {
	dev, err := NewDevIssuer("https://iss.test", "aud")
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Issuer: "https://iss.test", Audience: "aud", Keys: dev}
	tests := []struct {
		name, email, claimed string
		wantEmail, wantName  string
	}{
		{"ASCII lowercased", "Sam@Example.TEST", "Sam", "sam@example.test", "Sam"},
		{"long s is not s", "\u017fam@example.test", "Sam", "\u017fam@example.test", "Sam"},
		{"long s in the domain is not s", "sam@example.te\u017ft", "Sam", "sam@example.te\u017ft", "Sam"},
		{"name cleaned", "a@example.test", " Ada\u0085\x1b[2J\tLovelace\ufffd ", "a@example.test", "Ada [2J Lovelace"},
		{"name bounded", "b@example.test", strings.Repeat("x", 2048), "b@example.test", strings.Repeat("x", orgs.MaxPersonNameLen)},
		{"no usable name: the local part", "carol@example.test", "\x00\u009b", "carol@example.test", "carol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := dev.Token(tt.email, tt.claimed, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Authenticate(context.Background(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if p.Email != tt.wantEmail || p.Name != tt.wantName {
				t.Errorf("got email %q name %q; want %q %q", p.Email, p.Name, tt.wantEmail, tt.wantName)
			}
			var check orgs.Check
			check.Name("name", orgs.PersonalName(p.Name))
			if err := check.Err(); err != nil || text.Problem(p.Name, text.Line) != "" || utf8.RuneCountInString(p.Name) > orgs.MaxPersonNameLen {
				t.Errorf("name %q does not make a valid personal org name: %v", p.Name, err)
			}
		})
	}
	t.Run("ErrKelvinSign", func(t *testing.T) {
		tok, _ := dev.Token("\u212aim@example.test", "Kim", time.Hour)
		if p, err := v.Authenticate(context.Background(), tok); err == nil {
			t.Fatalf("a Kelvin-sign address authenticated as %q", p.Email)
		}
	})
}
