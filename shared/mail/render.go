package mail

import (
	"fmt"
	"strings"
)

// Letters are rendered by plain string building, not text/template or
// html/template: a template's executor calls methods by name through
// reflection, which makes the linker keep every exported method of every
// type in the binary (the SDK clients' hundreds among them), several MB
// in each function that sends mail. HTML and URL escape exactly as
// html/template does text and href values (the letters' tests compare).

// htmlEscaper is html/template's escaping of text and quoted attribute
// values.
var htmlEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// HTML escapes s for HTML text or a quoted attribute value.
func HTML(s string) string { return htmlEscaper.Replace(s) }

// URL is s as a quoted href value: only http, https, mailto and relative
// URLs pass, anything else becomes "#ZgotmplZ"; bytes a URL may not hold
// are percent-encoded (valid escapes kept), then the value is escaped for
// the attribute.
func URL(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 && !strings.Contains(s[:i], "/") {
		if p := s[:i]; !strings.EqualFold(p, "http") && !strings.EqualFold(p, "https") && !strings.EqualFold(p, "mailto") {
			return "#ZgotmplZ"
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0,
			c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return HTML(b.String())
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
