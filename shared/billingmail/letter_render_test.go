package billingmail

import (
	"bytes"
	htmltemplate "html/template"
	"testing"
	texttemplate "text/template"
)

// The templates the letter was rendered with before it was built by
// hand (see mail.HTML): the hand-built letter must say exactly the same.
var textTemplate = texttemplate.Must(texttemplate.New("text").Parse(`{{.OrganizationName}}

{{range .Lines}}{{.}}
{{end}}
Billing: {{.Link}}
`))

var htmlTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html><body>
<h2>{{.OrganizationName}}</h2>
{{range .Lines}}<p>{{.}}</p>
{{end}}<p><a href="{{.Link}}">Open billing</a></p>
</body></html>
`))

func TestLetterRendersAsTheTemplatesDid(t *testing.T) {
	for _, l := range []Letter{
		{OrganizationName: "Acme", Lines: []string{"Your balance is 3 credits.", "Top up."}, Link: "https://app.example.com/organizations/org_1/billing"},
		{OrganizationName: "<b>A&B</b> 'q' \"Co\" +1", Lines: []string{"<script>x</script>", "a\x00b"}, Link: "http://h/o rg'(1)%2f%zz"},
		{OrganizationName: "None", Link: "javascript:alert(1)"},
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
		if text != wantText.String() || html != wantHTML.String() {
			t.Errorf("%+v:\n%s%s\nwant\n%s%s", l, text, html, wantText.String(), wantHTML.String())
		}
	}
}
