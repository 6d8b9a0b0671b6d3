//! `/fhir/metadata`: what the view answers, and nothing it does not.

use crate::ids::ResourceType;
use crate::search::{COMMON, Include, PARAMETERS, SEARCHABLE, WITH_HISTORY};
use serde_json::{Value, json};

/// The FHIR release the view speaks.
pub const FHIR_VERSION: &str = "4.0.1";

/// The CapabilityStatement, built from the same lists the server answers
/// from. `software_version` is the server's, `date` when it started.
pub fn statement(software_version: &str, date: &str) -> Value {
    let resources: Vec<Value> = ResourceType::ALL
        .into_iter()
        .map(|resource| {
            let searchable = SEARCHABLE.contains(&resource);
            let mut interactions = vec![json!({ "code": "read" })];
            let mut entry = json!({
                "type": resource.as_str(),
                "versioning": "versioned",
                "readHistory": false,
                "updateCreate": false,
            });
            if searchable {
                interactions.push(json!({ "code": "search-type" }));
                let mut params: Vec<Value> = COMMON
                    .iter()
                    .map(|(name, ty)| json!({ "name": name, "type": ty }))
                    .collect();
                params.extend(
                    PARAMETERS
                        .iter()
                        .filter(|(ty, _, _)| *ty == resource)
                        .map(|(_, name, ty)| json!({ "name": name, "type": ty })),
                );
                entry["searchParam"] = json!(params);
                // FHIR JSON has no empty arrays: a list is left out instead.
                let includes = Include::includes_of(resource);
                if !includes.is_empty() {
                    entry["searchInclude"] = json!(includes);
                }
                let revincludes = Include::revincludes_of(resource);
                if !revincludes.is_empty() {
                    entry["searchRevInclude"] = json!(revincludes);
                }
            }
            if WITH_HISTORY.contains(&resource) {
                interactions.push(json!({ "code": "history-type" }));
            }
            entry["interaction"] = json!(interactions);
            entry
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": { "name": "Hospital Directory", "version": software_version },
        "implementation": { "description": "The hospital directory as FHIR R4 (IHE mCSD), read-only" },
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": false,
                "description": "Every request but /metadata needs a bearer token (POST /api/v1/auth/login) with the directory:read permission.",
            },
            "resource": resources,
        }],
    })
}
