package auth

import (
	"context"
	"testing"
	"time"
)

// BenchmarkAuthenticate is the per-request cost of verifying an ID token
// (ES256, key cached), paid by every authenticated request.
func BenchmarkAuthenticate(b *testing.B) {
	dev, err := NewDevIssuer("https://iss.test", "aud")
	if err != nil {
		b.Fatal(err)
	}
	v := &Verifier{Issuer: "https://iss.test", Audience: "aud", Keys: dev}
	tok, _ := dev.Token("ada@example.com", "Ada", time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
