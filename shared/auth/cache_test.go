package auth

import (
	"context"
	"crypto/sha256"
	"sync/atomic"
	"testing"
	"time"
)

// countingKeys counts the key lookups a verification makes: one per
// signature check.
type countingKeys struct {
	*DevIssuer
	n atomic.Int32
}

func (k *countingKeys) Key(ctx context.Context, kid string) (any, error) {
	k.n.Add(1)
	return k.DevIssuer.Key(ctx, kid)
}

// TestTokenCache: a cached token is not verified again until it expires;
// a bad token is never cached; the cache stays within its size.
func TestTokenCache(t *testing.T) {
	dev, err := NewDevIssuer("https://iss.test", "aud")
	if err != nil {
		t.Fatal(err)
	}
	keys := &countingKeys{DevIssuer: dev}
	v := &Verifier{Issuer: "https://iss.test", Audience: "aud", Keys: keys, CacheSize: 2}
	ctx := context.Background()
	tok, _ := dev.Token("ada@example.com", "Ada", time.Hour)
	first, err := v.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	again, err := v.Authenticate(ctx, tok)
	if err != nil || again != first || keys.n.Load() != 1 {
		t.Fatalf("second call: %+v, %v; %d signature checks, want 1", again, err, keys.n.Load())
	}

	// An entry past its expiry is verified again.
	v.remember(sha256.Sum256([]byte(tok)), first, time.Now().Add(-time.Second))
	if _, err := v.Authenticate(ctx, tok); err != nil || keys.n.Load() != 2 {
		t.Fatalf("after expiry: %v; %d signature checks, want 2", err, keys.n.Load())
	}

	// A tampered token fails every time.
	bad := tok[:len(tok)-2] + "AA"
	for range 2 {
		if _, err := v.Authenticate(ctx, bad); err == nil {
			t.Fatal("a tampered token was accepted")
		}
	}

	for _, who := range []string{"b@example.com", "c@example.com", "d@example.com"} {
		tk, _ := dev.Token(who, "X", time.Hour)
		if _, err := v.Authenticate(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.cache); n > 2 {
		t.Fatalf("cache holds %d tokens, over its size of 2", n)
	}
}
