package mail

import (
	"bytes"
	htmltemplate "html/template"
	texttemplate "text/template"
)

// Render executes a letter's plain-text and HTML templates on its data.
func Render(text *texttemplate.Template, html *htmltemplate.Template, data any) (string, string, error) {
	var t, h bytes.Buffer
	if err := text.Execute(&t, data); err != nil {
		return "", "", err
	}
	if err := html.Execute(&h, data); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}
