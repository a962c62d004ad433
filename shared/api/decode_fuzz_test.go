package api

import (
	"testing"

	"github.com/orgplane/orgplane/shared/problem"
)

// FuzzDecode feeds arbitrary bodies to the strict decoder with the shapes
// the handlers decode into: it must never panic, and every failure must be
// a 4xx problem. `go test` runs the seed corpus; `go test -fuzz FuzzDecode
// ./shared/api` explores further.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Acme","slug":"acme","description":"d"}`, `{}`, `[]`, `null`, `"x"`, `5`,
		`{"name":5}`, `{"plan":"enterprise"}`, `{"name":"a"}{"name":"b"}`, `{"name":"a"`,
		`{"branding":{"primary_color":"#000000"},"logo_url":null}`, `{"notification_preferences":{"a":1}}`,
		`{"role":"admin","status":"inactive"}`, `{"name":"\u0000"}`, `{"name":"a","name":"b"}`,
		"\xff\xfe", `{"a":{"b":{"c":[[[[[]]]]]}}}`, `{"organization_id":null}`, ` {"name":"x"} `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{
			&struct {
				Name        *string `json:"name"`
				Slug        *string `json:"slug"`
				Description *string `json:"description"`
			}{},
			&struct {
				Name                    Optional[string]            `json:"name"`
				LogoURL                 Optional[string]            `json:"logo_url"`
				Branding                Optional[map[string]string] `json:"branding"`
				NotificationPreferences Optional[map[string]bool]   `json:"notification_preferences"`
			}{},
			&struct {
				Role   *string `json:"role"`
				Status *string `json:"status"`
			}{},
			&struct {
				OrganizationID *string `json:"organization_id"`
			}{},
		}
		for _, dst := range targets {
			err := decodeBytes(body, dst)
			if err == nil {
				continue
			}
			pe, ok := problem.As(err)
			if !ok || pe.Status() < 400 || pe.Status() >= 500 {
				t.Fatalf("decode(%q) → %v, want a 4xx problem", body, err)
			}
		}
	})
}
