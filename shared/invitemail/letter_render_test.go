package invitemail

import (
	"bytes"
	htmltemplate "html/template"
	"testing"
	texttemplate "text/template"
	"time"
)

// The templates the letter was rendered with before it was built by
// hand (see mail.HTML): the hand-built letter must say exactly the same,
// escaping included.
var textTemplate = texttemplate.Must(texttemplate.New("text").Funcs(texttemplate.FuncMap{"line": oneLine}).Parse(
	`Hi{{with .InviteeName}} {{line .}}{{end}},

{{if .InviterName}}{{line .InviterName}} invited you{{else}}You are invited{{end}} to join {{line .OrganizationName}} on Orgplane as {{.Article}} {{.Role}}.

Accept the invitation:
{{.Link}}

The link works once and expires on {{.Expires}}. Sign in as {{.To}} to accept it.
If you were not expecting this invitation, you can ignore this email.
`))

var htmlTemplate = htmltemplate.Must(htmltemplate.New("html").Funcs(htmltemplate.FuncMap{"line": oneLine}).Parse(
	`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;padding:32px">
<tr><td>
<p style="font-size:16px">Hi{{with .InviteeName}} {{line .}}{{end}},</p>
<p style="font-size:16px">{{if .InviterName}}<strong>{{line .InviterName}}</strong> invited you{{else}}You are invited{{end}} to join <strong>{{line .OrganizationName}}</strong> on Orgplane as {{.Article}} {{.Role}}.</p>
<p style="margin:32px 0"><a href="{{.Link}}" style="background:#2f6feb;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600">Accept the invitation</a></p>
<p style="font-size:13px;color:#57606a">Or open this link: <a href="{{.Link}}">{{.Link}}</a></p>
<p style="font-size:13px;color:#57606a">The link works once and expires on {{.Expires}}. Sign in as {{.To}} to accept it. If you were not expecting this invitation, you can ignore this email.</p>
</td></tr></table>
</td></tr></table>
</body>
</html>
`))

func TestLetterRendersAsTheTemplatesDid(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, l := range []Letter{
		{To: "ann@example.com", InviteeName: "Ann", OrganizationName: "Acme", InviterName: "Bob", Role: "admin",
			Link: "https://app.example.com/invitations/abc_DEF-123", ExpiresAt: at},
		{To: "x+tag@example.com", OrganizationName: "<script>alert('x')</script> & \"Co\"", Role: "member",
			Link: "http://localhost:3000/invitations/t0k en'(x)%zz%41é", ExpiresAt: at},
		{To: "z@example.com", InviteeName: "Zoë\x00\n Tab\tbed", InviterName: "O'Brien + Sons", OrganizationName: "A\u2028B",
			Role: "Co-Admin", Link: "javascript:alert(1)", ExpiresAt: at},
		{To: "r@example.com", OrganizationName: "R", Role: "", Link: "/relative/path?q=1&r=2#frag", ExpiresAt: at},
	} {
		var wantText, wantHTML bytes.Buffer
		if err := textTemplate.Execute(&wantText, l); err != nil {
			t.Fatal(err)
		}
		if err := htmlTemplate.Execute(&wantHTML, l); err != nil {
			t.Fatal(err)
		}
		text, html, err := l.Render()
		if err != nil {
			t.Fatal(err)
		}
		if text != wantText.String() {
			t.Errorf("text for %+v:\n%s\nwant\n%s", l, text, wantText.String())
		}
		if html != wantHTML.String() {
			t.Errorf("HTML for %+v:\n%s\nwant\n%s", l, html, wantHTML.String())
		}
	}
}
