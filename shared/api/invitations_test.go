package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/invites"
)

const (
	owner = "olivia@example.com"
	bob   = "bob@example.com"
	eve   = "eve@example.com"
)

// invitationBody is an invitation as the API shows it.
type invitationBody struct {
	ID          string  `json:"id"`
	Email       string  `json:"email"`
	Role        string  `json:"role"`
	Status      string  `json:"status"`
	InvitedBy   string  `json:"invited_by"`
	ExpiresAt   string  `json:"expires_at"`
	RespondedAt *string `json:"responded_at"`
}

type previewBody struct {
	OrganizationName string `json:"organization_name"`
	InviterName      string `json:"inviter_name"`
	Role             string `json:"role"`
	Status           string `json:"status"`
	ExpiresAt        string `json:"expires_at"`
}

type acceptBody struct {
	OrganizationID string `json:"organization_id"`
	Member         struct {
		UserID string `json:"user_id"`
		Email  string `json:"email"`
		Role   string `json:"role"`
	} `json:"member"`
}

// TestInvitationFlow: each subtest makes its own org and invitation, so
// any of them runs alone.
func TestInvitationFlow(t *testing.T) {
	f := newFlowEnv(t)
	// invited makes a fresh org (named name) inviting bob, and returns the
	// org, the invitation and the token its email carried.
	invited := func(t *testing.T, name string) (string, invitationBody, string) {
		t.Helper()
		org, _ := f.newOrg(t, owner, name)
		r := f.must(t, 201, owner, "POST", "/organizations/"+org+"/invitations",
			map[string]any{"email": "Bob@Example.com", "name": "Bob"})
		return org, as[invitationBody](t, r), f.tokenFrom(t, bob)
	}

	t.Run("Create", func(t *testing.T) {
		org, _ := f.newOrg(t, owner, "Acme")
		r := f.must(t, 201, owner, "POST", "/organizations/"+org+"/invitations",
			map[string]any{"email": "Bob@Example.com", "name": "Bob"})
		inv := as[invitationBody](t, r)
		if inv.Email != bob || inv.Status != "pending" || inv.Role != "member" || inv.InvitedBy != userID(owner) {
			t.Fatalf("created %+v", inv)
		}
		if got, want := r.Header.Get("Location"), "/organizations/"+org+"/invitations/"+inv.ID; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		if m, p := f.orgNumbers(t, owner, org); m != 1 || p != 1 {
			t.Errorf("members %d pending %d, want 1 and 1", m, p)
		}
		got := f.must(t, 200, owner, "GET", r.Header.Get("Location"), nil)
		if as[invitationBody](t, got).ID != inv.ID || got.Header.Get("ETag") != `"1"` {
			t.Errorf("GET Location: %s", got.Raw)
		}
		f.tokenFrom(t, bob) // the email went out
	})
	t.Run("Preview", func(t *testing.T) {
		_, inv, token := invited(t, "Preview Co")
		got := as[previewBody](t, f.must(t, 200, "", "GET", "/invitations/"+token, nil))
		want := previewBody{OrganizationName: "Preview Co", InviterName: "olivia", Role: "member", Status: "pending", ExpiresAt: inv.ExpiresAt}
		if got != want {
			t.Errorf("preview %+v, want %+v", got, want)
		}
	})
	t.Run("Accept", func(t *testing.T) {
		org, _, token := invited(t, "Accept Co")
		a := as[acceptBody](t, f.must(t, 200, bob, "POST", "/invitations/"+token+"/accept", nil))
		if a.OrganizationID != org || a.Member.UserID != userID(bob) || a.Member.Role != "member" || a.Member.Email != bob {
			t.Fatalf("accept %+v", a)
		}
		f.must(t, 200, bob, "GET", "/organizations/"+org, nil)
		if m, p := f.orgNumbers(t, owner, org); m != 2 || p != 0 {
			t.Errorf("members %d pending %d, want 2 and 0", m, p)
		}
		list := as[struct{ Data []invitationBody }](t, f.must(t, 200, owner, "GET", "/organizations/"+org+"/invitations", nil)).Data
		if len(list) != 1 || list[0].Status != "accepted" || list[0].RespondedAt == nil {
			t.Errorf("list %+v", list)
		}
	})
	t.Run("ErrUsedToken", func(t *testing.T) {
		_, _, token := invited(t, "Used Co")
		f.must(t, 200, bob, "POST", "/invitations/"+token+"/accept", nil)
		if r := f.call(t, bob, "POST", "/invitations/"+token+"/accept", nil); r.Status != 410 || r.Code(t) != "gone" {
			t.Fatalf("second accept: %d %s", r.Status, r.Raw)
		}
		if r := f.call(t, bob, "POST", "/invitations/"+token+"/decline", nil); r.Status != 410 {
			t.Fatalf("decline after accept: %d %s", r.Status, r.Raw)
		}
		if p := as[previewBody](t, f.must(t, 200, "", "GET", "/invitations/"+token, nil)); p.Status != "accepted" {
			t.Errorf("preview after accept %+v", p)
		}
	})
	t.Run("ErrAlreadyMember", func(t *testing.T) {
		org, _, token := invited(t, "Member Co")
		f.must(t, 200, bob, "POST", "/invitations/"+token+"/accept", nil)
		if r := f.call(t, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": bob}); r.Status != 409 || r.Code(t) != "already_member" {
			t.Fatalf("inviting a member: %d %s", r.Status, r.Raw)
		}
	})
}

