package oauthtest

import "strings"

// controlFieldTypes are the JSON Schema types of the control API's fields.
var controlFieldTypes = map[string]any{
	"claims": map[string]any{"type": "object"}, "count": map[string]any{"type": "integer"}, "status": map[string]any{"type": "integer"},
	"spoil": map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": spoilNames()}},
}

// controlOpenAPI describes the control API as an OpenAPI 3.1 document,
// from its route table.
func controlOpenAPI(p *Provider) map[string]any {
	paths := map[string]map[string]any{ControlPath + "/openapi.json": {"get": map[string]any{
		"summary": "This description of the control API.", "responses": map[string]any{"200": map[string]any{"description": "OpenAPI 3.1, JSON."}}}}}
	for _, rt := range controlRoutes {
		op := map[string]any{
			"summary": rt.summary,
			"responses": map[string]any{
				"200": map[string]any{"description": "Done; the answer is JSON."},
				"400": map[string]any{"description": `Refused, and nothing changed: {"error": "what was wrong"}.`},
			},
		}
		if rt.method == "POST" {
			props := map[string]any{}
			for name, desc := range rt.fields {
				schema := map[string]any{"type": "string"}
				if t, ok := controlFieldTypes[name].(map[string]any); ok {
					schema = map[string]any{}
					for k, v := range t {
						schema[k] = v
					}
				}
				schema["description"] = desc
				props[name] = schema
			}
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"type": "object", "additionalProperties": false, "properties": props}}}}
		}
		if paths[ControlPath+rt.path] == nil {
			paths[ControlPath+rt.path] = map[string]any{}
		}
		paths[ControlPath+rt.path][strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "oauthtest control API", "version": "1",
			"description": "Stage what a test needs of the provider; for tests and local development only."},
		"servers": []map[string]any{{"url": p.issuer}},
		"paths":   paths,
	}
}
