package catalog

import (
	"maps"
	"slices"

	"github.com/orgplane/orgplane/shared/problem"
	"github.com/orgplane/orgplane/shared/text"
)

// Mask replaces every secret value in what an instance shows. It is the
// same whatever the secret's length, so it hints at nothing.
const Mask = "••••"

// MaxEnvValueLen bounds one env value, in bytes.
const MaxEnvValueLen = 4096

// NewEnv checks an install's env against the schema and returns it with
// defaults filled in: unknown keys and missing required values are field
// errors (named env.<KEY>). Error messages never repeat a value.
func (t Template) NewEnv(given map[string]string) (map[string]string, []problem.FieldError) {
	var errs []problem.FieldError
	env := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		v, ok := t.Var(k)
		if !ok {
			errs = append(errs, unknownKey(t, k))
			continue
		}
		if msg := checkValue(v, given[k]); msg != "" {
			errs = append(errs, problem.FieldError{Field: "env." + k, Message: msg})
			continue
		}
		env[k] = given[k]
	}
	for _, v := range t.Env {
		if _, ok := env[v.Key]; ok {
			continue
		}
		_, sent := given[v.Key] // sent but invalid: already reported
		switch {
		case v.Default != nil:
			env[v.Key] = *v.Default
		case v.Required && !sent:
			errs = append(errs, problem.FieldError{Field: "env." + v.Key, Message: "is required"})
		}
	}
	return env, errs
}

// PatchEnv applies a merge patch to an instance's env: a value sets the
// key, null resets it to its default (or removes it; a required key without
// a default cannot be removed). A secret sent back as Mask keeps its value,
// so a client may echo what it read. It returns the new env and the keys
// whose value changed, sorted.
func (t Template) PatchEnv(current map[string]string, patch map[string]*string) (map[string]string, []string, []problem.FieldError) {
	var errs []problem.FieldError
	var changed []string
	env := maps.Clone(current)
	if env == nil {
		env = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(patch)) {
		v, ok := t.Var(k)
		if !ok {
			errs = append(errs, unknownKey(t, k))
			continue
		}
		old, had := env[k]
		p := patch[k]
		switch {
		case p == nil && v.Default != nil:
			env[k] = *v.Default
		case p == nil && v.Required:
			errs = append(errs, problem.FieldError{Field: "env." + k, Message: "is required and has no default; set a value instead"})
			continue
		case p == nil:
			delete(env, k)
		case v.Secret && *p == Mask:
			continue // the masked value read back: unchanged
		default:
			if msg := checkValue(v, *p); msg != "" {
				errs = append(errs, problem.FieldError{Field: "env." + k, Message: msg})
				continue
			}
			env[k] = *p
		}
		if now, has := env[k]; has != had || now != old {
			changed = append(changed, k)
		}
	}
	return env, changed, errs
}

// Masked returns env as an instance shows it: secrets replaced by Mask.
// Keys the template does not know (a template changed since the install)
// are masked too, since nothing says they are safe to show.
func (t Template) Masked(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, val := range env {
		v, ok := t.Var(k)
		if !ok || v.Secret {
			out[k] = Mask
			continue
		}
		out[k] = val
	}
	return out
}

// Masked masks env for the template with the id; an unknown template masks
// every value.
func Masked(templateID string, env map[string]string) map[string]string {
	t, _ := Get(templateID)
	return t.Masked(env)
}

func unknownKey(t Template, k string) problem.FieldError {
	return problem.FieldError{Field: "env." + clip(k), Message: "is not a setting of " + t.Name}
}

func checkValue(v EnvVar, val string) string {
	switch {
	case v.Required && val == "":
		return "is required"
	case len(val) > MaxEnvValueLen:
		return "must be at most 4096 bytes"
	case text.Problem(val, text.Lines) != "":
		return text.Problem(val, text.Lines)
	case v.Secret && val == Mask:
		return "cannot be the mask " + Mask + "; send the secret itself"
	}
	return ""
}

// clip keeps an unknown key short in an error message.
func clip(k string) string {
	if r := []rune(k); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return k
}
