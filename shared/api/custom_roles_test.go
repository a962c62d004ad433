package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/testkit"
)

// roleBody is a role as the API shows it.
type roleBody struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Level           int      `json:"level"`
	Permissions     []string `json:"permissions"`
	BuiltIn         bool     `json:"built_in"`
	MemberCount     int      `json:"member_count"`
	InvitationCount int      `json:"invitation_count"`
	CanAssign       bool     `json:"can_assign"`
	CanEdit         bool     `json:"can_edit"`
}

type memberBody struct {
	UserID        string  `json:"user_id"`
	Role          string  `json:"role"`
	RoleExpiresAt *string `json:"role_expires_at"`
}

func rolesPath(org string) string { return "/organizations/" + org + "/roles" }

// createRole makes a custom role in org as actor and returns it.
func (e *env) createRole(t *testing.T, actor, org string, body map[string]any) roleBody {
	t.Helper()
	return as[roleBody](t, e.must(t, 201, actor, "POST", rolesPath(org), body))
}

// liftLimits lifts an org's seat and role limits, as a larger plan would,
// so a test can hold every kind of member and role at once.
func (e *env) liftLimits(t *testing.T, org string) {
	t.Helper()
	_, err := e.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &e.store.Table,
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ORG#" + org}, "SK": &types.AttributeValueMemberS{Value: "ORG"}},
		UpdateExpression: aws.String("REMOVE seat_limit, role_limit")})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRoleTemplatesAsTheSeedSays walks the seed's hierarchy: Admin assigns
// every role, Co-Admin assigns Manager and below, Manager views members
// and invites with the member role, and can neither edit roles nor remove.
func TestRoleTemplatesAsTheSeedSays(t *testing.T) {
	f := newFlowEnv(t)
	const owner, co, mgr = "owner@seed.test", "co@seed.test", "mgr@seed.test"
	org, _ := f.newOrg(t, owner, "Seed")
	f.liftLimits(t, org)

	coAdmin := f.createRole(t, owner, org, map[string]any{"template": "co_admin"})
	manager := f.createRole(t, owner, org, map[string]any{"template": "manager", "name": "Team Manager"})
	if coAdmin.Name != "Co-Admin" || coAdmin.Level != 60 || manager.Name != "Team Manager" || manager.Level != 40 || !manager.CanEdit {
		t.Fatalf("templates made %+v and %+v", coAdmin, manager)
	}
	var levels []int
	for _, r := range as[struct{ Data []roleBody }](t, f.must(t, 200, owner, "GET", rolesPath(org), nil)).Data {
		levels = append(levels, r.Level)
	}
	if want := []int{100, 80, 60, 40, 10}; !slices.Equal(levels, want) {
		t.Fatalf("role levels listed %v, want %v (highest first)", levels, want)
	}

	f.join(t, owner, org, co, coAdmin.ID)
	_, token := f.invite(t, owner, org, mgr, manager.ID)
	f.must(t, 200, mgr, "POST", "/invitations/"+token+"/accept", nil)

	// Manager: views members, invites as member, nothing more.
	f.must(t, 200, mgr, "GET", "/organizations/"+org+"/members", nil)
	f.must(t, 201, mgr, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "new1@seed.test"})
	for _, role := range []string{manager.ID, coAdmin.ID, "admin"} {
		if r := f.call(t, mgr, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "new2@seed.test", "role": role}); r.Status != 403 {
			t.Errorf("manager invites as %s: %d %s", role, r.Status, r.Raw)
		}
	}
	f.must(t, 403, mgr, "PATCH", "/organizations/"+org+"/members/"+userID(co), map[string]any{"role": "member"})
	f.must(t, 403, mgr, "DELETE", "/organizations/"+org+"/members/"+userID(co), nil)
	f.must(t, 403, mgr, "POST", rolesPath(org), map[string]any{"name": "Mine", "level": 20, "permissions": []string{}})
	for _, r := range as[struct{ Data []roleBody }](t, f.must(t, 200, mgr, "GET", rolesPath(org), nil)).Data {
		if r.CanEdit || r.CanAssign != (r.ID == "member") {
			t.Errorf("for the manager, role %s says can_assign %v can_edit %v", r.ID, r.CanAssign, r.CanEdit)
		}
	}

	// Co-Admin: assigns Manager and below, never its own level or above.
	f.must(t, 200, co, "PATCH", "/organizations/"+org+"/members/"+userID(mgr), map[string]any{"role": "member"})
	f.must(t, 200, co, "PATCH", "/organizations/"+org+"/members/"+userID(mgr), map[string]any{"role": manager.ID})
	f.must(t, 403, co, "PATCH", "/organizations/"+org+"/members/"+userID(mgr), map[string]any{"role": coAdmin.ID})
	f.must(t, 403, co, "PATCH", "/organizations/"+org+"/members/"+userID(mgr), map[string]any{"role": "admin"})
	f.must(t, 201, co, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "new3@seed.test", "role": manager.ID})
	f.must(t, 204, co, "DELETE", "/organizations/"+org+"/members/"+userID(mgr), nil)

	// Admin (the seed's "Admin", here the owner) assigns every role.
	f.must(t, 200, owner, "PATCH", "/organizations/"+org+"/members/"+userID(co), map[string]any{"role": "admin"})
}

