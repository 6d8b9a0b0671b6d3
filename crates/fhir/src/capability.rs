//! `/fhir/metadata`: what the view answers, and nothing it does not.

use crate::ids::ResourceType;
use serde_json::{Value, json};

/// The FHIR release the view speaks.
pub const FHIR_VERSION: &str = "4.0.1";

/// The interactions each resource type answers.
pub const INTERACTIONS: [&str; 1] = ["read"];

/// The CapabilityStatement, built from the same lists the server answers
/// from. `software_version` is the server's, `date` when it started.
pub fn statement(software_version: &str, date: &str) -> Value {
    let resources: Vec<Value> = ResourceType::ALL
        .into_iter()
        .map(|resource| {
            json!({
                "type": resource.as_str(),
                "interaction": INTERACTIONS
                    .iter()
                    .map(|code| json!({ "code": code }))
                    .collect::<Vec<_>>(),
                "versioning": "versioned",
                "readHistory": false,
                "updateCreate": false,
            })
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
