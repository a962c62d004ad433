package cursor

import (
	"strings"
	"testing"
)

func TestCodec(t *testing.T) {
	c := Codec{Secret: []byte("s3cret")}
	key := map[string]string{"PK": "ORG#org_a", "SK": "PROJECT#prj_1"}
	tok := c.Encode("org_a", "projects", key)

	t.Run("OK", func(t *testing.T) {
		got, err := c.Decode(tok, "org_a", "projects")
		if err != nil || got["SK"] != "PROJECT#prj_1" || got["PK"] != "ORG#org_a" {
			t.Fatalf("Decode = %v, %v", got, err)
		}
	})
	bad := map[string]struct{ tok, org, list string }{
		"ErrOtherOrg":     {tok, "org_b", "projects"},
		"ErrOtherList":    {tok, "org_a", "members"},
		"ErrOtherSecret":  {Codec{Secret: []byte("other")}.Encode("org_a", "projects", key), "org_a", "projects"},
		"ErrTampered":     {strings.Replace(tok, tok[:4], "AAAA", 1), "org_a", "projects"},
		"ErrTruncatedMAC": {tok[:len(tok)-3], "org_a", "projects"},
		"ErrNoDot":        {"abc", "org_a", "projects"},
		"ErrGarbage":      {"!!.??", "org_a", "projects"},
		"ErrEmptyKey":     {c.Encode("org_a", "projects", nil), "org_a", "projects"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Decode(tc.tok, tc.org, tc.list); err != ErrInvalid {
				t.Fatalf("Decode = %v, want ErrInvalid", err)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	c := Codec{Secret: []byte("0123456789abcdef0123456789abcdef")}
	tok := c.Encode("org_a", "projects:name", map[string]string{"PK": "ORG#org_a", "SK": "PROJECT#prj_1", "GSI1PK": "x", "GSI1SK": "y"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(tok, "org_a", "projects:name"); err != nil {
			b.Fatal(err)
		}
	}
}