// TestEscalationMatrix: actor role × target role × action, each with the
// status a reader of API.md's role rules expects. Owners grant anything;
// everyone else only below their own level, with members:update for any
// role but member; nobody manages their own level or above; roles are
// defined only below one's level and with held permissions.
func TestEscalationMatrix(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@matrix.test"
	org, _ := e.newOrg(t, owner, "Matrix")
	e.liftLimits(t, org)
	coAdmin := e.createRole(t, owner, org, map[string]any{"template": "co_admin"})
	manager := e.createRole(t, owner, org, map[string]any{"template": "manager"})
	custom30 := e.createRole(t, owner, org, map[string]any{"name": "Lead", "level": 30,
		"permissions": []string{"organization:read", "members:read", "members:invite", "members:update", "members:remove", "roles:read", "roles:manage"}})
	ids := map[string]string{"owner": "owner", "admin": "admin", "co_admin": coAdmin.ID, "manager": manager.ID,
		"custom30": custom30.ID, "member": "member"}
	order := []string{"owner", "admin", "co_admin", "manager", "custom30", "member"}
	actors := map[string]string{}
	for _, a := range order {
		actors[a] = a + "@matrix.test"
		if a != "owner" {
			e.addMember(t, org, actors[a], ids[a])
		}
	}

	// Invite with a role: rows are actors, columns targets in `order`.
	invite := map[string][6]int{
		"owner":    {201, 201, 201, 201, 201, 201},
		"admin":    {403, 403, 201, 201, 201, 201},
		"co_admin": {403, 403, 403, 201, 201, 201},
		"manager":  {403, 403, 403, 403, 403, 201},
		"custom30": {403, 403, 403, 403, 403, 201},
		"member":   {403, 403, 403, 403, 403, 403},
	}
	n := 0
	for _, a := range order {
		for i, target := range order {
			t.Run(fmt.Sprintf("Invite/%s/as/%s", a, target), func(t *testing.T) {
				n++
				r := e.call(t, actors[a], "POST", "/organizations/"+org+"/invitations",
					map[string]any{"email": fmt.Sprintf("guest%d@matrix.test", n), "role": ids[target]})
				if want := invite[a][i]; r.Status != want {
					t.Fatalf("got %d %s, want %d", r.Status, r.Raw, want)
				}
			})
		}
	}

	// Change someone holding target to member (or member to custom30), and
	// remove them: allowed only strictly below the actor (owners: owners too).
	manage := map[string][6]int{
		"owner":    {200, 200, 200, 200, 200, 200},
		"admin":    {403, 403, 200, 200, 200, 200},
		"co_admin": {403, 403, 403, 200, 200, 200},
		"manager":  {403, 403, 403, 403, 403, 403},
		"custom30": {403, 403, 403, 403, 403, 200},
		"member":   {403, 403, 403, 403, 403, 403},
	}
	for _, a := range order {
		for i, target := range order {
			t.Run(fmt.Sprintf("ChangeAndRemove/%s/holder-of/%s", a, target), func(t *testing.T) {
				holder := fmt.Sprintf("%s.%s@matrix.test", a, target)
				id := e.addMember(t, org, holder, ids[target])
				// To member (for a member, a no-op that still needs the right
				// to manage them).
				to := "member"
				want := manage[a][i]
				r := e.call(t, actors[a], "PATCH", "/organizations/"+org+"/members/"+id, map[string]any{"role": to})
				if r.Status != want {
					t.Fatalf("change: got %d %s, want %d", r.Status, r.Raw, want)
				}
				removeWant := map[int]int{200: 204, 403: 403}[want]
				if a == "custom30" || a == "co_admin" || a == "admin" || a == "owner" {
					if r := e.call(t, actors[a], "DELETE", "/organizations/"+org+"/members/"+id, nil); r.Status != removeWant {
						t.Fatalf("remove: got %d %s, want %d", r.Status, r.Raw, removeWant)
					}
				}
			})
		}
	}

	// Nobody changes their own role, but an owner stepping down while
	// another owner remains.
	for _, a := range []string{"admin", "co_admin", "custom30", "member"} {
		t.Run("PromoteSelf/"+a, func(t *testing.T) {
			e.must(t, 403, actors[a], "PATCH", "/organizations/"+org+"/members/"+userID(actors[a]), map[string]any{"role": "owner"})
			e.must(t, 403, actors[a], "PATCH", "/organizations/"+org+"/members/"+userID(actors[a]), map[string]any{"role": "member"})
		})
	}

	// Defining roles: custom30 holds roles:manage at level 30.
	define := []struct {
		name  string
		body  map[string]any
		want  int
		code  string
		extra []string
	}{
		{"BelowOwnLevel", map[string]any{"name": "Helper", "level": 20, "permissions": []string{"members:read"}}, 201, "", nil},
		{"AtOwnLevel", map[string]any{"name": "Peer", "level": 30, "permissions": []string{}}, 403, "role_level_too_high", nil},
		{"AboveOwnLevel", map[string]any{"name": "Boss", "level": 50, "permissions": []string{}}, 403, "role_level_too_high", nil},
		{"PermissionNotHeld", map[string]any{"name": "Biller", "level": 20, "permissions": []string{"members:read", "billing:manage", "api_keys:manage"}},
			403, "permission_not_held", []string{"billing:manage", "api_keys:manage"}},
		{"TemplateAboveLevel", map[string]any{"template": "manager"}, 403, "role_level_too_high", nil},
	}
	for _, d := range define {
		t.Run("Define/"+d.name, func(t *testing.T) {
			r := e.call(t, actors["custom30"], "POST", rolesPath(org), d.body)
			if r.Status != d.want || (d.code != "" && r.Code(t) != d.code) {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw, d.want, d.code)
			}
			if d.extra != nil {
				got := as[struct {
					Unheld []string `json:"unheld_permissions"`
				}](t, r).Unheld
				if !slices.Equal(got, d.extra) {
					t.Fatalf("unheld_permissions %v, want %v", got, d.extra)
				}
			}
		})
	}
	t.Run("Define/EditAtOwnLevel", func(t *testing.T) {
		e.must(t, 403, actors["custom30"], "PATCH", rolesPath(org)+"/"+custom30.ID, map[string]any{"name": "Mine"})
		e.must(t, 403, actors["admin"], "PATCH", rolesPath(org)+"/"+coAdmin.ID, map[string]any{"permissions": []string{"billing:manage"}})
		e.must(t, 200, actors["admin"], "PATCH", rolesPath(org)+"/"+coAdmin.ID, map[string]any{"permissions": []string{"members:read"}})
	})
	t.Run("BuiltInsAreReadOnly", func(t *testing.T) {
		e.must(t, 403, owner, "PATCH", rolesPath(org)+"/admin", map[string]any{"name": "Boss"})
		e.must(t, 403, owner, "DELETE", rolesPath(org)+"/member", nil)
	})
}

