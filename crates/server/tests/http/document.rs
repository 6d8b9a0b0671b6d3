//! The OpenAPI document as the tools people point at it read it: generated
//! clients name their functions from operation ids, the docs page fills
//! "Try it out" from the examples and shows the parameters' descriptions.

use crate::support::{ADMIN_PASSWORD, Api, TestApp};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation in the document, as (method, path, operation).
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_owned(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

fn is_lower_camel_case(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[tokio::test]
async fn every_operation_has_a_unique_lower_camel_case_operation_id() {
    let s = TestApp::start_anonymous().await;
    let spec: Value = s.get("/openapi.json").await.body;
    let operations = operations(&spec);
    assert!(operations.len() >= 70, "{} operations", operations.len());
    let mut seen = BTreeSet::new();
    for (method, path, operation) in &operations {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(is_lower_camel_case(id), "{method} {path}: {id:?}");
        assert!(seen.insert(id.to_owned()), "{id} is used twice");
    }
    for expected in [
        "listStaff",
        "getStaff",
        "createStaff",
        "updateStaff",
        "deleteStaff",
        "login",
        "logout",
        "getMe",
        "changePassword",
        "listDepartmentUnits",
        "putDepartmentHead",
        "listOperatingTheatres",
    ] {
        assert!(seen.contains(expected), "no operation {expected}");
    }
}

#[tokio::test]
async fn every_parameter_is_described_and_the_tags_read_as_words() {
    let s = TestApp::start_anonymous().await;
    let spec: Value = s.get("/openapi.json").await.body;
    for (method, path, operation) in operations(&spec) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let description = parameter["description"].as_str().unwrap_or_default();
            assert!(
                !description.trim().is_empty(),
                "{method} {path}: parameter {} has no description",
                parameter["name"]
            );
        }
    }
    let tags: Vec<&str> = spec["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(tags.contains(&"Operating theatres"), "{tags:?}");
    assert!(tags.contains(&"Health"), "{tags:?}");
    for tag in &tags {
        // A word, or words with a space: never two run together.
        let joined = tag
            .chars()
            .zip(tag.chars().skip(1))
            .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
        assert!(!joined, "tag {tag:?}");
    }
    let bearer = spec["components"]["securitySchemes"]["bearer"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(bearer.contains("`access_token`"), "{bearer}");
    assert!(bearer.contains("without `Bearer `"), "{bearer}");
}

#[tokio::test]
async fn the_docs_page_keeps_the_authorization_and_has_an_icon() {
    let s = TestApp::start_anonymous().await;
    let page = s.get("/docs").await;
    assert_eq!(page.status, 200);
    let html = page.text;
    assert!(html.contains("persistAuthorization: true"));
    assert!(html.contains(r#"<link rel="icon""#));
    assert!(html.contains("<title>Hospital Directory API</title>"));
}

/// The example of a request body's schema, as the docs page shows it.
fn example_of(spec: &Value, operation: &Value) -> Option<Value> {
    let content = operation["requestBody"]["content"].as_object()?;
    // A file (CSV): its example is the media type's own.
    if let Some(example) = content.values().find_map(|media| media.get("example")) {
        return Some(example.clone());
    }
    let (_, media) = content.iter().next()?;
    let reference = media["schema"]["$ref"].as_str()?;
    let name = reference.rsplit('/').next()?;
    let example = &spec["components"]["schemas"][name]["example"];
    assert!(!example.is_null(), "schema {name} has no example");
    Some(example.clone())
}

#[tokio::test]
async fn every_request_body_example_is_accepted_on_a_seeded_database() {
    let s = TestApp::start().await;
    let spec: Value = s.get("/openapi.json").await.body;
    let mut with_body: BTreeMap<(String, String), Value> = BTreeMap::new();
    for (method, path, operation) in operations(&spec) {
        if operation.get("requestBody").is_some() {
            let example = example_of(&spec, &operation)
                .unwrap_or_else(|| panic!("{method} {path}: no example"));
            with_body.insert((method, path), example);
        }
    }
    assert!(with_body.len() >= 22, "{} bodies", with_body.len());

    // Creates first: the patches apply to what they made.
    let mut created: BTreeMap<String, (i64, String)> = BTreeMap::new();
    let mut sent = 0;
    for ((method, path), example) in &with_body {
        if method != "post" || path.contains('{') || path.starts_with("/api/v1/auth/") {
            continue;
        }
        if let Some(csv) = example.as_str() {
            let res = s
                .raw(
                    reqwest::Method::POST,
                    path,
                    &[("content-type", "text/csv")],
                    Some(csv),
                )
                .await;
            assert_eq!(res.status, 200, "POST {path}: {:#}", res.body);
            assert_eq!(res.body["created"], 2, "POST {path}: {:#}", res.body);
            sent += 1;
            continue;
        }
        let res = s.post(path, example.clone()).await;
        assert_eq!(res.status, 201, "POST {path} {example}: {:#}", res.body);
        created.insert(path.clone(), (res.id(), res.etag.clone().unwrap()));
        sent += 1;
    }
    for ((method, path), example) in &with_body {
        if method != "patch" {
            continue;
        }
        let collection = path.trim_end_matches("/{id}");
        let (id, etag) = created
            .get(collection)
            .unwrap_or_else(|| panic!("PATCH {path}: no create example for {collection}"));
        let res = s
            .patch(&format!("{collection}/{id}"), Some(etag), example.clone())
            .await;
        assert_eq!(res.status, 200, "PATCH {path} {example}: {:#}", res.body);
        for (field, value) in example.as_object().unwrap() {
            if field != "password" {
                assert_eq!(&res.body[field], value, "PATCH {path}: {field}");
            }
        }
        sent += 1;
    }

    // Periods: the staff member the staff example made, as a head of
    // department 1 and unit 1, and working in department 2 too.
    let staff = created["/api/v1/staff"].0.to_string();
    for ((method, path), example) in &with_body {
        if method != "put" {
            continue;
        }
        let id = if path.starts_with("/api/v1/staff/") {
            staff.as_str()
        } else {
            "1"
        };
        let path = path
            .replace("{id}", id)
            .replace("{staff_id}", &staff)
            .replace("{department_id}", "2");
        let res = s
            .request(reqwest::Method::PUT, &path, None, Some(example.clone()))
            .await;
        assert_eq!(res.status, 201, "PUT {path} {example}: {:#}", res.body);
        sent += 1;
    }

    // The two bodies with a password only its owner knows: the example
    // with the real one typed over the placeholder.
    let mut login = with_body[&("post".into(), "/api/v1/auth/login".into())].clone();
    assert_eq!(
        login,
        json!({"username": "admin", "password": "<your password>"})
    );
    login["password"] = json!(ADMIN_PASSWORD);
    let res = s.post("/api/v1/auth/login", login).await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    sent += 1;
    let mut change = with_body[&("post".into(), "/api/v1/auth/password".into())].clone();
    assert_eq!(change["current_password"], "<your password>");
    change["current_password"] = json!(ADMIN_PASSWORD);
    let res = s.post("/api/v1/auth/password", change).await;
    assert!(res.status < 300, "{}: {:#}", res.status, res.body);
    sent += 1;

    assert_eq!(sent, with_body.len(), "every body's example was sent");
}
