//! The OpenAPI document as served: poem-openapi's, with the domain's limits
//! written in (`maxLength`, `minimum`, `maximum`) and optional fields marked
//! `nullable`, so the document states every rule the API enforces without
//! letting poem-openapi reject a body at its first broken rule (the domain
//! reports them all at once).

use directory_domain::limits;
use serde_json::{Map, Value, json};

/// What the docs page's Authorize dialog shows: every security scheme type
/// derives its own copy of the scheme, and Swagger UI adds `Bearer ` itself.
const BEARER: &str = "Paste the `access_token` from `POST /api/v1/auth/login` alone, without `Bearer ` \
     (the page adds it). Reads need the `directory:read` permission, directory changes \
     `directory:write`, accounts and roles `accounts:manage`, the audit trail `audit:read`. The page keeps it across reloads \
     until you log out or it expires.";

/// Adds the domain's limits and nullability to a generated document.
pub fn enrich(spec: &str) -> String {
    let Ok(mut document) = serde_json::from_str::<Value>(spec) else {
        return spec.to_owned();
    };
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            enrich_schema(schema);
            if is_request_body(name) {
                // The API refuses unknown fields; say so.
                if let Some(object) = schema.as_object_mut() {
                    object.insert("additionalProperties".into(), Value::Bool(false));
                }
            }
        }
    }
    for (name, example) in directory_domain::examples::request_bodies() {
        if let Some(schema) = document.pointer_mut(&format!("/components/schemas/{name}")) {
            schema["example"] = example;
        }
    }
    // A file body has no schema of its own to carry an example.
    if let Some(csv) =
        document.pointer_mut("/paths/~1api~1v1~1staff~1import/post/requestBody/content/text~1csv")
    {
        csv["example"] = json!(directory_import::export::EXAMPLE);
    }
    if let Some(bearer) = document.pointer_mut("/components/securitySchemes/bearer") {
        bearer["description"] = json!(BEARER);
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for operation in item.values_mut() {
                let Some(parameters) = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for parameter in parameters {
                    // A day (`as_of` of a list): `date`, which clients know.
                    if parameter["schema"]["format"] == "naive-date" {
                        parameter["schema"]["format"] = json!("date");
                    }
                    if parameter["name"] == "If-Match" {
                        parameter["schema"]["pattern"] = json!(r#"^(\*|(W/)?"[0-9]+")?$"#);
                        parameter["description"] = json!(
                            "The ETag you read (`\"3\"`): the change is refused with 412 if the resource has changed since."
                        );
                    }
                }
            }
        }
    }
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| spec.to_owned())
}

/// Request body schemas: the API's commands.
fn is_request_body(name: &str) -> bool {
    name.starts_with("New")
        || name.ends_with("Patch")
        || matches!(name, "LoginRequest" | "PasswordChange" | "PeriodRequest")
}

fn enrich_schema(schema: &mut Value) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        drop_described_copies(property);
        let optional = !required.contains(name);
        let nullable = optional && limits::nullable(name);
        if let Some(reference) = property.get("$ref").cloned() {
            // A $ref cannot carry siblings in OpenAPI 3.0: wrap it.
            if nullable {
                *property = json!({ "allOf": [{ "$ref": reference }], "nullable": true });
            }
            continue;
        }
        let Some(object) = property.as_object_mut() else {
            continue;
        };
        if nullable {
            object.insert("nullable".into(), Value::Bool(true));
        }
        if object.get("format").and_then(Value::as_str) == Some("naive-date") {
            object.insert("format".into(), json!("date"));
        }
        add_limits(name, object);
    }
}

/// A described field of a type with its own schema comes from poem-openapi
/// as `allOf: [{$ref}, {description}]` beside the same description: the
/// second member makes openapi-python-client drop the model (and every
/// model using it), so only `allOf: [{$ref}]` and the description stay.
fn drop_described_copies(property: &mut Value) {
    if let Some(members) = property.get_mut("allOf").and_then(Value::as_array_mut)
        && members.iter().any(|m| m.get("$ref").is_some())
    {
        members.retain(|m| {
            m.get("$ref").is_some()
                || m.as_object()
                    .is_some_and(|o| o.keys().any(|k| k != "description"))
        });
    }
}

fn add_limits(name: &str, property: &mut Map<String, Value>) {
    match property.get("type").and_then(Value::as_str) {
        Some("string") => {
            if let Some(max) = limits::text_max(name) {
                property.entry("maxLength").or_insert(json!(max));
            }
            if let Some(min) = limits::text_min(name) {
                property.entry("minLength").or_insert(json!(min));
            }
            if let Some(pattern) = directory_domain::validate::pattern(name) {
                property.entry("pattern").or_insert(json!(pattern));
            }
        }
        Some("integer") => {
            if name == "id"
                || name.ends_with("_id")
                || name == "created_by"
                || name == "updated_by"
                || name == "deactivated_by"
            {
                property.entry("minimum").or_insert(json!(1));
            }
            if let Some((min, max)) = limits::int_range(name) {
                property.entry("minimum").or_insert(json!(min));
                property.entry("maximum").or_insert(json!(max));
            }
        }
        Some("array") if name == "roles" => {
            if let Some(items) = property.get_mut("items").and_then(Value::as_object_mut) {
                items.entry("minimum").or_insert(json!(1));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_nullability_are_written_in() {
        let spec = json!({
            "components": { "schemas": { "NewFloor": {
                "type": "object",
                "required": ["name", "level"],
                "properties": {
                    "name": { "type": "string" },
                    "abbr": { "type": "string" },
                    "level": { "type": "integer" },
                    "kind": { "$ref": "#/components/schemas/Kind" },
                    "deactivation_reason": { "$ref": "#/components/schemas/Reason" }
                }
            }}}
        });
        let out: Value = serde_json::from_str(&enrich(&spec.to_string())).unwrap();
        let props = &out["components"]["schemas"]["NewFloor"]["properties"];
        assert_eq!(props["name"]["maxLength"], limits::NAME_MAX);
        assert!(props["name"].get("nullable").is_none());
        assert_eq!(props["abbr"]["nullable"], true);
        assert_eq!(props["abbr"]["maxLength"], limits::ABBR_MAX);
        assert_eq!(props["level"]["minimum"], limits::FLOOR_LEVEL_MIN);
        // Only optional columns are nullable; a required one may be left
        // out of a patch but not nulled.
        assert_eq!(props["kind"]["$ref"], "#/components/schemas/Kind");
        assert_eq!(
            props["deactivation_reason"]["allOf"][0]["$ref"],
            "#/components/schemas/Reason"
        );
        assert_eq!(props["deactivation_reason"]["nullable"], true);
        assert_eq!(
            out["components"]["schemas"]["NewFloor"]["additionalProperties"],
            false
        );
        assert_eq!(
            props["name"]["pattern"].as_str(),
            directory_domain::validate::pattern("name")
        );
    }
}
