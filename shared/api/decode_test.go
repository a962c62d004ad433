package api

import (
	"testing"

	"github.com/orgplane/orgplane/shared/problem"
)

// patchShape is a PATCH body with every kind of field the handlers use.
type patchShape struct {
	Name   Optional[string]             `json:"name"`
	Env    Optional[map[string]*string] `json:"env"`
	Access Optional[struct {
		Visibility *string `json:"visibility"`
	}] `json:"access"`
	Tags []string `json:"tags"`
}

// createShape is a POST body: optional fields are pointers, absent or set.
type createShape struct {
	Name     *string           `json:"name"`
	Slug     *string           `json:"slug"`
	Branding map[string]string `json:"branding"`
}

// TestDecodeRefuses is finding 2 of issue 9: bodies the contract refuses
// must not decode (null as an empty patch, last duplicate winning, a key in
// another case matching a field).
func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		dst   any
		field string // the field named in errors[], "" for a body-level 400
	}{
		{"NullBody", `null`, &patchShape{}, ""},
		{"ArrayBody", `[{"name":"x"}]`, &patchShape{}, ""},
		{"StringBody", `"x"`, &patchShape{}, ""},
		{"NumberBody", `5`, &createShape{}, ""},
		{"TrueBody", `true`, &createShape{}, ""},
		{"DuplicateTopLevel", `{"name":"a","name":"b"}`, &createShape{}, "name"},
		{"DuplicateNested", `{"branding":{"primary_color":"#000000","primary_color":"#111111"}}`, &createShape{}, "branding.primary_color"},
		{"DuplicateInsideOptional", `{"env":{"K":"a","K":"b"}}`, &patchShape{}, "env.K"},
		{"DuplicateUnknownDeep", `{"name":"a","x":{"y":1,"y":2}}`, &createShape{}, "x.y"},
		{"KeyInAnotherCase", `{"NaMe":"x"}`, &createShape{}, "NaMe"},
		{"NestedKeyInAnotherCase", `{"access":{"Visibility":"private"}}`, &patchShape{}, "access.Visibility"},
		{"NullOnCreateField", `{"name":"x","slug":null}`, &createShape{}, "slug"},
		{"NullNestedPointer", `{"access":{"visibility":null}}`, &patchShape{}, "access.visibility"},
		{"NullInArray", `{"tags":["a",null]}`, &patchShape{}, "tags[1]"},
		{"NullMap", `{"branding":null}`, &createShape{}, "branding"},
		{"InvalidUTF8", "{\"name\":\"a\xffb\"}", &createShape{}, ""},
		{"TrailingObject", `{"name":"a"}{"name":"b"}`, &createShape{}, ""},
		{"UnknownField", `{"force":true}`, &struct{}{}, "force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodeBytes([]byte(tt.body), tt.dst)
			pe, ok := problem.As(err)
			if !ok || pe.Status() != 400 {
				t.Fatalf("decode(%s) = %v, want a 400", tt.body, err)
			}
			var got string
			if len(pe.Fields) > 0 {
				got = pe.Fields[0].Field
			}
			if got != tt.field {
				t.Errorf("decode(%s) names field %q, want %q (%v)", tt.body, got, tt.field, err)
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	t.Run("NullOptional", func(t *testing.T) {
		var got patchShape
		if err := decodeBytes([]byte(`{"name":null}`), &got); err != nil || !got.Name.Set || !got.Name.Null {
			t.Fatalf("got %+v, %v; want name set to null", got.Name, err)
		}
	})
	t.Run("NullMapValueInOptional", func(t *testing.T) {
		var got patchShape
		if err := decodeBytes([]byte(`{"env":{"K":null,"L":"v"}}`), &got); err != nil || got.Env.Value["K"] != nil || *got.Env.Value["L"] != "v" {
			t.Fatalf("got %+v, %v; want K reset and L set", got.Env, err)
		}
	})
	t.Run("SameKeyInSiblings", func(t *testing.T) {
		var got patchShape
		if err := decodeBytes([]byte(`{"env":{"name":"a"},"name":"b"}`), &got); err != nil || got.Name.Value != "b" {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("EmptyObject", func(t *testing.T) {
		var none struct{}
		if err := decodeBytes([]byte(" {} \n"), &none); err != nil {
			t.Fatal(err)
		}
	})
}
