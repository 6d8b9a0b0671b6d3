//! The FHIR R4 view under `/fhir`, as a FHIR client sees it.

use crate::support::{Api, TestApp};
use serde_json::{Value, json};

const PASSWORD: &str = "auditor passphrase 1";
const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// Asserts an OperationOutcome with this status and issue code.
fn assert_outcome(res: &crate::support::Res, status: u16, code: &str) {
    assert_eq!(res.status, status, "{:#}", res.body);
    assert_eq!(res.content_type, FHIR_JSON);
    assert_eq!(
        res.body["resourceType"], "OperationOutcome",
        "{:#}",
        res.body
    );
    assert_eq!(res.body["issue"][0]["severity"], "error");
    assert_eq!(res.body["issue"][0]["code"], code, "{:#}", res.body);
}

/// A staff member with two emails and an office, in unit 1 of department 1.
async fn asha(s: &TestApp) -> i64 {
    s.post(
        "/api/v1/staff",
        json!({
            "full_name": "Asha Rao",
            "employee_id": "E0001",
            "email": "asha.rao@hospital.example.org",
            "email2": "asha@home.example.org",
            "mobile": "+91 98100 00001",
            "office_address": "Room 4, Block B",
            "department_id": 1,
            "unit_id": 1,
            "designation_id": 1,
        }),
    )
    .await
    .id()
}

#[tokio::test]
async fn metadata_is_public_and_lists_what_is_served() {
    let s = TestApp::start_anonymous().await;
    let res = s.get("/fhir/metadata").await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    assert_eq!(res.content_type, FHIR_JSON);
    let statement = &res.body;
    assert_eq!(statement["resourceType"], "CapabilityStatement");
    assert_eq!(statement["fhirVersion"], "4.0.1");
    assert_eq!(statement["format"], json!(["json"]));
    let types: Vec<&str> = statement["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Organization",
            "Location",
            "Practitioner",
            "PractitionerRole"
        ]
    );
    // Everything else needs a token.
    let res = s.get("/fhir/Organization/hospital").await;
    assert_outcome(&res, 401, "login");
    assert_eq!(
        res.headers.get("www-authenticate").map(String::as_str),
        Some("Bearer")
    );
}

#[tokio::test]
async fn a_token_without_directory_read_is_forbidden() {
    let s = TestApp::start().await;
    let role = s
        .post(
            "/api/v1/roles",
            json!({"name": "Auditor", "permissions": ["audit:read"]}),
        )
        .await
        .id();
    s.post(
        "/api/v1/accounts",
        json!({"username": "auditor", "password": PASSWORD, "roles": [role]}),
    )
    .await;
    let token = s.login("auditor", PASSWORD).await;
    s.use_token(Some(token));
    assert_outcome(
        &s.get("/fhir/Organization/hospital").await,
        403,
        "forbidden",
    );
}

/// Reads `reference` (`Type/id`) and asserts it answers 200 with that
/// type and id.
async fn resolve(s: &TestApp, reference: &str) -> Value {
    let res = s.get(&format!("/fhir/{reference}")).await;
    assert_eq!(res.status, 200, "{reference}: {:#}", res.body);
    let (ty, id) = reference.split_once('/').unwrap();
    assert_eq!(res.body["resourceType"], ty);
    assert_eq!(res.body["id"], id);
    res.body
}

#[tokio::test]
async fn each_record_reads_as_its_resource_and_every_reference_resolves() {
    let s = TestApp::start().await;
    let staff = asha(&s).await;
    s.put(&format!("/api/v1/staff/{staff}/works-in/2")).await;
    s.put(&format!("/api/v1/departments/1/heads/{staff}")).await;
    s.put(&format!("/api/v1/units/1/heads/{staff}")).await;

    let hospital = resolve(&s, "Organization/hospital").await;
    assert_eq!(hospital["name"], "Hospital");
    assert!(hospital.get("partOf").is_none());

    let department = resolve(&s, "Organization/dept-1").await;
    assert_eq!(department["partOf"]["reference"], "Organization/hospital");
    assert_eq!(department["type"][0]["coding"][0]["code"], "dept");
    let unit = resolve(&s, "Organization/unit-1").await;
    assert_eq!(unit["partOf"]["reference"], "Organization/dept-1");

    let theatre = resolve(&s, "Location/ot-1").await;
    assert_eq!(theatre["physicalType"]["coding"][0]["code"], "ro");
    let floor_ref = theatre["partOf"]["reference"].as_str().unwrap().to_owned();
    let floor = resolve(&s, &floor_ref).await;
    assert_eq!(floor["physicalType"]["coding"][0]["code"], "lvl");
    let building_ref = floor["partOf"]["reference"].as_str().unwrap().to_owned();
    let building = resolve(&s, &building_ref).await;
    assert_eq!(building["physicalType"]["coding"][0]["code"], "bu");
    assert_eq!(
        building["managingOrganization"]["reference"],
        "Organization/hospital"
    );

    let practitioner = resolve(&s, &format!("Practitioner/{staff}")).await;
    assert_eq!(practitioner["identifier"][0]["value"], "E0001");
    assert_eq!(practitioner["name"][0]["text"], "Asha Rao");
    assert_eq!(practitioner["active"], true);
    let telecom: Vec<(&str, &str)> = practitioner["telecom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["system"].as_str().unwrap(), t["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        telecom,
        [
            ("email", "asha.rao@hospital.example.org"),
            ("email", "asha@home.example.org"),
            ("phone", "+919810000001"),
        ]
    );

    // The post, the works-in period and both headships: the first of
    // each kind in a fresh database.
    for (id, organization, assignment) in [
        (format!("post-{staff}"), "Organization/unit-1", "post"),
        ("works-1".to_owned(), "Organization/dept-2", "works-in"),
        ("dhead-1".to_owned(), "Organization/dept-1", "head"),
        ("uhead-1".to_owned(), "Organization/unit-1", "head"),
    ] {
        let role = resolve(&s, &format!("PractitionerRole/{id}")).await;
        assert_eq!(role["active"], true, "{id}");
        assert_eq!(role["organization"]["reference"], organization, "{id}");
        assert_eq!(
            role["code"][0]["coding"][0]["display"],
            "Assistant Professor"
        );
        assert_eq!(role["code"][0]["coding"][1]["display"], "Faculty");
        assert_eq!(role["code"][1]["coding"][0]["code"], assignment, "{id}");
        for reference in [&role["practitioner"], &role["organization"]] {
            resolve(&s, reference["reference"].as_str().unwrap()).await;
        }
        if id != format!("post-{staff}") {
            assert_eq!(role["period"]["start"], json!(today(&s).await), "{id}");
            assert!(role["period"].get("end").is_none(), "{id}");
        }
    }
}