// TestAcceptRace: six concurrent accepts of one invitation make exactly
// one membership.
func TestAcceptRace(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	_, token := f.invite(t, owner, org, bob, "admin")

	var wg sync.WaitGroup
	statuses := make([]int, 6)
	for i := range statuses {
		wg.Go(func() { statuses[i] = f.call(t, bob, "POST", "/invitations/"+token+"/accept", nil).Status })
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 410:
		default:
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("statuses %v: %d accepts succeeded, want exactly 1", statuses, ok)
	}
	members := f.must(t, 200, owner, "GET", "/organizations/"+org+"/members", nil).Data(t)
	if len(members) != 2 {
		t.Fatalf("%d members, want 2", len(members))
	}
	o := f.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t)
	if o["member_count"] != 2.0 || o["pending_invitation_count"] != 0.0 {
		t.Errorf("counters %v %v", o["member_count"], o["pending_invitation_count"])
	}
	roles := f.must(t, 200, owner, "GET", "/organizations/"+org+"/roles", nil).Data(t)
	for _, r := range roles {
		if want := map[string]float64{"owner": 1, "admin": 1, "member": 0}[r["id"].(string)]; r["member_count"] != want {
			t.Errorf("role %s has %v members, want %v", r["id"], r["member_count"], want)
		}
	}
}

// TestSeatQuota: pending invitations take seats (free plan: 5 members
// including pending invitations), under concurrency too.
func TestSeatQuota(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")

	var wg sync.WaitGroup
	var mu sync.Mutex
	created := map[int]string{}
	for i := range 10 {
		wg.Go(func() {
			r := f.call(t, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": fmt.Sprintf("guest%d@example.com", i)})
			switch {
			case r.Status == 201:
				mu.Lock()
				created[i] = r.Str(t, "id")
				mu.Unlock()
			case r.Status == 409 && r.Code(t) == "quota_exceeded":
			default:
				t.Errorf("invite %d: %d %s", i, r.Status, r.Raw)
			}
		})
	}
	wg.Wait()
	if len(created) != 4 {
		t.Fatalf("%d invitations created against room for 4", len(created))
	}
	if m, p := f.orgNumbers(t, owner, org); m != 1 || p != 4 {
		t.Fatalf("members %d pending %d, want 1 and 4", m, p)
	}

	// Accepting keeps the seat; revoking frees it.
	var accepted, revoked int
	for i, id := range created {
		email := fmt.Sprintf("guest%d@example.com", i)
		switch {
		case accepted == 0:
			accepted++
			f.must(t, 200, email, "POST", "/invitations/"+f.tokenFrom(t, email)+"/accept", nil)
		case revoked == 0:
			revoked++
			f.must(t, 204, owner, "DELETE", "/organizations/"+org+"/invitations/"+id, nil)
		}
	}
	if m, p := f.orgNumbers(t, owner, org); m != 2 || p != 2 {
		t.Fatalf("members %d pending %d, want 2 and 2", m, p)
	}
	f.must(t, 201, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "late@example.com"})
	if r := f.call(t, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "later@example.com"}); r.Status != 409 || r.Code(t) != "quota_exceeded" {
		t.Fatalf("over the limit: %d %s", r.Status, r.Raw)
	}
}

