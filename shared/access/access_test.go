package access

import "testing"

func TestBuiltInMatrix(t *testing.T) {
	owner, _ := BuiltIn(Owner)
	admin, _ := BuiltIn(Admin)
	member, _ := BuiltIn(Member)
	for _, p := range All() {
		if !owner.Can(p) {
			t.Errorf("owner lacks %s", p)
		}
	}
	for _, p := range []Permission{BillingManage, OrgDelete, OwnershipTransfer, OrgExport} {
		if admin.Can(p) {
			t.Errorf("admin may %s", p)
		}
	}
	for _, p := range []Permission{OrgUpdate, MembersInvite, MembersUpdate, MembersRemove, ProjectsManage, AppsManage} {
		if !admin.Can(p) {
			t.Errorf("admin lacks %s", p)
		}
	}
	for _, p := range []Permission{OrgRead, ProjectsRead, ProjectsCreate, ProjectsManageOwn} {
		if !member.Can(p) {
			t.Errorf("member lacks %s", p)
		}
	}
	for _, p := range []Permission{OrgUpdate, ProjectsManage, MembersInvite, MembersUpdate, BillingRead, BillingManage, AppsManage} {
		if member.Can(p) {
			t.Errorf("member may %s", p)
		}
	}
	for _, r := range BuiltIns {
		for _, p := range r.Permissions {
			if !Known(p) {
				t.Errorf("%s holds %s, which is not in the catalog", r.ID, p)
			}
		}
	}
}

func TestLevels(t *testing.T) {
	cases := []struct {
		name                  string
		actor, target         int
		wantGrant, wantManage bool
	}{
		{"OwnerOverAdmin", OwnerLevel, AdminLevel, true, true},
		{"OwnerOverOwner", OwnerLevel, OwnerLevel, true, true},
		{"AdminOverMember", AdminLevel, MemberLevel, true, true},
		{"AdminOverCustom", AdminLevel, MaxCustomLevel, true, true},
		{"AdminOverAdmin", AdminLevel, AdminLevel, false, false},
		{"AdminOverOwner", AdminLevel, OwnerLevel, false, false},
		{"MemberOverMember", MemberLevel, MemberLevel, false, false},
		{"CustomOverMember", MinCustomLevel, MemberLevel, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := MayGrant(tc.actor, tc.target); got != tc.wantGrant {
				t.Errorf("MayGrant = %v", got)
			}
			if got := MayManage(tc.actor, tc.target); got != tc.wantManage {
				t.Errorf("MayManage = %v", got)
			}
		})
	}
}