// TestRoleDeleteRacesAssignments: concurrent assignments of a role racing
// its deletion end with the role gone and nobody holding it, or the
// delete refused while someone does: never a member holding a deleted role.
func TestRoleDeleteRacesAssignments(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@race.test"
	for round := range 3 {
		org, _ := e.newOrg(t, owner, fmt.Sprintf("Race %d", round))
		e.liftLimits(t, org)
		role := e.createRole(t, owner, org, map[string]any{"name": "Temp", "level": 20, "permissions": []string{"members:read"}})
		var targets []string
		for i := range 6 {
			targets = append(targets, e.addMember(t, org, fmt.Sprintf("m%d.%d@race.test", round, i), "member"))
		}
		var wg sync.WaitGroup
		assigned := make([]int, len(targets))
		var deleted int
		for i, id := range targets {
			wg.Go(func() {
				assigned[i] = e.call(t, owner, "PATCH", "/organizations/"+org+"/members/"+id, map[string]any{"role": role.ID}).Status
			})
		}
		wg.Go(func() { deleted = e.call(t, owner, "DELETE", rolesPath(org)+"/"+role.ID, nil).Status })
		wg.Wait()

		holders := 0
		for _, m := range as[struct{ Data []memberBody }](t, e.must(t, 200, owner, "GET", "/organizations/"+org+"/members?limit=100", nil)).Data {
			if m.Role == role.ID {
				holders++
			}
		}
		got := e.call(t, owner, "GET", rolesPath(org)+"/"+role.ID, nil)
		switch deleted {
		case 204:
			if got.Status != 404 || holders != 0 {
				t.Fatalf("round %d: role deleted but GET %d and %d members hold it (assignments %v)", round, got.Status, holders, assigned)
			}
			for _, s := range assigned {
				if s != 200 && s != 400 && s != 409 {
					t.Fatalf("round %d: an assignment racing the delete answered %d", round, s)
				}
			}
		case 409:
			if got.Status != 200 || holders == 0 || as[roleBody](t, got).MemberCount != holders {
				t.Fatalf("round %d: delete refused but %d holders, role %s", round, holders, got.Raw)
			}
		default:
			t.Fatalf("round %d: delete answered %d", round, deleted)
		}
	}
}