// TestExpiry runs the clock past the 7 days: the token is gone, the list
// says expired, resend revives it, and expired invitations give their
// seats and emails back when they are needed.
func TestExpiry(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	id, token := f.invite(t, owner, org, bob, "")

	f.clock.Advance(invites.Lifetime - time.Second)
	if p := f.must(t, 200, "", "GET", "/invitations/"+token, nil).JSON(t); p["status"] != "pending" {
		t.Fatalf("a second before expiry: %v", p["status"])
	}
	f.clock.Advance(time.Second)
	if p := f.must(t, 200, "", "GET", "/invitations/"+token, nil).JSON(t); p["status"] != "expired" {
		t.Fatalf("at expiry: %v", p["status"])
	}
	if r := f.call(t, bob, "POST", "/invitations/"+token+"/accept", nil); r.Status != 410 || !strings.Contains(r.Str(t, "detail"), "expired") {
		t.Fatalf("accepting an expired invitation: %d %s", r.Status, r.Raw)
	}
	if l := f.must(t, 200, owner, "GET", "/organizations/"+org+"/invitations?status=expired", nil).Data(t); len(l) != 1 || l[0]["id"] != id {
		t.Fatalf("expired list %v", l)
	}
	if l := f.must(t, 200, owner, "GET", "/organizations/"+org+"/invitations?status=pending", nil).Data(t); len(l) != 0 {
		t.Fatalf("pending list %v", l)
	}

	t.Run("Resend", func(t *testing.T) {
		r := f.must(t, 200, owner, "POST", "/organizations/"+org+"/invitations/"+id+"/resend", nil).JSON(t)
		exp, _ := time.Parse(time.RFC3339, r["expires_at"].(string))
		if r["status"] != "pending" || r["send_count"] != 2.0 || exp.Before(f.clock.Now().Add(invites.Lifetime-time.Minute)) {
			t.Fatalf("resent %v", r)
		}
		fresh := f.tokenFrom(t, bob)
		if fresh == token {
			t.Fatal("resend kept the token")
		}
		if r := f.call(t, "", "GET", "/invitations/"+token, nil); r.Status != 404 {
			t.Fatalf("the old token after a resend: %d", r.Status)
		}
		if m, p := f.orgNumbers(t, owner, org); m != 1 || p != 1 {
			t.Fatalf("resend moved counters: members %d pending %d", m, p)
		}
		f.must(t, 200, bob, "POST", "/invitations/"+fresh+"/accept", nil)
	})

	t.Run("ExpiredFreeSeatsAndEmails", func(t *testing.T) {
		// Fill the org: owner, bob, three pending invitations.
		for i := range 3 {
			f.must(t, 201, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": fmt.Sprintf("g%d@example.com", i)})
		}
		if r := f.call(t, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "x@example.com"}); r.Status != 409 {
			t.Fatalf("a full org took an invitation: %d", r.Status)
		}
		f.clock.Advance(invites.Lifetime)
		// The same email again: its expired invitation is closed first.
		f.must(t, 201, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "g0@example.com"})
		// A new email: the other expired invitations give their seats back.
		f.must(t, 201, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "x@example.com"})
		if m, p := f.orgNumbers(t, owner, org); m != 2 || p != 2 {
			t.Fatalf("members %d pending %d, want 2 and 2", m, p)
		}
		if l := f.must(t, 200, owner, "GET", "/organizations/"+org+"/invitations?status=expired", nil).Data(t); len(l) != 3 {
			t.Fatalf("%d expired invitations listed, want 3", len(l))
		}
	})
}

