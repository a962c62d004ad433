package catalog_test

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/catalog"
)

var (
	idPattern  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	keyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// TestTemplates checks the catalog's data: what the issue asks for, and
// what the API's paging and the env rules rely on.
func TestTemplates(t *testing.T) {
	all := catalog.All()
	if len(all) < 8 {
		t.Fatalf("%d templates, want at least 8", len(all))
	}
	categories := map[string]bool{}
	thirtyDay := 0
	for i, tpl := range all {
		if i > 0 && all[i-1].ID >= tpl.ID {
			t.Errorf("templates not in strictly increasing id order at %s, %s", all[i-1].ID, tpl.ID)
		}
		if !idPattern.MatchString(tpl.ID) {
			t.Errorf("%s: id is not kebab-case", tpl.ID)
		}
		if tpl.Name == "" || tpl.Description == "" {
			t.Errorf("%s: name or description empty", tpl.ID)
		}
		if !catalog.KnownCategory(tpl.Category) {
			t.Errorf("%s: unknown category %q", tpl.ID, tpl.Category)
		}
		categories[tpl.Category] = true
		p := tpl.Pricing
		if p.Monthly < 0 || p.Annual < 0 || p.OneTime < 0 || p.Lifetime < 0 {
			t.Errorf("%s: negative price %+v", tpl.ID, p)
		}
		if tpl.TrialDays == 30 {
			thirtyDay++
		}
		keys := map[string]bool{}
		for _, v := range tpl.Env {
			if !keyPattern.MatchString(v.Key) || keys[v.Key] {
				t.Errorf("%s: env key %q is malformed or repeated", tpl.ID, v.Key)
			}
			keys[v.Key] = true
			if v.Secret && v.Default != nil {
				t.Errorf("%s: secret %s has a default", tpl.ID, v.Key)
			}
			if v.Description == "" {
				t.Errorf("%s: %s has no description", tpl.ID, v.Key)
			}
		}
	}
	if len(categories) < 3 {
		t.Errorf("templates span %d categories, want at least 3", len(categories))
	}
	if thirtyDay*2 <= len(all) {
		t.Errorf("%d of %d templates have a 30-day trial, want most", thirtyDay, len(all))
	}
}

func ids(ts []catalog.Template) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestSearch(t *testing.T) {
	cases := []struct {
		name, category, q string
		want              []string
	}{
		{"All", "", "", ids(catalog.All())},
		{"Category", "ai", "", []string{"chat-assistant", "doc-summarizer", "image-studio"}},
		{"NameCaseInsensitive", "", "KANBAN", []string{"kanban-board"}},
		{"Description", "", "privacy-friendly", []string{"web-analytics"}},
		{"NameOrDescription", "", "team", []string{"calendar-sync", "team-chat", "team-wiki"}},
		{"CategoryAndQuery", "communication", "team", []string{"team-chat"}},
		{"TrimmedQuery", "", "  wiki ", []string{"team-wiki"}},
		{"NoMatch", "", "blockchain", nil},
		{"NoMatchInCategory", "analytics", "chat", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(catalog.Search(tc.category, tc.q)); !slices.Equal(got, tc.want) {
				t.Fatalf("Search(%q, %q) = %v, want %v", tc.category, tc.q, got, tc.want)
			}
		})
	}
}

func template(t *testing.T, id string) catalog.Template {
	t.Helper()
	tpl, ok := catalog.Get(id)
	if !ok {
		t.Fatalf("no template %s", id)
	}
	return tpl
}

