package profile

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/refreshspec/refreshspec/dialect"
)

// checkShape walks v, decoded YAML, along t, the type it decodes into (key
// is v's place in the file: "" for the whole profile, "accept" for an
// accept file), and reports the first key that no field takes and the
// first value of the wrong shape, named in full in the file's terms
// ("proxy.login_fields.user", "accept[1].idd: unknown key", "accept: want
// a list of {id, reason}, got a map"). The decoder's own errors name only
// the last part of a key ("user") or a Go type ("[]profile.Acceptance"),
// which say nothing to whoever wrote the file. Keys are visited in sorted
// order, so the error is the same on every run. What the walk leaves alone
// (a duration's spelling) is left to scalarsToStrings and the decoder.
func checkShape(v any, t reflect.Type, key string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil // null: left out
	}
	wrong := func() error {
		if key == "" {
			return fmt.Errorf("want %s, got %s", describe(t), describeValue(v))
		}
		return fmt.Errorf("%s: want %s, got %s", key, describe(t), describeValue(v))
	}
	if _, ok := v.(string); ok && t == reflect.TypeFor[dialect.Rotation]() {
		return nil // a preset's name alone: "rotation: okta"
	}
	switch {
	case t == reflect.TypeFor[dialect.Duration](), t.Kind() == reflect.String:
		switch v.(type) {
		case map[string]any, []any:
			return wrong()
		}
	case t.Kind() == reflect.Int:
		if n, ok := v.(json.Number); !ok || strings.ContainsAny(n.String(), ".eE") {
			return wrong()
		}
	case t.Kind() == reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft := fieldType(fields, k)
			if ft == nil && (k == "true" || k == "false") {
				return fmt.Errorf("unknown key %q: YAML reads an unquoted on, off, yes or no as a boolean (proxy.csrf's list is requests)", join(key, k))
			}
			if ft == nil {
				return fmt.Errorf("unknown key %q", join(key, k))
			}
			if err := checkShape(m[k], ft, join(key, k)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if err := checkShape(m[k], t.Elem(), join(key, k)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice:
		s, ok := v.([]any)
		if !ok {
			return wrong()
		}
		for i, e := range s {
			if err := checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// describe says what a value of type t is written as, in a profile's terms.
func describe(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[dialect.Duration]():
		return `a duration such as "30s"`
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Slice:
		if each := describe(t.Elem()); strings.HasPrefix(each, "{") {
			return "a list of " + each
		} else {
			return "a list, each " + each
		}
	case t.Kind() == reflect.Struct && len(jsonFields(t)) <= 3:
		// A small object reads best as its keys: {id, reason}.
		var keys []string
		for i := range t.NumField() {
			if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
				keys = append(keys, name)
			}
		}
		return "{" + strings.Join(keys, ", ") + "}"
	}
	return "a map of keys and values"
}

// describeValue says what a decoded YAML value is.
func describeValue(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "a map"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return fmt.Sprintf("%v", x)
	}
	return fmt.Sprintf("%v", v)
}
