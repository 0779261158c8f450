package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"sigs.k8s.io/yaml"
)

// decode reads YAML (or JSON) raw into out, a pointer to what the file
// holds (a Profile, an accept list), checking on the way what the decoder
// would report in Go's terms: keys and shapes (checkShape, root naming the
// file's top level in errors) and durations, whose own error cannot say
// which key it came from. Every number or boolean written where a string
// belongs (client_id: 12345) becomes that string: sigs.k8s.io/yaml does the
// same itself, except through an embedded struct, where it looks the key up
// in the wrong field (the backend section embeds its dialect.Mapping).
func decode(raw []byte, out any, root string) error {
	js, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return cleanYAMLError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber() // keeps 12345678901234567890 as written
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return cleanYAMLError(err)
	}
	t := reflect.TypeOf(out).Elem()
	if t == reflect.TypeFor[Profile]() {
		if err := joinCookieNames(doc); err != nil {
			return err
		}
	}
	if err := checkShape(doc, t, root); err != nil {
		return err
	}
	if doc, err = scalarsToStrings(doc, t, root); err != nil {
		return err
	}
	if js, err = json.Marshal(doc); err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(js, out); err != nil {
		return cleanYAMLError(err)
	}
	return nil
}

// scalarsToStrings rewrites the numbers and booleans of v that land in a
// string of type t as strings, the way encoding/json would find the field,
// and refuses a duration that is not one, naming its key (key is v's).
func scalarsToStrings(v any, t reflect.Type, key string) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[dialect.Duration]() {
		s, ok := v.(string)
		if _, err := time.ParseDuration(s); !ok || err != nil {
			return nil, fmt.Errorf("%s: want a duration such as \"30s\", got %v", key, v)
		}
		return v, nil
	}
	var err error
	switch t.Kind() {
	case reflect.String:
		switch x := v.(type) {
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
	case reflect.Struct:
		if m, ok := v.(map[string]any); ok {
			fields := jsonFields(t)
			for k, val := range m {
				if ft := fieldType(fields, k); ft != nil {
					if m[k], err = scalarsToStrings(val, ft, join(key, k)); err != nil {
						return nil, err
					}
				}
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for k, val := range m {
				if m[k], err = scalarsToStrings(val, t.Elem(), join(key, k)); err != nil {
					return nil, err
				}
			}
		}
	case reflect.Slice:
		if s, ok := v.([]any); ok {
			for i, val := range s {
				if s[i], err = scalarsToStrings(val, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
					return nil, err
				}
			}
		}
	}
	return v, nil
}

func join(key, k string) string {
	if key == "" {
		return k
	}
	return key + "." + k
}

// jsonFields maps the JSON names of t's fields, those of untagged embedded
// structs included, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for k, ft := range jsonFields(f.Type) {
				if _, shadowed := out[k]; !shadowed {
					out[k] = ft
				}
			}
		case f.IsExported():
			if name == "" {
				name = f.Name
			}
			out[name] = f.Type
		}
	}
	return out
}

// fieldType finds key's field as encoding/json does: exactly, else without
// regard to case.
func fieldType(fields map[string]reflect.Type, key string) reflect.Type {
	if ft, ok := fields[key]; ok {
		return ft
	}
	for name, ft := range fields {
		if strings.EqualFold(name, key) {
			return ft
		}
	}
	return nil
}

// joinCookieNames lets proxy.cookie_name be written as a list of names
// (or patterns) as well as one string: a list becomes the string
// Proxy.CookieName holds, its entries separated by commas.
func joinCookieNames(doc any) error {
	top, _ := doc.(map[string]any)
	proxy, ok := top["proxy"].(map[string]any)
	if !ok {
		return nil
	}
	list, ok := proxy["cookie_name"].([]any)
	if !ok {
		return nil
	}
	names := make([]string, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("proxy.cookie_name[%d]: want a cookie name or pattern, got %v", i, v)
		}
		names[i] = s
	}
	if len(names) == 0 {
		return fmt.Errorf("proxy.cookie_name: an empty list names no cookie (leave it out to take the cookie the login sets)")
	}
	proxy["cookie_name"] = strings.Join(names, ", ")
	return nil
}
