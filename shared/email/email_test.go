package email

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Address
	}{
		{"ASCII kept", "sam@example.test", "sam@example.test"},
		{"ASCII local and domain lowercased", "Sam.Smith@Example.TEST", "sam.smith@example.test"},
		{"plus tag kept", "Sam+Ops@example.test", "sam+ops@example.test"},
		{"non-ASCII local part keeps its case", "Ünal@Example.test", "Ünal@example.test"},
		{"NFC composes", "u\u0308nal@example.test", "\u00fcnal@example.test"},
		{"long s stays long s", "\u017fam@example.test", "\u017fam@example.test"},
		{"long s in the domain stays", "sam@example.te\u017ft", "sam@example.te\u017ft"},
		{"dotless i stays", "\u0131an@example.test", "\u0131an@example.test"},
		{"Cyrillic a stays", "s\u0430m@example.test", "s\u0430m@example.test"},
		{"non-ASCII domain: only ASCII letters lowered", "sam@EXAMPLE.t\u00c9st", "sam@example.t\u00c9st"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestConfusablesAreNotTheVictim is finding 1 of issue 9: look-alike
// addresses must never normalize to the ASCII address they imitate.
func TestConfusablesAreNotTheVictim(t *testing.T) {
	tests := []struct {
		name, victim, lookalike string
	}{
		{"long s U+017F in the local part", "sam@example.test", "\u017fam@example.test"},
		{"long s U+017F in the domain", "sam@example.test", "sam@example.te\u017ft"},
		{"Kelvin sign U+212A", "kim@example.test", "\u212aim@example.test"},
		{"Kelvin sign in the domain", "sam@kiwi.test", "sam@\u212aiwi.test"},
		{"dotless i U+0131", "ian@example.test", "\u0131an@example.test"},
		{"capital I with dot U+0130", "ian@example.test", "\u0130an@example.test"},
		{"Cyrillic a U+0430", "sam@example.test", "s\u0430m@example.test"},
		{"fullwidth S U+FF33", "sam@example.test", "\uff33am@example.test"},
		{"ligature fi U+FB01", "fin@example.test", "\ufb01n@example.test"},
		{"Angstrom sign U+212B", "\u00e5sa@example.test", "\u212bsa@example.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			victim, err := Parse(tt.victim)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.victim, err)
			}
			got, err := Parse(tt.lookalike)
			if err == nil && got == victim {
				t.Errorf("Parse(%q) = %q, the victim's address", tt.lookalike, got)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"no at", "sam.example.test"},
		{"display name", "Sam <sam@example.test>"},
		{"space", "sam @example.test"},
		{"control character", "sam\u0085@example.test"},
		{"invalid UTF-8", "s\xffam@example.test"},
		{"replacement character", "s\ufffdm@example.test"},
		{"Kelvin sign, which NFC makes ASCII", "\u212aim@example.test"},
		{"Greek question mark, which NFC makes ASCII", "sam\u037e@example.test"},
		{"too long", string(make([]byte, 250)) + "@x.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Parse(tt.in); !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			}
		})
	}
}
