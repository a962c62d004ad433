package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// errKeySource marks failures to reach the key source (a 5xx), as opposed
// to a token naming a key that does not exist (a 401).
var errKeySource = errors.New("key source unavailable")

// JWK is one public key of a JSON Web Key Set.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// JWKSet is a JSON Web Key Set document.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// PublicKey decodes the key (RSA or EC P-256).
func (k JWK) PublicKey() (any, error) {
	b64 := base64.RawURLEncoding
	switch k.Kty {
	case "RSA":
		n, err1 := b64.DecodeString(k.N)
		e, err2 := b64.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) > 4 {
			return nil, fmt.Errorf("jwk %s: bad RSA parameters", k.Kid)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("jwk %s: curve %q not supported", k.Kid, k.Crv)
		}
		x, err1 := b64.DecodeString(k.X)
		y, err2 := b64.DecodeString(k.Y)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("jwk %s: bad EC parameters", k.Kid)
		}
		return &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}, nil
	}
	return nil, fmt.Errorf("jwk %s: key type %q not supported", k.Kid, k.Kty)
}

// RemoteJWKS fetches an issuer's key set over HTTP and caches it for the
// life of the process, refetching (at most once per MinRefresh) when a
// token names a key it has not seen: that is how key rotation arrives.
type RemoteJWKS struct {
	URL        string
	Client     *http.Client
	MinRefresh time.Duration

	mu      sync.Mutex
	keys    map[string]any
	fetched time.Time
}

// Key returns the public key with the id.
func (s *RemoteJWKS) Key(ctx context.Context, kid string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	minRefresh := s.MinRefresh
	if minRefresh == 0 {
		minRefresh = time.Minute
	}
	if s.keys != nil && time.Since(s.fetched) < minRefresh {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	if err := s.fetch(ctx); err != nil {
		return nil, fmt.Errorf("%w: %v", errKeySource, err)
	}
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

// Prefetch fetches the key set unless it is held already, so a function
// can overlap the fetch with the rest of its cold start; a failure is
// left for Key to retry.
func (s *RemoteJWKS) Prefetch(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		_ = s.fetch(ctx)
	}
}

func (s *RemoteJWKS) fetch(ctx context.Context) error {
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", s.URL, resp.Status)
	}
	var set JWKSet
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("GET %s: %w", s.URL, err)
	}
	keys := map[string]any{}
	for _, k := range set.Keys {
		if pk, err := k.PublicKey(); err == nil {
			keys[k.Kid] = pk
		}
	}
	s.keys, s.fetched = keys, time.Now()
	return nil
}
