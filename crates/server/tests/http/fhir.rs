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
    // Exactly what is answered: the searches, their parameters, includes.
    let resource = |ty: &str| {
        statement["rest"][0]["resource"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == ty)
            .unwrap()
            .clone()
    };
    let codes = |r: &Value| -> Vec<String> {
        r["interaction"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        codes(&resource("Practitioner")),
        ["read", "search-type", "history-type"]
    );
    assert_eq!(
        codes(&resource("PractitionerRole")),
        ["read", "search-type", "history-type"]
    );
    assert_eq!(
        resource("PractitionerRole")["searchInclude"],
        json!([
            "PractitionerRole:practitioner",
            "PractitionerRole:organization"
        ])
    );
    let params: Vec<String> = resource("Practitioner")["searchParam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        params,
        [
            "_id",
            "_lastUpdated",
            "_count",
            "name",
            "identifier",
            "active",
            "telecom"
        ]
    );
    assert_eq!(
        resource("Practitioner")["searchRevInclude"],
        json!(["PractitionerRole:practitioner"])
    );
    assert_eq!(
        resource("Location")["searchInclude"],
        json!(["Location:partof"])
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

/// The `(mode, Type/id)` of each entry of a searchset.
fn entries(bundle: &Value) -> Vec<(String, String)> {
    assert_eq!(bundle["resourceType"], "Bundle", "{bundle:#}");
    assert_eq!(bundle["type"], "searchset");
    bundle["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let full = e["fullUrl"].as_str().unwrap();
                    let (ty, id) = (
                        e["resource"]["resourceType"].as_str().unwrap(),
                        e["resource"]["id"].as_str().unwrap(),
                    );
                    assert!(full.ends_with(&format!("/fhir/{ty}/{id}")), "{full}");
                    assert!(full.starts_with("http"), "{full}");
                    (
                        e["search"]["mode"].as_str().unwrap().to_owned(),
                        format!("{ty}/{id}"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn matched(bundle: &Value) -> Vec<String> {
    entries(bundle)
        .into_iter()
        .filter(|(mode, _)| mode == "match")
        .map(|(_, r)| r)
        .collect()
}

/// The `next` link's path and query (the test client takes no host).
fn next_link(bundle: &Value) -> Option<String> {
    let links = bundle["link"].as_array()?;
    let next = links.iter().find(|l| l["relation"] == "next")?;
    let url = next["url"].as_str()?;
    Some(url[url.find("/fhir/")?..].to_owned())
}

#[tokio::test]
async fn organizations_and_locations_are_searched_by_their_parameters() {
    let s = TestApp::start().await;
    let res = s.get("/fhir/Organization?name=anaes").await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    assert_eq!(res.content_type, FHIR_JSON);
    // A word's start, in the name or the alias, ignoring case.
    assert_eq!(
        matched(&res.body),
        ["Organization/dept-2", "Organization/unit-7"]
    );
    assert_eq!(res.body["total"], 2);
    let exact = s.get("/fhir/Organization?name:exact=Anaesthesiology").await;
    assert_eq!(matched(&exact.body), ["Organization/dept-2"]);
    let contains = s.get("/fhir/Organization?name:contains=esthes").await;
    assert_eq!(
        matched(&contains.body),
        ["Organization/dept-2", "Organization/unit-7"]
    );
    let units = s
        .get("/fhir/Organization?partof=Organization/dept-1&type=urn:hospital-directory:organization-kind|unit")
        .await;
    assert!(!matched(&units.body).is_empty());
    assert!(
        matched(&units.body)
            .iter()
            .all(|r| r.starts_with("Organization/unit-")),
        "{:?}",
        matched(&units.body)
    );
    // _include brings each match's parent once, as an include.
    let with_parents = s
        .get("/fhir/Organization?_id=unit-1,unit-2&_include=Organization:partof")
        .await;
    assert_eq!(
        entries(&with_parents.body),
        [
            ("match".to_owned(), "Organization/unit-1".to_owned()),
            ("match".to_owned(), "Organization/unit-2".to_owned()),
            ("include".to_owned(), "Organization/dept-1".to_owned()),
        ]
    );
    let theatres = s
        .get("/fhir/Location?type=ro&status=active&_include=Location:partof")
        .await;
    let found = entries(&theatres.body);
    assert!(
        found
            .iter()
            .any(|(mode, r)| mode == "match" && r == "Location/ot-1")
    );
    assert!(
        found
            .iter()
            .any(|(mode, r)| mode == "include" && r.starts_with("Location/floor-"))
    );
    assert!(
        found
            .iter()
            .all(|(mode, r)| mode == "include" || r.starts_with("Location/ot-"))
    );
    let inactive = s.get("/fhir/Location?status=inactive").await;
    assert_eq!(inactive.body["total"], 0);
    assert!(
        inactive.body.get("entry").is_none(),
        "no empty arrays in FHIR JSON"
    );
}

#[tokio::test]
async fn practitioners_are_searched_by_name_identifier_telecom_and_activity() {
    let s = TestApp::start().await;
    let asha = asha(&s).await;
    let other = s.create_staff(2).await.id();
    for query in [
        "name=rao",
        "name=ash",
        "name:contains=HA%20R",
        "name:exact=Asha%20Rao",
        "identifier=E0001",
        "identifier=urn:hospital-directory:employee-id|E0001",
        "telecom=ASHA.RAO@hospital.example.org",
        "telecom=phone|%2B91%2098100%2000001",
        "telecom=email|asha@home.example.org",
    ] {
        let res = s.get(&format!("/fhir/Practitioner?{query}")).await;
        assert_eq!(res.status, 200, "{query}: {:#}", res.body);
        assert_eq!(
            matched(&res.body),
            [format!("Practitioner/{asha}")],
            "{query}"
        );
    }
    for query in [
        "name=sha",
        "name:exact=asha%20rao",
        "identifier=other-system|E0001",
        "telecom=phone|asha.rao@hospital.example.org",
    ] {
        let res = s.get(&format!("/fhir/Practitioner?{query}")).await;
        assert_eq!(res.body["total"], 0, "{query}: {:#}", res.body);
    }
    s.post_empty(&format!("/api/v1/staff/{other}/deactivate"))
        .await;
    let active = s.get("/fhir/Practitioner?active=true").await;
    assert_eq!(matched(&active.body), [format!("Practitioner/{asha}")]);
    let inactive = s.get("/fhir/Practitioner?active=false").await;
    assert_eq!(matched(&inactive.body), [format!("Practitioner/{other}")]);
    let both = s
        .get(&format!("/fhir/Practitioner?_id={asha},{other}"))
        .await;
    assert_eq!(both.body["total"], 2);
    // _lastUpdated with prefixes: the deactivation is the latest change.
    let changed = s.get(&format!("/fhir/Practitioner/{other}")).await.body["meta"]["lastUpdated"]
        .as_str()
        .unwrap()
        .to_owned();
    let since = s
        .get(&format!("/fhir/Practitioner?_lastUpdated=ge{changed}"))
        .await;
    assert_eq!(matched(&since.body), [format!("Practitioner/{other}")]);
    let before = s
        .get(&format!("/fhir/Practitioner?_lastUpdated=lt{changed}"))
        .await;
    assert_eq!(matched(&before.body), [format!("Practitioner/{asha}")]);
    // POST _search takes the same parameters as a form.
    let posted = s
        .raw(
            reqwest::Method::POST,
            "/fhir/Practitioner/_search",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some("name=rao&_revinclude=PractitionerRole%3Apractitioner"),
        )
        .await;
    assert_eq!(posted.status, 200, "{:#}", posted.body);
    assert_eq!(
        entries(&posted.body),
        [
            ("match".to_owned(), format!("Practitioner/{asha}")),
            (
                "include".to_owned(),
                format!("PractitionerRole/post-{asha}")
            ),
        ]
    );
}

#[tokio::test]
async fn a_name_word_starts_after_anything_but_a_letter_digit_or_mark() {
    let s = TestApp::start().await;
    let mut made = Vec::new();
    for (n, name) in ["Dr. Anil O'Brien", "किरण राव", "Meera Shah-Iyer"]
        .into_iter()
        .enumerate()
    {
        let res = s
            .post(
                "/api/v1/staff",
                json!({
                    "full_name": name,
                    "employee_id": format!("W{n}"),
                    "email": format!("w{n}@hospital.example.org"),
                    "mobile": format!("+91 98100 1000{n}"),
                    "department_id": 1,
                    "designation_id": 1,
                }),
            )
            .await;
        made.push(format!("Practitioner/{}", res.id()));
    }
    for (query, found) in [
        ("name=brien", vec![&made[0]]),
        ("name=anil%20o", vec![&made[0]]),
        ("name=%E0%A4%95%E0%A4%BF", vec![&made[1]]), // कि, a word's start
        ("name=iyer", vec![&made[2]]),
        ("name=shah", vec![&made[2]]),
        // A vowel sign is part of its word: रण is inside किरण.
        ("name=%E0%A4%B0%E0%A4%A3", vec![]),
        ("name=rien", vec![]),
        ("name=%22", vec![]),
    ] {
        let res = s.get(&format!("/fhir/Practitioner?{query}")).await;
        assert_eq!(res.status, 200, "{query}: {:#}", res.body);
        let expected: Vec<String> = found.into_iter().cloned().collect();
        assert_eq!(matched(&res.body), expected, "{query}");
        assert_eq!(res.body["total"], expected.len(), "{query}");
    }
}

#[tokio::test]
async fn paging_follows_next_links_without_repeating_or_skipping() {
    let s = TestApp::start().await;
    let mut made = Vec::new();
    for n in 0..7 {
        made.push(s.create_staff(n).await.id());
    }
    let mut seen = Vec::new();
    let mut next = Some("/fhir/Practitioner?name=test&_count=3".to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        let page = s.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {:#}", page.body);
        if pages == 0 {
            assert_eq!(page.body["total"], 7);
        }
        seen.extend(matched(&page.body));
        next = next_link(&page.body);
        if pages == 0 {
            // Rows added while paging come after those that existed.
            for n in 7..9 {
                made.push(s.create_staff(n).await.id());
            }
        }
        pages += 1;
    }
    let expected: Vec<String> = made.iter().map(|id| format!("Practitioner/{id}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
    let cursor = s.get("/fhir/Practitioner?_cursor=nonsense").await;
    assert_outcome(&cursor, 400, "invalid");
}

#[tokio::test]
async fn bad_values_are_400_and_unknown_parameters_are_ignored_unless_strict() {
    let s = TestApp::start().await;
    for query in [
        "Practitioner?active=maybe",
        "Practitioner?_count=-1",
        "Practitioner?_lastUpdated=gt2026-02-30",
        "Practitioner?name:phonetic=rao",
        "Practitioner?_include=Organization:partof",
        "Organization?_revinclude=Location:partof",
    ] {
        assert_outcome(&s.get(&format!("/fhir/{query}")).await, 400, "invalid");
    }
    let lenient = s.get("/fhir/Practitioner?colour=blue").await;
    assert_eq!(lenient.status, 200);
    let strict = s
        .raw(
            reqwest::Method::GET,
            "/fhir/Practitioner?colour=blue",
            &[("prefer", "handling=strict")],
            None,
        )
        .await;
    assert_outcome(&strict, 400, "invalid");
    let big = s.get("/fhir/Practitioner?_count=5000").await;
    assert_eq!(big.status, 200);
    let form = s
        .raw(
            reqwest::Method::POST,
            "/fhir/Practitioner/_search",
            &[("content-type", "application/json")],
            Some("{}"),
        )
        .await;
    assert_outcome(&form, 415, "not-supported");
}

#[tokio::test]
async fn roles_are_searched_by_practitioner_organization_role_activity_and_date() {
    let s = TestApp::start().await;
    let asha = asha(&s).await;
    let other = s.create_staff(2).await.id();
    s.request(
        reqwest::Method::PUT,
        &format!("/api/v1/staff/{asha}/works-in/2"),
        None,
        Some(json!({"start_date": "2025-01-01", "end_date": "2025-12-31"})),
    )
    .await;
    s.put(&format!("/api/v1/departments/2/heads/{asha}")).await;
    let mine = s
        .get(&format!(
            "/fhir/PractitionerRole?practitioner=Practitioner/{asha}&_include=PractitionerRole:practitioner&_include=PractitionerRole:organization"
        ))
        .await;
    assert_eq!(mine.status, 200, "{:#}", mine.body);
    assert_eq!(
        entries(&mine.body),
        [
            ("match".to_owned(), format!("PractitionerRole/post-{asha}")),
            ("match".to_owned(), "PractitionerRole/works-1".to_owned()),
            ("match".to_owned(), "PractitionerRole/dhead-1".to_owned()),
            ("include".to_owned(), format!("Practitioner/{asha}")),
            ("include".to_owned(), "Organization/dept-2".to_owned()),
            ("include".to_owned(), "Organization/unit-1".to_owned()),
        ]
    );
    for (query, expected) in [
        (
            "organization=Organization/dept-2",
            vec!["works-1".to_owned(), "dhead-1".to_owned()],
        ),
        (
            "organization=unit-1&role=post",
            vec![format!("post-{asha}"), format!("post-{other}")],
        ),
        ("role=head", vec!["dhead-1".to_owned()]),
        (
            "role=urn:hospital-directory:assignment|works-in",
            vec!["works-1".to_owned()],
        ),
        (
            "role=urn:hospital-directory:designation|1&organization=dept-2",
            vec!["works-1".to_owned(), "dhead-1".to_owned()],
        ),
        ("role=urn:hospital-directory:designation|999", vec![]),
        // The works-in period ended last year.
        (
            &format!("practitioner={asha}&active=false") as &str,
            vec!["works-1".to_owned()],
        ),
        (
            &format!("practitioner={asha}&active=true"),
            vec![format!("post-{asha}"), "dhead-1".to_owned()],
        ),
        (
            &format!("practitioner={asha}&date=2025-06-01"),
            vec![format!("post-{asha}"), "works-1".to_owned()],
        ),
        (
            &format!("practitioner={asha}&date=ge2026-01-01"),
            vec![format!("post-{asha}"), "dhead-1".to_owned()],
        ),
        (
            &format!("practitioner={asha}&date=lt2025-01-01"),
            vec![format!("post-{asha}")],
        ),
    ] {
        let res = s.get(&format!("/fhir/PractitionerRole?{query}")).await;
        assert_eq!(res.status, 200, "{query}: {:#}", res.body);
        let expected: Vec<String> = expected
            .into_iter()
            .map(|id| format!("PractitionerRole/{id}"))
            .collect();
        assert_eq!(matched(&res.body), expected, "{query}");
        assert_eq!(res.body["total"], expected.len(), "{query}");
    }
    // A person's roles a page at a time: the next page carries on after
    // the first, however the first was found.
    let first = s
        .get(&format!(
            "/fhir/PractitionerRole?practitioner={asha}&_count=2"
        ))
        .await;
    assert_eq!(first.body["total"], 3);
    assert_eq!(
        matched(&first.body),
        [
            format!("PractitionerRole/post-{asha}"),
            "PractitionerRole/works-1".to_owned()
        ]
    );
    let rest = s.get(&next_link(&first.body).unwrap()).await;
    assert_eq!(matched(&rest.body), ["PractitionerRole/dhead-1"]);
    assert!(next_link(&rest.body).is_none());
    // Paging runs through posts, then each kind of period.
    let mut seen = Vec::new();
    let mut next = Some("/fhir/PractitionerRole?_count=1".to_owned());
    while let Some(path) = next {
        let page = s.get(&path).await;
        seen.extend(matched(&page.body));
        next = next_link(&page.body);
    }
    assert_eq!(
        seen,
        [
            format!("PractitionerRole/post-{asha}"),
            format!("PractitionerRole/post-{other}"),
            "PractitionerRole/works-1".to_owned(),
            "PractitionerRole/dhead-1".to_owned(),
        ]
    );
    // An organization's roles, included from the organization's side.
    let department = s
        .get("/fhir/Organization?_id=dept-2&_revinclude=PractitionerRole:organization")
        .await;
    assert_eq!(
        entries(&department.body),
        [
            ("match".to_owned(), "Organization/dept-2".to_owned()),
            ("include".to_owned(), "PractitionerRole/works-1".to_owned()),
            ("include".to_owned(), "PractitionerRole/dhead-1".to_owned()),
        ]
    );
}

#[tokio::test]
async fn history_lists_each_change_newest_first_with_deletes() {
    let s = TestApp::start().await;
    let before = s.get("/fhir/Practitioner/_history?_count=1").await;
    assert_eq!(before.status, 200, "{:#}", before.body);
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let asha = asha(&s).await;
    s.patch(
        &format!("/api/v1/staff/{asha}"),
        None,
        json!({"mobile": "+91 98100 00002"}),
    )
    .await;
    let other = s.create_staff(2).await.id();
    assert_eq!(
        s.delete(&format!("/api/v1/staff/{other}"), None)
            .await
            .status,
        204
    );
    let res = s
        .get(&format!(
            "/fhir/Practitioner/_history?_since={}",
            since.replace('+', "%2B")
        ))
        .await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    assert_eq!(res.content_type, FHIR_JSON);
    let bundle = &res.body;
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "history");
    let seen: Vec<(String, String, String)> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["request"]["method"].as_str().unwrap().to_owned(),
                e["request"]["url"].as_str().unwrap().to_owned(),
                e["response"]["etag"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "DELETE".to_owned(),
                format!("Practitioner/{other}"),
                String::new()
            ),
            (
                "POST".to_owned(),
                "Practitioner".to_owned(),
                "W/\"1\"".to_owned()
            ),
            (
                "PUT".to_owned(),
                format!("Practitioner/{asha}"),
                "W/\"2\"".to_owned()
            ),
            (
                "POST".to_owned(),
                "Practitioner".to_owned(),
                "W/\"1\"".to_owned()
            ),
        ]
    );
    let entries = bundle["entry"].as_array().unwrap();
    // Each entry is the version that change made; a deletion has none.
    assert!(entries[0].get("resource").is_none());
    assert_eq!(
        entries[2]["resource"]["telecom"][2]["value"],
        "+919810000002"
    );
    assert_eq!(entries[3]["resource"]["meta"]["versionId"], "1");
    assert_eq!(
        entries[3]["resource"]["telecom"][2]["value"], "+919810000001",
        "{:#}",
        entries[3]
    );
    // Paging with the cursor, newest first, to the same four.
    let mut paged = Vec::new();
    let mut next = Some(format!(
        "/fhir/Practitioner/_history?_since={}&_count=3",
        since.replace('+', "%2B")
    ));
    while let Some(path) = next {
        let page = s.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {:#}", page.body);
        for e in page.body["entry"].as_array().unwrap() {
            paged.push(e["request"]["url"].as_str().unwrap().to_owned());
        }
        next = next_link(&page.body);
    }
    assert_eq!(paged.len(), 4);
    // The organisation's history holds its changes too.
    s.patch("/api/v1/departments/1", None, json!({"abbr": "RPC2"}))
        .await;
    let orgs = s.get("/fhir/Organization/_history?_count=1").await;
    assert_eq!(orgs.body["entry"][0]["resource"]["alias"], json!(["RPC2"]));
    assert_outcome(
        &s.get("/fhir/Practitioner/_history?_since=yesterday").await,
        400,
        "invalid",
    );
}

#[tokio::test]
async fn role_history_follows_posts_and_periods_to_their_removal() {
    let s = TestApp::start().await;
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let member = s.create_staff(1).await.id();
    let works = format!("/api/v1/staff/{member}/works-in/2");
    let ten_days_ago = (chrono::Utc::now().date_naive() - chrono::Duration::days(10)).to_string();
    let put = s
        .request(
            reqwest::Method::PUT,
            &works,
            None,
            Some(json!({"start_date": ten_days_ago})),
        )
        .await;
    assert_eq!(put.status, 201, "{:#}", put.body);
    assert_eq!(s.delete(&works, None).await.status, 204);
    let head = s
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/departments/1/heads/{member}"),
            None,
            None,
        )
        .await;
    assert_eq!(head.status, 201, "{:#}", head.body);
    let roles = s
        .get(&format!("/fhir/PractitionerRole?practitioner={member}"))
        .await;
    let ids = matched(&roles.body);
    let (works_in, headship) = (&ids[1], &ids[2]);
    assert!(works_in.starts_with("PractitionerRole/works-"), "{ids:?}");
    assert!(headship.starts_with("PractitionerRole/dhead-"), "{ids:?}");
    // Deleting the staff member takes their periods with them: each goes
    // as a DELETE, as the post does.
    assert_eq!(
        s.delete(&format!("/api/v1/staff/{member}"), None)
            .await
            .status,
        204
    );

    let res = s
        .get(&format!(
            "/fhir/PractitionerRole/_history?_since={}",
            since.replace('+', "%2B")
        ))
        .await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    let entries = res.body["entry"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["request"]["method"].as_str().unwrap(),
                e["fullUrl"]
                    .as_str()
                    .unwrap()
                    .split_once("/fhir/")
                    .unwrap()
                    .1,
                e["response"]["etag"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let post = format!("PractitionerRole/post-{member}");
    assert_eq!(
        seen,
        [
            ("DELETE", post.as_str(), ""),
            ("DELETE", works_in.as_str(), ""),
            ("DELETE", headship.as_str(), ""),
            ("POST", headship.as_str(), "W/\"1\""),
            ("PUT", works_in.as_str(), "W/\"2\""),
            ("POST", works_in.as_str(), "W/\"1\""),
            ("POST", post.as_str(), "W/\"1\""),
        ],
        "{:#}",
        res.body
    );
    // Each version is the role as that change left it.
    let ended = &entries[4]["resource"];
    assert_eq!(ended["resourceType"], "PractitionerRole");
    assert_eq!(ended["period"]["start"], ten_days_ago.as_str());
    assert!(ended["period"]["end"].is_string(), "{ended:#}");
    assert_eq!(ended["active"], false);
    assert_eq!(
        ended["practitioner"]["reference"],
        format!("Practitioner/{member}")
    );
    assert_eq!(ended["organization"]["reference"], "Organization/dept-2");
    let opened = &entries[3]["resource"];
    assert_eq!(opened["active"], true);
    assert_eq!(opened["code"][0]["coding"][0]["code"], "head");
    let posted = &entries[6]["resource"];
    assert_eq!(posted["id"], format!("post-{member}"));
    assert_eq!(posted["organization"]["reference"], "Organization/unit-1");
}
