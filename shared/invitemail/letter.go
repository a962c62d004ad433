package invitemail

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"

	"github.com/orgplane/orgplane/shared/mail"
)

// Letter is what an invitation email says.
type Letter struct {
	To               string
	InviteeName      string
	OrganizationName string
	InviterName      string
	Role             string
	Link             string // ${APP_URL}/invitations/{token}
	ExpiresAt        time.Time
}

// Subject is the email's subject line.
func (l Letter) Subject() string {
	if l.InviterName == "" {
		return "You're invited to join " + oneLine(l.OrganizationName) + " on Orgplane"
	}
	return oneLine(l.InviterName) + " invited you to join " + oneLine(l.OrganizationName) + " on Orgplane"
}

// Article is "an" or "a" for the role ("an admin", "a member").
func (l Letter) Article() string {
	if l.Role != "" && strings.ContainsRune("aeiou", unicode.ToLower(rune(l.Role[0]))) {
		return "an"
	}
	return "a"
}

// Expires is the expiry as people read it.
func (l Letter) Expires() string {
	return l.ExpiresAt.UTC().Format("Monday, January 2, 2006 at 15:04 MST")
}

// oneLine keeps names from breaking headers or layout.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }), " ")
}

var textBody = texttemplate.Must(texttemplate.New("text").Funcs(texttemplate.FuncMap{"line": oneLine}).Parse(
	`Hi{{with .InviteeName}} {{line .}}{{end}},

{{if .InviterName}}{{line .InviterName}} invited you{{else}}You are invited{{end}} to join {{line .OrganizationName}} on Orgplane as {{.Article}} {{.Role}}.

Accept the invitation:
{{.Link}}

The link works once and expires on {{.Expires}}. Sign in as {{.To}} to accept it.
If you were not expecting this invitation, you can ignore this email.
`))

var htmlBody = htmltemplate.Must(htmltemplate.New("html").Funcs(htmltemplate.FuncMap{"line": oneLine}).Parse(
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

// Render writes the letter's plain-text and HTML bodies.
func (l Letter) Render() (text, html string, err error) {
	return mail.Render(textBody, htmlBody, l)
}
