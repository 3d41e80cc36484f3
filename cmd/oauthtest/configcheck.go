package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/c95d6557/oauthtest/internal/words"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// checkConfigJSON walks a config file's JSON against the shape of
// fileConfig before it is decoded, so that each mistake is reported where
// it is in the file (clients[1].redirect_uri) and in the file's own words:
// an unknown field with the nearest known one, a value of the wrong kind
// with the kind wanted. It returns nil for a file that decodes.
func checkConfigJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err // a syntax error: describeJSONError adds its line
	}
	if _, ok := v.(map[string]any); !ok {
		return fmt.Errorf("the file must hold one JSON object, {\"version\": 1, ...}, not %s", jsonKind(v))
	}
	return checkValue("", v, reflect.TypeFor[fileConfig]())
}

var durationType = reflect.TypeFor[duration]()

// checkValue checks v, found at path, against t.
func checkValue(path string, v any, t reflect.Type) error {
	if v == nil {
		return nil // null leaves the field unset
	}
	if t == durationType {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: a lifetime must be a string such as \"10m\" or \"1h\", not %s", path, jsonKind(v))
		}
		if _, err := time.ParseDuration(s); err != nil {
			return fmt.Errorf("%s: lifetime %q is not a duration such as \"10m\", \"1h\" or \"720h\"", path, s)
		}
		return nil
	}
	want := ""
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			want = "an object {...}"
			break
		}
		fields := jsonFields(t)
		for _, name := range slices.Sorted(maps.Keys(m)) {
			ft, known := fields[name]
			if !known {
				return unknownField(join(path, name), name, fields)
			}
			if err := checkValue(join(path, name), m[name], ft); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			want = "a list [...]"
			break
		}
		for i, e := range a {
			if err := checkValue(fmt.Sprintf("%s[%d]", path, i), e, t.Elem()); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if _, ok := v.(map[string]any); !ok {
			want = "an object {...}"
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			want = "a string"
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			want = "true or false"
		}
	case reflect.Int:
		if n, ok := v.(json.Number); !ok {
			want = "a whole number"
		} else if _, err := n.Int64(); err != nil {
			want = "a whole number"
		}
	}
	if want != "" {
		return fmt.Errorf("%s: want %s, not %s", path, want, jsonKind(v))
	}
	return nil
}

// unknownField reports a field the config format does not have, with the
// nearest one it has.
func unknownField(path, name string, fields map[string]reflect.Type) error {
	best, bestDist := "", -1
	for known := range fields {
		d := words.Distance(strings.ToLower(name), known)
		if bestDist < 0 || d < bestDist || d == bestDist && known < best {
			best, bestDist = known, d
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(name)/3) {
		return fmt.Errorf("%s: unknown field %q; did you mean %q?", path, name, best)
	}
	return fmt.Errorf("%s: unknown field %q; known here: %s", path, name, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
}

// jsonFields maps the JSON names of t's fields, embedded structs'
// included, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for name, ft := range jsonFields(f.Type) {
				fields[name] = ft
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	return fields
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// jsonKind names the kind of a decoded JSON value, with the value when short.
func jsonKind(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		if len(v) > 40 {
			return "a string"
		}
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return fmt.Sprintf("%t", v)
	}
	return "null"
}