func TestNewEnv(t *testing.T) {
	chat := template(t, "chat-assistant") // LLM_API_KEY required secret, MODEL default, SYSTEM_PROMPT optional
	const secret = "sk-live-0123456789"
	cases := []struct {
		name       string
		given      map[string]string
		want       map[string]string
		wantFields []string
	}{
		{"OK", map[string]string{"LLM_API_KEY": secret},
			map[string]string{"LLM_API_KEY": secret, "MODEL": "gpt-4o-mini"}, nil},
		{"OKOverridesDefault", map[string]string{"LLM_API_KEY": secret, "MODEL": "m", "SYSTEM_PROMPT": "Be brief.\nAlways."},
			map[string]string{"LLM_API_KEY": secret, "MODEL": "m", "SYSTEM_PROMPT": "Be brief.\nAlways."}, nil},
		{"ErrRequiredMissing", nil, nil, []string{"env.LLM_API_KEY"}},
		{"ErrRequiredEmpty", map[string]string{"LLM_API_KEY": ""}, nil, []string{"env.LLM_API_KEY"}},
		{"ErrUnknownKey", map[string]string{"LLM_API_KEY": secret, "DEBUG": "1"}, nil, []string{"env.DEBUG"}},
		{"ErrTooLong", map[string]string{"LLM_API_KEY": secret, "SYSTEM_PROMPT": strings.Repeat("x", catalog.MaxEnvValueLen+1)}, nil, []string{"env.SYSTEM_PROMPT"}},
		{"ErrControlCharacter", map[string]string{"LLM_API_KEY": "a\x00b"}, nil, []string{"env.LLM_API_KEY"}},
		{"ErrMaskAsSecret", map[string]string{"LLM_API_KEY": catalog.Mask}, nil, []string{"env.LLM_API_KEY"}},
		{"ErrSeveral", map[string]string{"X": "1", "Y": "2"}, nil, []string{"env.LLM_API_KEY", "env.X", "env.Y"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := chat.NewEnv(tc.given)
			var gotFields []string
			for _, e := range errs {
				gotFields = append(gotFields, e.Field)
				if strings.Contains(e.Message, secret) {
					t.Errorf("message %q repeats a value", e.Message)
				}
			}
			slices.Sort(gotFields)
			if !slices.Equal(gotFields, tc.wantFields) {
				t.Fatalf("fields in error = %v, want %v", gotFields, tc.wantFields)
			}
			if tc.wantFields == nil && !maps.Equal(got, tc.want) {
				t.Fatalf("env = %v, want %v", got, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestPatchEnv(t *testing.T) {
	chat := template(t, "chat-assistant")
	current := map[string]string{"LLM_API_KEY": "old-secret", "MODEL": "big", "SYSTEM_PROMPT": "Hi"}
	cases := []struct {
		name        string
		patch       map[string]*string
		want        map[string]string
		wantChanged []string
		wantErr     string
	}{
		{"Set", map[string]*string{"MODEL": ptr("small")},
			map[string]string{"LLM_API_KEY": "old-secret", "MODEL": "small", "SYSTEM_PROMPT": "Hi"}, []string{"MODEL"}, ""},
		{"NullResetsToDefault", map[string]*string{"MODEL": nil},
			map[string]string{"LLM_API_KEY": "old-secret", "MODEL": "gpt-4o-mini", "SYSTEM_PROMPT": "Hi"}, []string{"MODEL"}, ""},
		{"NullRemovesOptional", map[string]*string{"SYSTEM_PROMPT": nil},
			map[string]string{"LLM_API_KEY": "old-secret", "MODEL": "big"}, []string{"SYSTEM_PROMPT"}, ""},
		{"MaskKeepsSecret", map[string]*string{"LLM_API_KEY": ptr(catalog.Mask), "MODEL": ptr("big")},
			current, nil, ""},
		{"NewSecret", map[string]*string{"LLM_API_KEY": ptr("new-secret")},
			map[string]string{"LLM_API_KEY": "new-secret", "MODEL": "big", "SYSTEM_PROMPT": "Hi"}, []string{"LLM_API_KEY"}, ""},
		{"ErrNullRequired", map[string]*string{"LLM_API_KEY": nil}, nil, nil, "env.LLM_API_KEY"},
		{"ErrEmptyRequired", map[string]*string{"LLM_API_KEY": ptr("")}, nil, nil, "env.LLM_API_KEY"},
		{"ErrUnknown", map[string]*string{"NOPE": ptr("1")}, nil, nil, "env.NOPE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, errs := chat.PatchEnv(current, tc.patch)
			if tc.wantErr != "" {
				if len(errs) != 1 || errs[0].Field != tc.wantErr {
					t.Fatalf("errors = %v, want one on %s", errs, tc.wantErr)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors = %v", errs)
			}
			if !maps.Equal(got, tc.want) || !slices.Equal(changed, tc.wantChanged) {
				t.Fatalf("env = %v changed %v, want %v changed %v", got, changed, tc.want, tc.wantChanged)
			}
		})
	}
	if current["MODEL"] != "big" {
		t.Fatal("PatchEnv changed the current env in place")
	}
}

func TestMasked(t *testing.T) {
	got := catalog.Masked("chat-assistant", map[string]string{"LLM_API_KEY": "sk-1", "MODEL": "m", "LEFTOVER": "x"})
	want := map[string]string{"LLM_API_KEY": catalog.Mask, "MODEL": "m", "LEFTOVER": catalog.Mask}
	if !maps.Equal(got, want) {
		t.Fatalf("Masked = %v, want %v", got, want)
	}
	if got := catalog.Masked("no-such-template", map[string]string{"A": "1"}); got["A"] != catalog.Mask {
		t.Fatalf("an unknown template's env is shown: %v", got)
	}
}
