package api_test

import (
	"testing"

	"github.com/orgplane/orgplane/shared/access"
)

// TestRoleLevelRules: grant and manage only below your own level; owners
// manage owners; transfer moves ownership in one step.
func TestRoleLevelRules(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@roles.test", "Roles")
	admin := e.addMember(t, org, "admin@roles.test", access.Admin)
	admin2 := e.addMember(t, org, "admin2@roles.test", access.Admin)
	member := e.addMember(t, org, "member@roles.test", access.Member)
	path := func(u string) string { return "/organizations/" + org + "/members/" + u }

	cases := []struct {
		name, as, target string
		body             map[string]any
		want             int
	}{
		{"AdminCannotGrantAdmin", "admin@roles.test", member, map[string]any{"role": "admin"}, 403},
		{"AdminCannotGrantOwner", "admin@roles.test", member, map[string]any{"role": "owner"}, 403},
		{"AdminCannotChangePeer", "admin@roles.test", admin2, map[string]any{"role": "member"}, 403},
		{"AdminCannotChangeSelf", "admin@roles.test", admin, map[string]any{"role": "member"}, 403},
		{"AdminCannotTouchOwner", "admin@roles.test", userID("owner@roles.test"), map[string]any{"status": "inactive"}, 403},
		{"MemberCannotChangeAnyone", "member@roles.test", member, map[string]any{"status": "inactive"}, 403},
		{"AdminDeactivatesMember", "admin@roles.test", member, map[string]any{"status": "inactive"}, 200},
		{"AdminReactivatesMember", "admin@roles.test", member, map[string]any{"status": "active"}, 200},
		{"OwnerDemotesAdmin", "owner@roles.test", admin2, map[string]any{"role": "member"}, 200},
		{"OwnerPromotesToOwner", "owner@roles.test", admin2, map[string]any{"role": "owner"}, 200},
		{"OwnerDemotesOtherOwner", "owner@roles.test", admin2, map[string]any{"role": "admin"}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.call(t, tc.as, "PATCH", path(tc.target), tc.body); r.Status != tc.want {
				t.Fatalf("got %d %s, want %d", r.Status, r.Raw, tc.want)
			}
		})
	}
	t.Run("IfMatchOnMember", func(t *testing.T) {
		r := e.must(t, 200, "owner@roles.test", "GET", path(member), nil)
		etag := r.Header.Get("ETag")
		e.must(t, 200, "owner@roles.test", "PATCH", path(member), map[string]any{"role": "admin"}, "If-Match", etag)
		e.must(t, 412, "owner@roles.test", "PATCH", path(member), map[string]any{"role": "member"}, "If-Match", etag)
	})
	t.Run("RemoveBelowOnly", func(t *testing.T) {
		e.must(t, 403, "admin@roles.test", "DELETE", path(admin2), nil)
		e.must(t, 204, "owner@roles.test", "DELETE", path(admin2), nil)
		e.must(t, 404, "owner@roles.test", "GET", path(admin2), nil)
		e.must(t, 404, "admin2@roles.test", "GET", "/organizations/"+org, nil)
	})
	t.Run("RolesListCountsMembers", func(t *testing.T) {
		counts := map[string]float64{}
		for _, r := range e.must(t, 200, "member@roles.test", "GET", "/organizations/"+org+"/roles", nil).Data(t) {
			counts[r["id"].(string)] = r["member_count"].(float64)
		}
		if counts["owner"] != 1 || counts["admin"] != 2 || counts["member"] != 0 {
			t.Fatalf("role counts = %v", counts)
		}
	})
	t.Run("TransferOwnership", func(t *testing.T) {
		e.must(t, 403, "admin@roles.test", "POST", "/organizations/"+org+"/transfer-ownership", map[string]any{"user_id": admin})
		r := e.must(t, 200, "owner@roles.test", "POST", "/organizations/"+org+"/transfer-ownership", map[string]any{"user_id": admin}).JSON(t)
		prev, next := r["previous_owner"].(map[string]any), r["new_owner"].(map[string]any)
		if prev["role"] != "admin" || next["role"] != "owner" || next["user_id"] != admin {
			t.Fatalf("transfer → %v", r)
		}
		e.must(t, 403, "owner@roles.test", "POST", "/organizations/"+org+"/transfer-ownership", map[string]any{"user_id": admin})
		if got := activeOwners(t, e, org, "admin@roles.test"); got != 1 {
			t.Fatalf("%d owners after transfer", got)
		}
	})
	t.Run("LeaveAsMember", func(t *testing.T) {
		e.must(t, 204, "member@roles.test", "POST", "/organizations/"+org+"/leave", nil)
		e.must(t, 404, "member@roles.test", "GET", "/organizations/"+org, nil)
	})
}

func TestProjectsManagedByCreatorUnlessGranted(t *testing.T) {
	e := newEnv(t)
	org, _ := e.newOrg(t, "owner@prj.test", "Prj")
	e.addMember(t, org, "ann@prj.test", access.Member)
	e.addMember(t, org, "ben@prj.test", access.Member)
	mine := e.must(t, 201, "ann@prj.test", "POST", "/organizations/"+org+"/projects", map[string]any{"name": "Ann's"}).Str(t, "id")
	p := "/organizations/" + org + "/projects/" + mine
	e.must(t, 200, "ben@prj.test", "GET", p, nil)
	e.must(t, 403, "ben@prj.test", "PATCH", p, map[string]any{"name": "Ben's now"})
	e.must(t, 403, "ben@prj.test", "DELETE", p, nil)
	r := e.must(t, 200, "ann@prj.test", "PATCH", p, map[string]any{"name": "Ann's site"}, "If-Match", `"1"`)
	if r.Str(t, "name") != "Ann's site" || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("patch → %s", r.Raw)
	}
	e.must(t, 412, "owner@prj.test", "PATCH", p, map[string]any{"name": "stale"}, "If-Match", `"1"`)
	e.must(t, 204, "owner@prj.test", "DELETE", p, nil)
	e.must(t, 404, "ann@prj.test", "GET", p, nil)
}
