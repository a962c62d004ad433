package api_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestFreeTextRule is finding 3 of issue 9: every free-text field refuses
// invalid UTF-8, lone surrogates, C0 and C1 controls and U+FFFD (the
// wallet and app env used to store them).
func TestFreeTextRule(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@text.test"
	org, _ := e.newOrg(t, owner, "Text")
	project := e.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
	app := e.installChat(t, owner, org, nil).Str(t, "id")
	// Each field as a JSON fragment with %s where the bad text goes.
	fields := []struct{ name, method, path, body string }{
		{"TopUpReference", "POST", "/organizations/" + org + "/wallet/top-ups", `{"amount":1,"reference":"%s"}`},
		{"ChargeDescription", "POST", "/organizations/" + org + "/wallet/charges", `{"amount":1,"description":"%s"}`},
		{"InstallEnv", "POST", "/organizations/" + org + "/apps", `{"template_id":"chat-assistant","env":{"LLM_API_KEY":"k","SYSTEM_PROMPT":"%s"}}`},
		{"PatchEnv", "PATCH", "/organizations/" + org + "/apps/" + app, `{"env":{"SYSTEM_PROMPT":"%s"}}`},
		{"AppName", "PATCH", "/organizations/" + org + "/apps/" + app, `{"name":"%s"}`},
		{"OrgName", "POST", "/organizations", `{"name":"%s"}`},
		{"OrgDescription", "PATCH", "/organizations/" + org, `{"description":"%s"}`},
		{"ProjectName", "PATCH", "/organizations/" + org + "/projects/" + project, `{"name":"%s"}`},
		{"ProjectDescription", "POST", "/organizations/" + org + "/projects", `{"name":"Q","description":"%s"}`},
		{"InvitationName", "POST", "/organizations/" + org + "/invitations", `{"email":"i@text.test","name":"%s"}`},
	}
	bad := []struct{ name, text string }{
		{"InvalidUTF8", "a\xffb"},
		{"LoneSurrogate", `a\ud800b`},
		{"LoneLowSurrogate", `a\udc00b`},
		{"ReplacementChar", "a\uFFFDb"},
		{"NUL", `a\u0000b`},
		{"Escape", `a\u001b[2Jb`},
		{"C1NextLine", "a\u0085b"},
		{"C1CSI", "a\u009bb"},
	}
	for _, f := range fields {
		for _, b := range bad {
			t.Run(f.name+"/"+b.name, func(t *testing.T) {
				body := strings.Replace(f.body, "%s", b.text, 1)
				if r := e.call(t, owner, f.method, f.path, body); r.Status != 400 {
					t.Errorf("%s %s %q → %d, want 400: %s", f.method, f.path, body, r.Status, r.Raw)
				}
			})
		}
	}
	t.Run("MultiLineTextKeepsNewlines", func(t *testing.T) {
		e.must(t, 200, owner, "PATCH", "/organizations/"+org+"/apps/"+app, `{"env":{"SYSTEM_PROMPT":"Be brief.\nBe kind.\tThanks"}}`)
	})
}

// TestIdentityNamesAreCleaned is finding 5 of issue 9: the token's name is
// cleaned and bounded wherever it is stored, so the personal org's name is
// a valid org name that PATCH accepts back unchanged.
func TestIdentityNamesAreCleaned(t *testing.T) {
	e := newEnv(t)
	const email = "long@names.test"
	tok, err := e.issuer.Token(email, " "+strings.Repeat("Ada\u0085\x1b ", 600)+"\ufffd", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	auth := []string{"Authorization", "Bearer " + tok}
	var me struct {
		Name                 string `json:"name"`
		ActiveOrganizationID string `json:"active_organization_id"`
	}
	if err := e.must(t, 200, "", "GET", "/me", nil, auth...).decode(&me); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(me.Name); n == 0 || n > 88 || strings.ContainsAny(me.Name, "\u0085\x1b\ufffd") {
		t.Errorf("user name %q (%d characters) is not clean and bounded", me.Name, n)
	}
	var org struct {
		Name string `json:"name"`
	}
	if err := e.must(t, 200, "", "GET", "/organizations/"+me.ActiveOrganizationID, nil, auth...).decode(&org); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(org.Name); n > 100 || !strings.HasPrefix(org.Name, me.Name) {
		t.Errorf("personal org name %q (%d characters)", org.Name, n)
	}
	e.must(t, 200, "", "PATCH", "/organizations/"+me.ActiveOrganizationID, map[string]any{"name": org.Name}, auth...)
	var member struct {
		Name string `json:"name"`
	}
	path := "/organizations/" + me.ActiveOrganizationID + "/members/" + userID(email)
	if err := e.must(t, 200, "", "GET", path, nil, auth...).decode(&member); err != nil || member.Name != me.Name {
		t.Errorf("member name %q, want the user's %q (%v)", member.Name, me.Name, err)
	}
	var inv struct {
		InviterName string `json:"inviter_name"`
	}
	r := e.must(t, 201, "", "POST", "/organizations/"+me.ActiveOrganizationID+"/invitations", map[string]any{"email": "x@names.test"}, auth...)
	if err := r.decode(&inv); err != nil || inv.InviterName != me.Name {
		t.Errorf("inviter name %q, want the user's %q (%v)", inv.InviterName, me.Name, err)
	}
}
