package oauthtest

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// controlRefusals are the statuses any control request may be refused
// with, and when.
var controlRefusals = []struct {
	status int
	when   string
}{
	{http.StatusBadRequest, "A field, the query or the body is wrong; nothing changed."},
	{http.StatusForbidden, "The Host is not the provider's, the Origin is another web page's, or the control token is missing or wrong."},
	{http.StatusRequestEntityTooLarge, "The body is over 64 KiB."},
	{http.StatusUnsupportedMediaType, "The body is not of Content-Type application/json."},
}

// controlOpenAPI describes the control API as an OpenAPI 3.1 document,
// from its route and field declarations.
func controlOpenAPI(p *Provider) map[string]any {
	paths := map[string]map[string]any{ControlPath + "/openapi.json": {"get": map[string]any{
		"operationId": "getOpenAPI", "summary": "This description of the control API.",
		"responses": responses(map[string]any{"type": "object", "description": "OpenAPI 3.1."})}}}
	for _, rt := range controlRoutes {
		if paths[ControlPath+rt.path] == nil {
			paths[ControlPath+rt.path] = map[string]any{}
		}
		paths[ControlPath+rt.path][strings.ToLower(rt.method)] = rt.operation()
	}
	security := []map[string][]string{{}, {"controlToken": {}}} // the token is optional
	if p.cfg.controlToken != "" {
		security = security[1:]
	}
	refusals := map[string]any{}
	for _, r := range controlRefusals {
		refusals[fmt.Sprint(r.status)] = errorResponse(r.when)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "oauthtest control API", "version": "2",
			"description": "Stage what a test needs of the provider; for tests and local development only. " +
				"Requests must reach the provider by its own host, carry no Origin of another web page, and send bodies as application/json."},
		"servers":  []map[string]any{{"url": p.issuer}},
		"security": security,
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"controlToken": map[string]any{"type": "http", "scheme": "bearer",
				"description": "The token of -control-token, $OAUTHTEST_CONTROL_TOKEN or WithControlToken; required only when one was given."}},
			"schemas":   map[string]any{"Error": schemaOf(reflect.TypeFor[controlErrorBody]())},
			"responses": refusals,
		},
	}
}

// operation is the OpenAPI operation of rt.
func (rt controlRoute) operation() map[string]any {
	op := map[string]any{"operationId": rt.id, "summary": rt.summary, "responses": responses(schemaOf(reflect.TypeOf(rt.answer)))}
	if len(rt.query) > 0 {
		var params []map[string]any
		for _, u := range rt.query {
			f := u.field()
			params = append(params, map[string]any{"name": f.name, "in": "query", "required": u.required, "description": f.desc, "schema": f.schema()})
		}
		op["parameters"] = params
	}
	if rt.method == http.MethodPost {
		props, required := map[string]any{}, []string{}
		for _, u := range rt.body {
			f := u.field()
			props[f.name] = f.schema()
			if u.required {
				required = append(required, f.name)
			}
		}
		schema := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
		if len(required) > 0 {
			schema["required"] = required
		}
		op["requestBody"] = map[string]any{"required": len(required) > 0, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	return op
}

// responses are an operation's answer and refusals.
func responses(answer map[string]any) map[string]any {
	out := map[string]any{"200": map[string]any{"description": "Done.", "content": map[string]any{"application/json": map[string]any{"schema": answer}}}}
	for _, r := range controlRefusals {
		out[fmt.Sprint(r.status)] = map[string]any{"$ref": fmt.Sprintf("#/components/responses/%d", r.status)}
	}
	return out
}

func errorResponse(when string) map[string]any {
	return map[string]any{"description": when, "content": map[string]any{"application/json": map[string]any{
		"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
}

// durationPattern matches what time.ParseDuration reads.
const durationPattern = `^[-+]?(0|([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)$`

// schema is the JSON Schema of f.
func (f controlField) schema() map[string]any {
	s := map[string]any{"description": f.desc}
	switch f.typ {
	case fieldInteger:
		s["type"], s["minimum"], s["maximum"] = "integer", f.min, f.max
	case fieldObject:
		s["type"] = "object"
	case fieldStringList:
		items := map[string]any{"type": "string"}
		if f.enum != nil {
			items["enum"] = f.enum()
		}
		s["type"], s["items"] = "array", items
	case fieldDuration:
		s["type"], s["pattern"] = "string", durationPattern
	case fieldTime:
		s["type"], s["format"] = "string", "date-time"
	default:
		s["type"] = "string"
		if f.enum != nil {
			s["enum"] = f.enum()
		}
	}
	return s
}

// schemaOf is the JSON Schema of the JSON encoding of a Go type, with
// lists and maps never null (see emptyNotNull).
func schemaOf(t reflect.Type) map[string]any {
	switch t {
	case reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}
	case reflect.TypeFor[Endpoint]():
		return map[string]any{"type": "string", "enum": endpointNames()}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.Struct:
		return structSchema(t)
	}
	return map[string]any{} // any JSON value
}

// structSchema is the schema of a struct's JSON object.
func structSchema(t reflect.Type) map[string]any {
	props, required := map[string]any{}, []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}

// emptyNotNull returns a copy of v whose nil slices and maps, at any depth
// of structs and slices, are empty: every list of the control API answers
// [] rather than null.
func emptyNotNull(v any) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	fillEmpty(cp)
	return cp.Interface()
}

// fillEmpty sets v's nil slices and maps to empty ones, in place.
func fillEmpty(v reflect.Value) {
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			if v.CanSet() {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return
		}
		for i := range v.Len() {
			fillEmpty(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillEmpty(v.Field(i))
			}
		}
	}
}

// controlFieldsMarkdown is docs/control-api-fields.md: the fields and the
// endpoints that take them, from their declarations.
func controlFieldsMarkdown() string {
	var b strings.Builder
	b.WriteString("# Control API fields\n\n<!-- Generated from control_fields.go and control_routes.go by `go test -run TestControlFieldsDoc -update`; do not edit. -->\n\n")
	b.WriteString("Every body is one JSON object of `Content-Type: application/json`; a field not listed for an endpoint is refused.\n\n")
	b.WriteString("## Fields\n\n| Field | Type | Allowed values | Description |\n| --- | --- | --- | --- |\n")
	for _, f := range controlFields {
		allowed := "any"
		if f.enum != nil {
			allowed = "`" + strings.Join(f.enum(), "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.name, f.describe(), allowed, mdEscape(f.desc))
	}
	b.WriteString("\n## Endpoints\n\n| Endpoint | operationId | Fields (required in bold) | What it does |\n| --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| `GET %s/openapi.json` | `getOpenAPI` | | This API's OpenAPI 3.1 document. |\n", ControlPath)
	for _, rt := range controlRoutes {
		var fields []string
		for _, u := range append(append([]fieldUse(nil), rt.query...), rt.body...) {
			name := "`" + u.field().name + "`"
			if u.required {
				name = "**" + name + "**"
			}
			fields = append(fields, name)
		}
		if len(rt.query) > 0 {
			fields[0] = "query " + fields[0]
		}
		fmt.Fprintf(&b, "| `%s %s%s` | `%s` | %s | %s |\n", rt.method, ControlPath, rt.path, rt.id, strings.Join(fields, ", "), mdEscape(rt.summary))
	}
	return b.String()
}

// mdEscape keeps a table cell one cell.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