// TestRoleQuotaUnderConcurrency: 50 concurrent creates against the free
// plan's room for 3 custom roles leave exactly 3.
func TestRoleQuotaUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@quota.test"
	org, _ := e.newOrg(t, owner, "Quota")
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = e.call(t, owner, "POST", rolesPath(org),
				map[string]any{"name": fmt.Sprintf("Role %d", i), "level": 20, "permissions": []string{}}).Status
		})
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case 201:
			created++
		case 409:
		default:
			t.Errorf("status %d", s)
		}
	}
	custom := 0
	for _, r := range as[struct{ Data []roleBody }](t, e.must(t, 200, owner, "GET", rolesPath(org), nil)).Data {
		if !r.BuiltIn {
			custom++
		}
	}
	if created != 3 || custom != 3 {
		t.Fatalf("%d creates succeeded and %d custom roles exist, want 3 and 3", created, custom)
	}
	if r := e.call(t, owner, "POST", rolesPath(org), map[string]any{"name": "role 0", "level": 20, "permissions": []string{}}); r.Status != 409 {
		t.Fatalf("a fourth role: %d %s", r.Status, r.Raw)
	}
}

// TestRoleChangesApplyOnTheNextRequest: a permission removed from a role
// is refused on its holder's very next request; a rename leaves holders
// holding the role; names are unique ignoring case.
func TestRoleChangesApplyOnTheNextRequest(t *testing.T) {
	e := newEnv(t)
	const owner, builder = "owner@next.test", "builder@next.test"
	org, _ := e.newOrg(t, owner, "Next")
	role := e.createRole(t, owner, org, map[string]any{"name": "Builder", "level": 20,
		"permissions": []string{"organization:read", "projects:read", "projects:create"}})
	e.addMember(t, org, builder, role.ID)
	e.must(t, 201, builder, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "One"})

	r := e.must(t, 200, owner, "PATCH", rolesPath(org)+"/"+role.ID, map[string]any{"name": "Viewer", "permissions": []string{"organization:read", "projects:read"}})
	change := as[struct {
		Role            roleBody `json:"role"`
		Added           []string `json:"added"`
		Removed         []string `json:"removed"`
		AffectedMembers int      `json:"affected_members"`
	}](t, r)
	if change.Role.Name != "Viewer" || len(change.Added) != 0 || !slices.Equal(change.Removed, []string{"projects:create"}) || change.AffectedMembers != 1 {
		t.Fatalf("change %+v", change)
	}
	if r := e.call(t, builder, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "Two"}); r.Status != 403 {
		t.Fatalf("after the permission went: %d %s", r.Status, r.Raw)
	}
	m := as[memberBody](t, e.must(t, 200, owner, "GET", "/organizations/"+org+"/members/"+userID(builder), nil))
	if m.Role != role.ID {
		t.Fatalf("after a rename the member holds %q, want %q", m.Role, role.ID)
	}
	if r := e.call(t, owner, "POST", rolesPath(org), map[string]any{"name": "VIEWER", "level": 15, "permissions": []string{}}); r.Status != 409 || r.Code(t) != "role_name_taken" {
		t.Fatalf("a name taken in another case: %d %s", r.Status, r.Raw)
	}
	e.must(t, 201, owner, "POST", rolesPath(org), map[string]any{"name": "Builder", "level": 15, "permissions": []string{}})
	etag := e.must(t, 200, owner, "GET", rolesPath(org)+"/"+role.ID, nil).Header.Get("ETag")
	e.must(t, 200, owner, "PATCH", rolesPath(org)+"/"+role.ID, map[string]any{"description": "reads"}, "If-Match", etag)
	e.must(t, 412, owner, "PATCH", rolesPath(org)+"/"+role.ID, map[string]any{"description": "stale"}, "If-Match", etag)
}