func TestInvitationRoles(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	const admin, member = "ada@example.com", "max@example.com"
	f.join(t, owner, org, admin, "admin")
	f.join(t, owner, org, member, "member")
	path := "/organizations/" + org + "/invitations"

	cases := []struct {
		name, who, role string
		want            int
	}{
		{"OwnerInvitesOwner", owner, "owner", 201},
		{"AdminInvitesMember", admin, "member", 201},
		{"ErrAdminInvitesAdmin", admin, "admin", 403},
		{"ErrAdminInvitesOwner", admin, "owner", 403},
		{"ErrMemberInvites", member, "member", 403},
		{"ErrNonMember", eve, "member", 404},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.call(t, c.who, "POST", path, map[string]any{"email": fmt.Sprintf("new%d@example.com", i), "role": c.role})
			if r.Status != c.want {
				t.Fatalf("got %d, want %d: %s", r.Status, c.want, r.Raw)
			}
		})
	}
	t.Run("ErrMemberLists", func(t *testing.T) {
		f.must(t, 403, member, "GET", path, nil)
		f.must(t, 404, eve, "GET", path, nil)
	})
	t.Run("ErrAdminRevokesOwnerInvitation", func(t *testing.T) {
		var ownerInv string
		for _, i := range f.must(t, 200, owner, "GET", path+"?status=pending", nil).Data(t) {
			if i["role"] == "owner" {
				ownerInv = i["id"].(string)
			}
		}
		f.must(t, 403, admin, "DELETE", path+"/"+ownerInv, nil)
		f.must(t, 403, admin, "POST", path+"/"+ownerInv+"/resend", nil)
		f.must(t, 404, eve, "DELETE", path+"/"+ownerInv, nil)
	})
}