/// Today as the server's API says it (a period begun with no dates).
async fn today(s: &TestApp) -> String {
    s.get("/api/v1/units/1/heads").await.body["items"][0]["start_date"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_change_shows_in_the_version_and_etag() {
    let s = TestApp::start().await;
    let staff = asha(&s).await;
    let path = format!("/fhir/Practitioner/{staff}");
    let first = s.get(&path).await;
    assert_eq!(first.etag.as_deref(), Some("W/\"1\""));
    assert_eq!(first.body["meta"]["versionId"], "1");
    s.patch(
        &format!("/api/v1/staff/{staff}"),
        None,
        json!({"mobile": "+91 98100 00002"}),
    )
    .await;
    let second = s.get(&path).await;
    assert_eq!(second.etag.as_deref(), Some("W/\"2\""));
    assert_eq!(second.body["meta"]["versionId"], "2");
    assert!(
        second.body["meta"]["lastUpdated"].as_str() > first.body["meta"]["lastUpdated"].as_str()
    );
    // A period's own version moves when it is ended.
    s.request(
        reqwest::Method::PUT,
        &format!("/api/v1/staff/{staff}/works-in/2"),
        None,
        Some(json!({"start_date": "2020-01-01"})),
    )
    .await;
    let role = s.get("/fhir/PractitionerRole/works-1").await;
    assert_eq!(role.etag.as_deref(), Some("W/\"1\""));
    assert_eq!(role.body["active"], true);
    s.delete(&format!("/api/v1/staff/{staff}/works-in/2"), None)
        .await;
    let ended = s.get("/fhir/PractitionerRole/works-1").await;
    assert_eq!(ended.etag.as_deref(), Some("W/\"2\""), "{:#}", ended.body);
    assert_eq!(ended.body["active"], false);
    assert!(ended.body["period"]["end"].is_string(), "{:#}", ended.body);
    // Deactivating the staff member ends their post.
    s.post_empty(&format!("/api/v1/staff/{staff}/deactivate"))
        .await;
    let post = s.get(&format!("/fhir/PractitionerRole/post-{staff}")).await;
    assert_eq!(post.body["active"], false, "{:#}", post.body);
    assert_eq!(s.get(&path).await.body["active"], false);
}

#[tokio::test]
async fn errors_are_operation_outcomes() {
    let s = TestApp::start().await;
    for path in [
        "/fhir/Organization/dept-999",
        "/fhir/Organization/unit-0",
        "/fhir/Organization/99",
        "/fhir/Location/dept-1",
        "/fhir/Practitioner/abc",
        "/fhir/PractitionerRole/works-99",
    ] {
        assert_outcome(&s.get(path).await, 404, "not-found");
    }
    assert_outcome(&s.get("/fhir/Patient/1").await, 404, "not-supported");
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::POST,
    ] {
        let res = s
            .raw(method, "/fhir/Organization/dept-1", &[], Some("{}"))
            .await;
        assert_outcome(&res, 405, "not-supported");
    }
    let xml = s
        .raw(
            reqwest::Method::GET,
            "/fhir/Organization/dept-1",
            &[("accept", "application/fhir+xml")],
            None,
        )
        .await;
    assert_outcome(&xml, 406, "not-supported");
    assert_outcome(
        &s.get("/fhir/Organization/dept-1?_format=xml").await,
        406,
        "not-supported",
    );
    let json = s.get("/fhir/Organization/dept-1?_format=json").await;
    assert_eq!(json.status, 200);
    let any = s
        .raw(
            reqwest::Method::GET,
            "/fhir/Organization/dept-1",
            &[(
                "accept",
                "application/fhir+json, application/fhir+xml;q=0.9",
            )],
            None,
        )
        .await;
    assert_eq!(any.status, 200);
}