// TestForeignRoleIsUnknown: a role id of org A is refused in org B with
// 400 unknown_role, and nothing changes.
func TestForeignRoleIsUnknown(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@foreign.test"
	a, _ := e.newOrg(t, owner, "A")
	b, _ := e.newOrg(t, owner, "B")
	foreign := e.createRole(t, owner, a, map[string]any{"name": "Only A", "level": 20, "permissions": []string{}})
	m := e.addMember(t, b, "m@foreign.test", "member")
	for _, r := range []resp{
		e.call(t, owner, "PATCH", "/organizations/"+b+"/members/"+m, map[string]any{"role": foreign.ID}),
		e.call(t, owner, "POST", "/organizations/"+b+"/invitations", map[string]any{"email": "x@foreign.test", "role": foreign.ID}),
		e.call(t, owner, "DELETE", rolesPath(b)+"/"+foreign.ID, nil),
	} {
		if r.Status != 400 && r.Status != 404 {
			t.Errorf("%d %s", r.Status, r.Raw)
		}
		if r.Status == 400 && r.Code(t) != "unknown_role" {
			t.Errorf("code %s", r.Code(t))
		}
	}
	if got := as[memberBody](t, e.must(t, 200, owner, "GET", "/organizations/"+b+"/members/"+m, nil)); got.Role != "member" {
		t.Fatalf("member now %q", got.Role)
	}
	if n := len(e.must(t, 200, owner, "GET", "/organizations/"+b+"/invitations", nil).Data(t)); n != 0 {
		t.Fatalf("%d invitations in B", n)
	}
}

// TestDeleteRoleInUse: a held role is 409 role_in_use with its counts;
// ?reassign_to= moves members and pending invitations, then deletes it.
func TestDeleteRoleInUse(t *testing.T) {
	f := newFlowEnv(t)
	const owner = "owner@inuse.test"
	org, _ := f.newOrg(t, owner, "InUse")
	role := f.createRole(t, owner, org, map[string]any{"name": "Temp", "level": 20, "permissions": []string{"members:read"}})
	m1 := f.addMember(t, org, "a@inuse.test", role.ID)
	m2 := f.addMember(t, org, "b@inuse.test", role.ID)
	inv, _ := f.invite(t, owner, org, "c@inuse.test", role.ID)

	r := f.call(t, owner, "DELETE", rolesPath(org)+"/"+role.ID, nil)
	counts := as[struct {
		Code        string `json:"code"`
		Members     int    `json:"member_count"`
		Invitations int    `json:"invitation_count"`
	}](t, r)
	if r.Status != 409 || counts.Code != "role_in_use" || counts.Members != 2 || counts.Invitations != 1 {
		t.Fatalf("delete in use: %d %s", r.Status, r.Raw)
	}
	f.must(t, 400, owner, "DELETE", rolesPath(org)+"/"+role.ID+"?reassign_to=role_01jbz8k6w3m4t5v6x7y8z9a0bc", nil)
	f.must(t, 204, owner, "DELETE", rolesPath(org)+"/"+role.ID+"?reassign_to=member", nil)
	f.must(t, 404, owner, "GET", rolesPath(org)+"/"+role.ID, nil)
	for _, id := range []string{m1, m2} {
		if got := as[memberBody](t, f.must(t, 200, owner, "GET", "/organizations/"+org+"/members/"+id, nil)); got.Role != "member" {
			t.Errorf("member %s holds %q after the reassignment", id, got.Role)
		}
	}
	if got := as[invitationBody](t, f.must(t, 200, owner, "GET", "/organizations/"+org+"/invitations/"+inv, nil)); got.Role != "member" {
		t.Errorf("invitation holds %q after the reassignment", got.Role)
	}
	for _, r := range as[struct{ Data []roleBody }](t, f.must(t, 200, owner, "GET", rolesPath(org), nil)).Data {
		if r.ID == "member" && (r.MemberCount != 2 || r.InvitationCount != 1) {
			t.Errorf("member role counts %d members, %d invitations; want 2 and 1", r.MemberCount, r.InvitationCount)
		}
	}
}

