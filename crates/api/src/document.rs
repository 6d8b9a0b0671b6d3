//! The OpenAPI document as served: poem-openapi's, with the domain's limits
//! written in (`maxLength`, `minimum`, `maximum`) and optional fields marked
//! `nullable`, so the document states every rule the API enforces without
//! letting poem-openapi reject a body at its first broken rule (the domain
//! reports them all at once).

use directory_domain::limits;
use serde_json::{Map, Value, json};

/// Adds the domain's limits and nullability to a generated document.
pub fn enrich(spec: &str) -> String {
    let Ok(mut document) = serde_json::from_str::<Value>(spec) else {
        return spec.to_owned();
    };
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            enrich_schema(schema);
        }
    }
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| spec.to_owned())
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
        let optional = !required.contains(name);
        if let Some(reference) = property.get("$ref").cloned() {
            // A $ref cannot carry siblings in OpenAPI 3.0: wrap it.
            if optional {
                *property = json!({ "allOf": [{ "$ref": reference }], "nullable": true });
            }
            continue;
        }
        let Some(object) = property.as_object_mut() else {
            continue;
        };
        if optional {
            object.insert("nullable".into(), Value::Bool(true));
        }
        add_limits(name, object);
    }
}

fn add_limits(name: &str, property: &mut Map<String, Value>) {
    match property.get("type").and_then(Value::as_str) {
        Some("string") => {
            if let Some(max) = limits::text_max(name) {
                property.entry("maxLength").or_insert(json!(max));
            }
        }
        Some("integer") => {
            if let Some((min, max)) = limits::int_range(name) {
                property.entry("minimum").or_insert(json!(min));
                property.entry("maximum").or_insert(json!(max));
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
                    "kind": { "$ref": "#/components/schemas/Kind" }
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
        assert_eq!(
            props["kind"]["allOf"][0]["$ref"],
            "#/components/schemas/Kind"
        );
    }
}
