//! docs/openapi.json is the served document; it must be current.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

#[test]
fn committed_openapi_document_is_current() {
    let generated = directory_api::spec_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated.trim_end() == committed.trim_end(),
        "docs/openapi.json is stale: run `cargo xtask openapi` and commit it"
    );
}

#[test]
fn every_operation_is_documented() {
    let spec: serde_json::Value = serde_json::from_str(&directory_api::spec_json()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(!paths.is_empty());
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty(), "{method} {path} has no summary");
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
        }
    }
}

#[test]
fn the_document_states_the_domain_limits() {
    use directory_domain::limits;
    let spec: serde_json::Value = serde_json::from_str(&directory_api::spec_json()).unwrap();
    let schemas = &spec["components"]["schemas"];
    let staff = &schemas["NewStaff"]["properties"];
    assert_eq!(staff["full_name"]["maxLength"], limits::FULL_NAME_MAX);
    assert_eq!(staff["email"]["maxLength"], limits::EMAIL_MAX);
    assert_eq!(staff["email2"]["nullable"], true);
    let theatre = &schemas["NewOperatingTheatre"]["properties"]["table_count"];
    assert_eq!(theatre["minimum"], limits::TABLE_COUNT_MIN);
    // Unknown fields are refused, and the document says so.
    assert_eq!(
        schemas["NewDepartment"]["additionalProperties"],
        serde_json::Value::Bool(false)
    );
    let limit = spec["paths"]["/api/v1/staff"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        limit["schema"]["maximum"].as_f64(),
        Some(directory_db::Page::MAX_LIMIT as f64)
    );
}

#[test]
fn every_api_operation_but_login_needs_a_token() {
    let spec: serde_json::Value = serde_json::from_str(&directory_api::spec_json()).unwrap();
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let public = path == "/api/v1/auth/login" || !path.starts_with("/api/");
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            assert_eq!(secured, !public, "{method} {path}");
            if secured {
                for status in ["401", "403"] {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
}
