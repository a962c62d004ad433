package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestProblem(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind Kind
		ok   bool
	}{
		{"plain", "Launch site", Line, true},
		{"non-ASCII", "Zürich ✓ 東京", Line, true},
		{"empty", "", Line, true},
		{"invalid UTF-8", "a\xffb", Line, false},
		{"encoded surrogate", "a\xed\xa0\x80b", Line, false},
		{"U+FFFD", "a\ufffdb", Line, false},
		{"NUL", "a\x00b", Line, false},
		{"escape", "a\x1b[31mb", Line, false},
		{"DEL", "a\x7fb", Line, false},
		{"C1 NEL U+0085", "a\u0085b", Line, false},
		{"C1 CSI U+009B", "a\u009bb", Line, false},
		{"tab on a line", "a\tb", Line, false},
		{"newline on a line", "a\nb", Line, false},
		{"tab and newline in lines", "a\tb\nc", Lines, true},
		{"carriage return in lines", "a\r\nb", Lines, false},
		{"C1 in lines", "a\u0085b", Lines, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Problem(tt.in, tt.kind)
			if (got == "") != tt.ok {
				t.Errorf("Problem(%q) = %q; want ok=%v", tt.in, got, tt.ok)
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"kept", "Ada Lovelace", 100, "Ada Lovelace"},
		{"trimmed and folded", "  Ada \t\n Lovelace  ", 100, "Ada Lovelace"},
		{"controls dropped", "Ada\x00\u0085\u009b\x1b Love\x7flace", 100, "Ada Lovelace"},
		{"invalid UTF-8 and U+FFFD dropped", "A\xffda\ufffd", 100, "Ada"},
		{"bounded", strings.Repeat("é", 300), 88, strings.Repeat("é", 88)},
		{"no trailing space at the bound", "abc def", 4, "abc"},
		{"only controls", "\x00\x01", 100, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Clean(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
			}
			if Problem(got, Line) != "" || utf8.RuneCountInString(got) > tt.max {
				t.Errorf("Clean(%q) = %q breaks the rule", tt.in, got)
			}
		})
	}
}
