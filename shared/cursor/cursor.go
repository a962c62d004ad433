// Package cursor signs pagination cursors. A cursor carries the key to
// resume after, and is bound with an HMAC to the org and the list it was
// issued for, so it cannot be replayed against another tenant or list, nor
// altered to point anywhere else.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// ErrInvalid is returned for any cursor that was not issued for this org
// and list by a holder of the secret.
var ErrInvalid = errors.New("cursor: invalid")

// Codec signs and checks cursors with a server secret.
type Codec struct {
	Secret []byte
}

type payload struct {
	Org  string            `json:"o"`
	List string            `json:"l"`
	Key  map[string]string `json:"k"`
}

var b64 = base64.RawURLEncoding

// Encode returns an opaque cursor for key within org and list.
func (c Codec) Encode(org, list string, key map[string]string) string {
	body, _ := json.Marshal(payload{Org: org, List: list, Key: key})
	return b64.EncodeToString(body) + "." + b64.EncodeToString(c.mac(body))
}

// Decode checks a cursor against org and list and returns its key.
func (c Codec) Decode(token, org, list string) (map[string]string, error) {
	body64, mac64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 4096 {
		return nil, ErrInvalid
	}
	body, err1 := b64.DecodeString(body64)
	mac, err2 := b64.DecodeString(mac64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, c.mac(body)) {
		return nil, ErrInvalid
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil || p.Org != org || p.List != list || len(p.Key) == 0 {
		return nil, ErrInvalid
	}
	return p.Key, nil
}

func (c Codec) mac(body []byte) []byte {
	h := hmac.New(sha256.New, c.Secret)
	h.Write(body)
	return h.Sum(nil)[:16]
}