func TestInvitationConflicts(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	path := "/organizations/" + org + "/invitations"
	f.must(t, 201, owner, "POST", path, map[string]any{"email": bob})
	if r := f.call(t, owner, "POST", path, map[string]any{"email": "BOB@example.com"}); r.Status != 409 || r.Code(t) != "conflict" {
		t.Fatalf("a second invitation to the same email: %d %s", r.Status, r.Raw)
	}
	if r := f.call(t, owner, "POST", path, map[string]any{"email": owner}); r.Status != 409 || r.Code(t) != "already_member" {
		t.Fatalf("inviting oneself: %d %s", r.Status, r.Raw)
	}
	// Concurrent invitations to one email: one lands.
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for range 5 {
		wg.Go(func() {
			if f.call(t, owner, "POST", path, map[string]any{"email": "cy@example.com"}).Status == 201 {
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n != 1 {
		t.Fatalf("%d concurrent invitations to one email landed, want 1", n)
	}
}

// TestInvitee: only the invitee may accept or decline, and the refusal
// does not say whom the invitation is for.
func TestInvitee(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	_, token := f.invite(t, owner, org, bob, "")

	for _, action := range []string{"accept", "decline"} {
		r := f.call(t, eve, "POST", "/invitations/"+token+"/"+action, nil)
		if r.Status != 403 || strings.Contains(string(r.Raw), "bob") {
			t.Fatalf("%s by someone else: %d %s", action, r.Status, r.Raw)
		}
	}
	if r := f.call(t, "", "POST", "/invitations/"+token+"/accept", nil); r.Status != 401 {
		t.Fatalf("accept without credentials: %d", r.Status)
	}
	f.must(t, 204, bob, "POST", "/invitations/"+token+"/decline", nil)
	if r := f.call(t, bob, "POST", "/invitations/"+token+"/accept", nil); r.Status != 410 {
		t.Fatalf("accept after decline: %d %s", r.Status, r.Raw)
	}
	if m, p := f.orgNumbers(t, owner, org); m != 1 || p != 0 {
		t.Fatalf("decline left members %d pending %d", m, p)
	}
	// Declining freed the email: a new invitation may go to it.
	f.invite(t, owner, org, bob, "")
}

func TestRevokeAndResend(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	path := "/organizations/" + org + "/invitations/"
	id, token := f.invite(t, owner, org, bob, "")

	f.must(t, 204, owner, "DELETE", path+id, nil)
	f.must(t, 204, owner, "DELETE", path+id, nil) // again: a no-op
	if r := f.call(t, bob, "POST", "/invitations/"+token+"/accept", nil); r.Status != 410 || !strings.Contains(r.Str(t, "detail"), "revoked") {
		t.Fatalf("accepting a revoked invitation: %d %s", r.Status, r.Raw)
	}
	if r := f.call(t, owner, "POST", path+id+"/resend", nil); r.Status != 409 {
		t.Fatalf("resending a revoked invitation: %d %s", r.Status, r.Raw)
	}
	if m, p := f.orgNumbers(t, owner, org); m != 1 || p != 0 {
		t.Fatalf("revoke left members %d pending %d", m, p)
	}
	if len(f.deliver(t)) != 0 {
		t.Fatal("revoking sent mail")
	}

	id2, first := f.invite(t, owner, org, bob, "")
	f.must(t, 200, owner, "POST", path+id2+"/resend", nil)
	second := f.tokenFrom(t, bob)
	// Two resends before the stream catches up: the first one's token is
	// already dead when its record runs, so only the latest email goes out.
	f.must(t, 200, owner, "POST", path+id2+"/resend", nil)
	f.must(t, 200, owner, "POST", path+id2+"/resend", nil)
	latest := f.tokenFrom(t, bob)
	if m, p := f.orgNumbers(t, owner, org); m != 1 || p != 1 {
		t.Fatalf("resends moved counters: members %d pending %d", m, p)
	}
	for _, old := range []string{first, second} {
		f.must(t, 404, "", "GET", "/invitations/"+old, nil)
	}
	f.must(t, 200, bob, "POST", "/invitations/"+latest+"/accept", nil)
	f.must(t, 404, owner, "DELETE", path+"inv_01jbz8k6w3m4t5v6x7y8z9a0bc", nil)
	f.must(t, 404, owner, "POST", path+"not-an-id/resend", nil)
}

func TestInvitationList(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	other, _ := f.newOrg(t, owner, "Other")
	path := "/organizations/" + org + "/invitations"
	var ids []string
	for i := range 3 {
		ids = append(ids, f.must(t, 201, owner, "POST", path, map[string]any{"email": fmt.Sprintf("g%d@example.com", i)}).Str(t, "id"))
	}
	p1 := f.must(t, 200, owner, "GET", path+"?limit=2", nil)
	var l struct {
		Data       []map[string]any `json:"data"`
		NextCursor *string          `json:"next_cursor"`
	}
	mustJSON(t, p1.Raw, &l)
	if len(l.Data) != 2 || l.Data[0]["id"] != ids[2] || l.Data[1]["id"] != ids[1] || l.NextCursor == nil {
		t.Fatalf("first page (newest first) %v", p1.JSON(t))
	}
	p2 := f.must(t, 200, owner, "GET", path+"?limit=2&cursor="+*l.NextCursor, nil).Data(t)
	if len(p2) != 1 || p2[0]["id"] != ids[0] {
		t.Fatalf("second page %v", p2)
	}
	for _, bad := range []string{
		"/organizations/" + other + "/invitations?cursor=" + *l.NextCursor, // another org's list
		path + "?status=pending&cursor=" + *l.NextCursor,                   // another filter
		path + "?status=maybe",
		path + "?limit=0",
		path + "?sort=email",
	} {
		if r := f.call(t, owner, "GET", bad, nil); r.Status != 400 {
			t.Errorf("GET %s → %d, want 400", bad, r.Status)
		}
	}
}

func TestInvitationBadInput(t *testing.T) {
	f := newFlowEnv(t)
	org, _ := f.newOrg(t, owner, "Acme")
	path := "/organizations/" + org + "/invitations"
	for name, body := range map[string]any{
		"NoEmail":       map[string]any{"role": "member"},
		"BadEmail":      map[string]any{"email": "not an email"},
		"DisplayName":   map[string]any{"email": "Bob <bob@example.com>"},
		"UnknownRole":   map[string]any{"email": bob, "role": "superuser"},
		"UnknownField":  map[string]any{"email": bob, "status": "accepted"},
		"ServerField":   map[string]any{"email": bob, "expires_at": "2030-01-01T00:00:00Z"},
		"EmailNumber":   map[string]any{"email": 7},
		"BlankName":     map[string]any{"email": bob, "name": "  "},
		"NotJSON":       "{email:",
		"TrailingJunk":  `{"email":"bob@example.com"} {}`,
		"EmptyBody":     "",
		"RoleIsNotList": map[string]any{"email": bob, "role": []string{"admin"}},
	} {
		t.Run(name, func(t *testing.T) {
			if r := f.call(t, owner, "POST", path, body); r.Status != 400 {
				t.Fatalf("got %d: %s", r.Status, r.Raw)
			}
		})
	}
	t.Run("Tokens", func(t *testing.T) {
		for _, tok := range []string{"short", strings.Repeat("A", 43), strings.Repeat("!", 43)} {
			f.must(t, 404, "", "GET", "/invitations/"+tok, nil)
			f.must(t, 404, bob, "POST", "/invitations/"+tok+"/accept", nil)
			f.must(t, 404, bob, "POST", "/invitations/"+tok+"/decline", nil)
		}
	})
	if m, p := f.orgNumbers(t, owner, org); m != 1 || p != 0 {
		t.Fatalf("bad input moved counters: members %d pending %d", m, p)
	}
}

// TestDeleteOrgRemovesInvitations: deleting an org removes its
// invitations with their token lookups (in partitions of their own),
// email guards and send requests.
func TestDeleteOrgRemovesInvitations(t *testing.T) {
	f := newFlowEnv(t)
	org, slug := f.newOrg(t, owner, "Acme")
	_, token := f.invite(t, owner, org, bob, "")
	f.must(t, 201, owner, "POST", "/organizations/"+org+"/invitations", map[string]any{"email": "cy@example.com"})
	f.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": 5}, "Idempotency-Key", "k")
	f.must(t, 204, owner, "DELETE", "/organizations/"+org, map[string]any{"confirm_slug": slug})

	f.must(t, 404, "", "GET", "/invitations/"+token, nil)
	f.must(t, 404, bob, "POST", "/invitations/"+token+"/accept", nil)
	out, err := f.store.DB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(f.store.Table)})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range out.Items {
		pk := item["PK"].(*types.AttributeValueMemberS).Value
		if strings.Contains(pk, org) || strings.HasPrefix(pk, "INVITE#") {
			t.Errorf("left behind: %s / %s", pk, item["SK"].(*types.AttributeValueMemberS).Value)
		}
	}
}

// TestInvitationsKeepTheirInvitersAuthority: an invitation is only as good
// as its inviter's standing when it is accepted. Removing, deactivating or
// demoting the inviter voids it; a resend by someone entitled revives it.
func TestInvitationsKeepTheirInvitersAuthority(t *testing.T) {
	f := newFlowEnv(t)
	const o1 = "o1@auth.test"
	org, _ := f.newOrg(t, o1, "Authority")
	f.join(t, o1, org, "o2@auth.test", "owner")
	f.join(t, o1, org, "adm@auth.test", "admin")

	t.Run("ErrInviterRemoved", func(t *testing.T) {
		_, token := f.invite(t, "o2@auth.test", org, "alt@auth.test", "owner")
		f.must(t, 204, o1, "DELETE", "/organizations/"+org+"/members/"+userID("o2@auth.test"), nil)
		if r := f.call(t, "alt@auth.test", "POST", "/invitations/"+token+"/accept", nil); r.Status != 410 {
			t.Fatalf("accept after the inviter was removed: %d %s", r.Status, r.Raw)
		}
		if got := activeOwners(t, f.env, org, o1); got != 1 {
			t.Fatalf("%d owners, want 1", got)
		}
	})
	t.Run("ErrInviterDemoted", func(t *testing.T) {
		_, token := f.invite(t, "adm@auth.test", org, "m1@auth.test", "member")
		f.must(t, 200, o1, "PATCH", "/organizations/"+org+"/members/"+userID("adm@auth.test"), map[string]any{"role": "member"})
		f.must(t, 410, "m1@auth.test", "POST", "/invitations/"+token+"/accept", nil)
	})
	t.Run("ResendRebindsTheInviter", func(t *testing.T) {
		f.must(t, 200, o1, "PATCH", "/organizations/"+org+"/members/"+userID("adm@auth.test"), map[string]any{"role": "admin"})
		id, _ := f.invite(t, "adm@auth.test", org, "m2@auth.test", "member")
		f.must(t, 200, o1, "PATCH", "/organizations/"+org+"/members/"+userID("adm@auth.test"), map[string]any{"status": "inactive"})
		f.must(t, 200, o1, "POST", "/organizations/"+org+"/invitations/"+id+"/resend", nil)
		f.must(t, 200, "m2@auth.test", "POST", "/invitations/"+f.tokenFrom(t, "m2@auth.test")+"/accept", nil)
	})
}
