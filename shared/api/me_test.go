package api_test

import "testing"

func TestMe(t *testing.T) {
	e := newEnv(t)
	t.Run("OK", func(t *testing.T) {
		r := e.must(t, 200, "ada@example.com", "GET", "/me", nil)
		if got, want := r.Str(t, "id"), userID("ada@example.com"); got != want {
			t.Fatalf("id = %q, want %q", got, want)
		}
		org := r.Str(t, "active_organization_id")
		if org == "" {
			t.Fatal("a new user has no personal org")
		}
		orgs := e.must(t, 200, "ada@example.com", "GET", "/me/organizations", nil).Data(t)
		if len(orgs) != 1 || orgs[0]["id"] != org || orgs[0]["role"] != "owner" || orgs[0]["personal"] != true {
			t.Fatalf("my orgs = %v", orgs)
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		if r := e.call(t, "", "GET", "/me", nil); r.Status != 401 || r.Code(t) != "unauthenticated" {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		if r := e.call(t, "", "GET", "/me", nil, "Authorization", "Bearer abc.def.ghi"); r.Status != 401 {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
	})
}