// TestTimeBoundElevation: an elevation with role_expires_at acts as its
// role until then, and as member from then on, as the listing shows.
func TestTimeBoundElevation(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	e := newEnvAt(t, clock.Now)
	const owner, temp = "owner@elev.test", "temp@elev.test"
	org, _ := e.newOrg(t, owner, "Elevation")
	id := e.addMember(t, org, temp, "member")
	until := clock.Now().Add(time.Hour).UTC().Truncate(time.Second)

	e.must(t, 400, owner, "PATCH", "/organizations/"+org+"/members/"+id, map[string]any{"role": "admin", "role_expires_at": clock.Now().Add(-time.Minute).Format(time.RFC3339)})
	e.must(t, 400, owner, "PATCH", "/organizations/"+org+"/members/"+id, map[string]any{"role": "owner", "role_expires_at": until.Format(time.RFC3339)})
	got := as[memberBody](t, e.must(t, 200, owner, "PATCH", "/organizations/"+org+"/members/"+id,
		map[string]any{"role": "admin", "role_expires_at": until.Format(time.RFC3339)}))
	if got.Role != "admin" || got.RoleExpiresAt == nil || *got.RoleExpiresAt != until.Format(time.RFC3339) {
		t.Fatalf("elevated: %+v", got)
	}
	e.must(t, 200, temp, "PATCH", "/organizations/"+org, map[string]any{"description": "while admin"})

	clock.Advance(time.Hour)
	e.must(t, 403, temp, "PATCH", "/organizations/"+org, map[string]any{"description": "after"})
	got = as[memberBody](t, e.must(t, 200, owner, "GET", "/organizations/"+org+"/members/"+id, nil))
	if got.Role != "member" || got.RoleExpiresAt != nil {
		t.Fatalf("after the elevation: %+v", got)
	}
	list := as[struct{ Data []memberBody }](t, e.must(t, 200, owner, "GET", "/organizations/"+org+"/members", nil)).Data
	for _, m := range list {
		if m.UserID == id && m.Role != "member" {
			t.Fatalf("the list shows %+v", m)
		}
	}
}

// TestCustomRoleAdmissionIsOneRead: a custom role's permissions come with
// the admission read; a holder's reads cost what an owner's do.
func TestCustomRoleAdmissionIsOneRead(t *testing.T) {
	e := newEnv(t)
	const owner, holder = "owner@one.test", "holder@one.test"
	org, _ := e.newOrg(t, owner, "One")
	role := e.createRole(t, owner, org, map[string]any{"name": "Reader", "level": 20,
		"permissions": []string{string(access.OrgRead), string(access.ProjectsRead), string(access.RolesRead)}})
	e.addMember(t, org, holder, role.ID)
	prj := e.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
	for _, path := range []string{"/organizations/" + org, "/organizations/" + org + "/projects/" + prj, rolesPath(org)} {
		e.calls.Reset()
		e.must(t, 200, holder, "GET", path, nil)
		if n, m := e.calls.Total(), e.calls.Count("BatchGetItem"); n > 2 || m < 1 {
			t.Errorf("GET %s as a custom role holder: %d calls (%v)", strings.Replace(path, org, "{org}", 1), n, e.calls.Counts())
		}
	}
}
