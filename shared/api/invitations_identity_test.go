package api_test

import "testing"

// TestInviteeLookalikes is finding 1 of issue 9: an address that only
// looks like the invitee's (Unicode case folding would make it equal)
// neither accepts nor declines the invitation, and the invitee still can.
func TestInviteeLookalikes(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	const sam = "sam@example.test"
	_, token := f.invite(t, owner, org, sam, "")

	lookalikes := []struct{ name, email string }{
		{"LongSInLocalPart", "\u017fam@example.test"},
		{"LongSInDomain", "sam@example.te\u017ft"},
		{"CyrillicA", "s\u0430m@example.test"},
		{"DotlessI", "sam@example.\u0131est"},
	}
	for _, l := range lookalikes {
		t.Run(l.name, func(t *testing.T) {
			for _, action := range []string{"accept", "decline"} {
				if r := f.call(t, l.email, "POST", "/invitations/"+token+"/"+action, nil); r.Status != 403 {
					t.Errorf("%s by %q → %d %s, want 403", action, l.email, r.Status, r.Raw)
				}
			}
		})
	}
	t.Run("KelvinSignIsNoIdentity", func(t *testing.T) {
		if r := f.call(t, "\u212aim@example.test", "POST", "/invitations/"+token+"/accept", nil); r.Status != 401 {
			t.Errorf("accept by a Kelvin-sign address → %d %s, want 401", r.Status, r.Raw)
		}
	})
	t.Run("KelvinSignIsNoInvitee", func(t *testing.T) {
		r := f.call(t, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "\u212aim@example.test"})
		if r.Status != 400 {
			t.Errorf("invite a Kelvin-sign address → %d %s, want 400", r.Status, r.Raw)
		}
	})
	t.Run("InviteeAccepts", func(t *testing.T) {
		a := f.must(t, 200, "SAM@example.test", "POST", "/invitations/"+token+"/accept", nil)
		var got struct {
			Member struct {
				Email string `json:"email"`
			} `json:"member"`
		}
		if err := a.decode(&got); err != nil || got.Member.Email != sam {
			t.Fatalf("member email %q, %v; want %q", got.Member.Email, err, sam)
		}
	})
}
