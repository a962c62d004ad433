package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/access"
)

// walk follows next_cursor through a list and returns every row's field.
func walk(t *testing.T, e *env, email, path, field string) []string {
	t.Helper()
	var got []string
	next := ""
	for pages := 0; ; pages++ {
		p := path
		if next != "" {
			p += "&cursor=" + url.QueryEscape(next)
		}
		r := e.must(t, 200, email, "GET", p, nil)
		for _, row := range r.Data(t) {
			got = append(got, fmt.Sprint(row[field]))
		}
		n, _ := r.JSON(t)["next_cursor"].(string)
		if n == "" {
			return got
		}
		if pages > 50 {
			t.Fatal("the list does not end")
		}
		next = n
	}
}

func TestProjectLists(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@lists.test", "Lists")
	e.must(t, 200, "owner@lists.test", "PATCH", "/organizations/"+org, map[string]any{"name": "Lists"})
	names := []string{"beta", "Alpha", "gamma"}
	var ids []string
	for _, n := range names {
		ids = append(ids, e.must(t, 201, "owner@lists.test", "POST", "/organizations/"+org+"/projects", map[string]any{"name": n}).Str(t, "id"))
	}
	base := "/organizations/" + org + "/projects?limit=1"
	t.Run("CreationOrder", func(t *testing.T) {
		if got := walk(t, e, "owner@lists.test", base, "id"); strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Fatalf("got %v, want %v", got, ids)
		}
	})
	t.Run("ByName", func(t *testing.T) {
		if got := walk(t, e, "owner@lists.test", base+"&sort=name", "name"); strings.Join(got, ",") != "Alpha,beta,gamma" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("ByUpdatedAt", func(t *testing.T) {
		e.must(t, 200, "owner@lists.test", "PATCH", "/organizations/"+org+"/projects/"+ids[0], map[string]any{"description": "touched"})
		got := walk(t, e, "owner@lists.test", base+"&sort=-updated_at", "id")
		if len(got) != 3 || got[0] != ids[0] {
			t.Fatalf("got %v, want %s first", got, ids[0])
		}
	})
	t.Run("Search", func(t *testing.T) {
		if got := walk(t, e, "owner@lists.test", base+"&q=AM", "name"); strings.Join(got, ",") != "gamma" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("HasAPIKeys", func(t *testing.T) {
		if got := walk(t, e, "owner@lists.test", base+"&has_api_keys=true", "id"); len(got) != 0 {
			t.Fatalf("got %v; no project has keys", got)
		}
		if got := walk(t, e, "owner@lists.test", base+"&has_api_keys=false", "id"); len(got) != 3 {
			t.Fatalf("got %v", got)
		}
	})
}

func TestCursorsAreBoundToOrgAndList(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newOrg(t, "owner@cur.test", "A")
	b, _ := e.newOrg(t, "owner@cur.test", "B")
	for i := range 2 {
		e.must(t, 201, "owner@cur.test", "POST", "/organizations/"+a+"/projects", map[string]any{"name": fmt.Sprint("p", i)})
	}
	r := e.must(t, 200, "owner@cur.test", "GET", "/organizations/"+a+"/projects?limit=1", nil)
	cur, _ := r.JSON(t)["next_cursor"].(string)
	if cur == "" {
		t.Fatal("no cursor after a full page")
	}
	tampered := []byte(cur)
	tampered[3] ^= 1
	cases := map[string]string{
		"OK":           "/organizations/" + a + "/projects?cursor=" + cur,
		"ErrOtherOrg":  "/organizations/" + b + "/projects?cursor=" + cur,
		"ErrOtherList": "/organizations/" + a + "/members?cursor=" + cur,
		"ErrOtherSort": "/organizations/" + a + "/projects?sort=name&cursor=" + cur,
		"ErrMyOrgs":    "/me/organizations?cursor=" + cur,
		"ErrTampered":  "/organizations/" + a + "/projects?cursor=" + url.QueryEscape(string(tampered)),
	}
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.call(t, "owner@cur.test", "GET", path, nil)
			if name == "OK" {
				if r.Status != 200 || len(r.Data(t)) != 1 {
					t.Fatalf("got %d %s", r.Status, r.Raw)
				}
				return
			}
			if r.Status != 400 || r.Code(t) != "invalid_cursor" {
				t.Fatalf("got %d %s, want 400 invalid_cursor", r.Status, r.Raw)
			}
		})
	}
}

func TestMemberListFilters(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@mem.test", "Mem")
	e.addMember(t, org, "ann.admin@mem.test", access.Admin)
	bob := e.addMember(t, org, "bob@mem.test", access.Member)
	e.addMember(t, org, "carol@mem.test", access.Member)
	e.must(t, 200, "owner@mem.test", "PATCH", "/organizations/"+org+"/members/"+bob, map[string]any{"status": "inactive"})
	base := "/organizations/" + org + "/members?limit=2"
	cases := map[string]struct {
		query string
		want  int
	}{
		"All":      {"", 4},
		"Admins":   {"&role=admin", 1},
		"Members":  {"&role=member", 2},
		"Inactive": {"&status=inactive", 1},
		"ByEmail":  {"&q=MEM.TEST", 4},
		"ByName":   {"&q=carol", 1},
		"Combined": {"&role=member&status=active", 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := walk(t, e, "carol@mem.test", base+tc.query, "email"); len(got) != tc.want {
				t.Fatalf("got %v, want %d rows", got, tc.want)
			}
		})
	}
	row := e.must(t, 200, "owner@mem.test", "GET", "/organizations/"+org+"/members/"+userID("carol@mem.test"), nil).JSON(t)
	if row["last_login_at"] == nil || row["joined_at"] == nil || row["status"] != "active" {
		t.Fatalf("member row = %v", row)
	}
}
