package invitemail

import (
	"strings"
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

// Render writes the letter's plain-text and HTML bodies.
func (l Letter) Render() (text, html string, err error) {
	greeting := "Hi"
	if l.InviteeName != "" {
		greeting += " " + oneLine(l.InviteeName)
	}
	var t strings.Builder
	t.WriteString(greeting + ",\n\n")
	if l.InviterName != "" {
		t.WriteString(oneLine(l.InviterName) + " invited you")
	} else {
		t.WriteString("You are invited")
	}
	t.WriteString(" to join " + oneLine(l.OrganizationName) + " on Orgplane as " + l.Article() + " " + l.Role + ".\n\n" +
		"Accept the invitation:\n" + l.Link + "\n\n" +
		"The link works once and expires on " + l.Expires() + ". Sign in as " + l.To + " to accept it.\n" +
		"If you were not expecting this invitation, you can ignore this email.\n")

	var h strings.Builder
	h.WriteString(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>` + mail.HTML(l.Subject()) + `</title></head>
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;padding:32px">
<tr><td>
<p style="font-size:16px">` + mail.HTML(greeting) + `,</p>
<p style="font-size:16px">`)
	if l.InviterName != "" {
		h.WriteString("<strong>" + mail.HTML(oneLine(l.InviterName)) + "</strong> invited you")
	} else {
		h.WriteString("You are invited")
	}
	link := mail.URL(l.Link)
	h.WriteString(` to join <strong>` + mail.HTML(oneLine(l.OrganizationName)) + `</strong> on Orgplane as ` + mail.HTML(l.Article()) + " " + mail.HTML(l.Role) + `.</p>
<p style="margin:32px 0"><a href="` + link + `" style="background:#2f6feb;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600">Accept the invitation</a></p>
<p style="font-size:13px;color:#57606a">Or open this link: <a href="` + link + `">` + mail.HTML(l.Link) + `</a></p>
<p style="font-size:13px;color:#57606a">The link works once and expires on ` + mail.HTML(l.Expires()) + `. Sign in as ` + mail.HTML(l.To) + ` to accept it. If you were not expecting this invitation, you can ignore this email.</p>
</td></tr></table>
</td></tr></table>
</body>
</html>
`)
	return t.String(), h.String(), nil
}
