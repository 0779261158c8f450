package profile

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"sigs.k8s.io/yaml"
)

// checkKeys reports the first key of a profile that no field of Profile
// takes, named in full ("proxy.login_fields.user", "accept[1].idd"), where
// the decoder's own error names only the last part ("user"), which says
// nothing about where it sits. Keys are visited in sorted order, so the
// error is the same on every run. What does not parse as YAML is left to
// the decoder, whose error says where.
func checkKeys(raw []byte) error {
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil
	}
	return unknownKey(doc, reflect.TypeFor[Profile](), "")
}

// unknownKey walks v, decoded YAML, along t, the type it decodes into; key
// is v's place in the profile.
func unknownKey(v any, t reflect.Type, key string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft := fieldType(fields, k)
			if ft == nil {
				return fmt.Errorf("unknown key %q", join(key, k))
			}
			if err := unknownKey(m[k], ft, join(key, k)); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if err := unknownKey(m[k], t.Elem(), join(key, k)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		s, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range s {
			if err := unknownKey(e, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
