package sam

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// A tiny block-style YAML writer: the template is built as ordered values
// and printed the same way every time, so the committed file can be
// compared byte for byte with a fresh generation.
type (
	mapping []field // printed in order
	field   struct {
		key   string
		value any // mapping, list, string, raw, int, bool
	}
	list []any
	// raw is printed verbatim: intrinsic functions such as "!Ref Table".
	raw string
)

// Mapping and List are the document's ordered maps and lists, for
// readers of Document.
type (
	Mapping = mapping
	List    = list
)

// Get follows the keys through nested mappings and returns the value
// there, or nil.
func (m mapping) Get(keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(mapping)
		if !ok {
			return nil
		}
		v = nil
		for _, f := range mm {
			if f.key == k {
				v = f.value
				break
			}
		}
	}
	return v
}

// Keys lists the mapping's keys in order (blank lines have none).
func (m mapping) Keys() []string {
	var keys []string
	for _, f := range m {
		if f.key != "" {
			keys = append(keys, f.key)
		}
	}
	return keys
}

func ref(name string) raw          { return raw("!Ref " + name) }
func getAtt(name, attr string) raw { return raw("!GetAtt " + name + "." + attr) }
func sub(s string) raw             { return raw("!Sub " + quote(s)) }

// plain matches strings safe to print unquoted: no spaces, no leading
// indicator characters, no trailing colon.
var plain = regexp.MustCompile(`^[A-Za-z_/]([A-Za-z0-9_./{}():-]*[A-Za-z0-9_./{})])?$`)

var yamlKeywords = map[string]bool{"true": true, "false": true, "yes": true, "no": true,
	"on": true, "off": true, "null": true, "y": true, "n": true}

// quote prints s as a scalar: plain when unambiguous, else as a JSON
// string, which is a valid YAML double-quoted scalar.
func quote(s string) string {
	if plain.MatchString(s) && !yamlKeywords[strings.ToLower(s)] {
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return quote(v), true
	case raw:
		return string(v), true
	case int:
		return fmt.Sprint(v), true
	case bool:
		return fmt.Sprint(v), true
	case list:
		if len(v) == 0 {
			return "[]", true
		}
	case mapping:
		if len(v) == 0 {
			return "{}", true
		}
	}
	return "", false
}

func writeYAML(b *strings.Builder, v any, indent int) {
	pad := strings.Repeat(" ", indent)
	switch v := v.(type) {
	case mapping:
		for _, f := range v {
			if f.key == "" { // a blank line between sections
				b.WriteString("\n")
				continue
			}
			if s, ok := scalar(f.value); ok {
				fmt.Fprintf(b, "%s%s: %s\n", pad, f.key, s)
				continue
			}
			fmt.Fprintf(b, "%s%s:\n", pad, f.key)
			writeYAML(b, f.value, indent+2)
		}
	case list:
		for _, item := range v {
			if s, ok := scalar(item); ok {
				fmt.Fprintf(b, "%s- %s\n", pad, s)
				continue
			}
			// "- " then the item's lines, the first on the dash's line.
			var inner strings.Builder
			writeYAML(&inner, item, indent+2)
			b.WriteString(pad + "- " + strings.TrimPrefix(inner.String(), pad+"  "))
		}
	default:
		panic(fmt.Sprintf("gen: cannot print %T as YAML", v))
	}
}

func strs(ss []string) list {
	l := make(list, len(ss))
	for i, s := range ss {
		l[i] = s
	}
	return l
}
