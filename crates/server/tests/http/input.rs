//! Bad input is a 400 naming what is wrong, on every backend, never a 500:
//! control characters in text, a JSON key named twice, a request without
//! `Host`.

use crate::support::{ADMIN_PASSWORD, Api, TestApp, TestServer};
use serde_json::json;

fn new_staff(n: u32) -> serde_json::Value {
    json!({
        "full_name": format!("Test Person {n}"),
        "employee_id": format!("T{n:05}"),
        "email": format!("person{n}@hospital.example.org"),
        "mobile": format!("+91 98100 {n:05}"),
        "department_id": 1,
        "designation_id": 1,
    })
}

#[tokio::test]
async fn control_characters_are_refused_where_they_do_not_belong() {
    let s = TestApp::start().await;
    for (field, value) in [
        ("full_name", "Asha\u{0}Verma"),
        ("employee_id", "E\u{0}1"),
        ("email", "asha\u{0}@example.org"),
        ("mobile", "+91 98100\u{0}00001"),
        ("full_name", "Asha\tVerma"),
        ("full_name", "Asha\nVerma"),
        ("office_address", "Room\u{0}12"),
        ("office_address", "Room\u{1b}12"),
    ] {
        let mut body = new_staff(1);
        body[field] = json!(value);
        let res = s.post("/api/v1/staff", body).await;
        res.assert_problem(400);
        assert_eq!(res.error_fields(), [field], "{value:?}");
    }
    // An office address is free text: its lines and tabs are kept.
    let mut body = new_staff(2);
    body["office_address"] = json!("Room 12\n\tBlock B");
    let res = s.post("/api/v1/staff", body).await;
    assert_eq!(res.status, 201, "{:#}", res.body);
    assert_eq!(res.body["office_address"], "Room 12\n\tBlock B");

    let res = s
        .post(
            "/api/v1/departments",
            json!({"name": "X\u{0}", "kind": "department"}),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["name"]);
    let res = s
        .patch("/api/v1/cadres/1", None, json!({"name": "Faculty\u{7}"}))
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["name"]);
    let res = s
        .post(
            "/api/v1/accounts",
            json!({"username": "asha\u{0}", "password": "long enough passphrase"}),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["username"]);
    let res = s
        .post(
            "/api/v1/roles",
            json!({"name": "Clerk", "description": "reads\u{0}", "permissions": []}),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["description"]);

    for path in [
        "/api/v1/staff?q=as%00ha",
        "/api/v1/staff?q=ash%0Aa",
        "/api/v1/departments?q=%00",
        "/api/v1/accounts?q=ad%00",
        "/api/v1/buildings?q=%1B",
    ] {
        let res = s.get(path).await;
        res.assert_problem(400);
        assert_eq!(res.error_fields(), ["q"], "{path}");
    }
    // Search with ordinary text still answers.
    assert_eq!(s.get("/api/v1/staff?q=Room%2012").await.status, 200);
}

#[tokio::test]
async fn a_login_with_a_username_no_account_can_have_is_refused_as_malformed() {
    let s = TestApp::start_anonymous().await;
    let res = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "ad\u{0}min", "password": ADMIN_PASSWORD}),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["username"]);
    // A well-formed wrong one is still only "wrong username or password".
    let res = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "nobody", "password": ADMIN_PASSWORD}),
        )
        .await;
    res.assert_problem(401);
}

#[tokio::test]
async fn a_json_key_named_twice_is_refused_and_nothing_is_written() {
    let s = TestApp::start().await;
    let twice = r#"{"name": "Twice A", "name": "Twice B"}"#;
    let json = ("content-type", "application/json");
    let res = s
        .raw(
            reqwest::Method::POST,
            "/api/v1/cadres",
            &[json],
            Some(twice),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["name"]);
    let listed = s.get("/api/v1/cadres?q=Twice").await;
    assert_eq!(listed.body["total"], 0, "{:#}", listed.body);
}

/// Sends `request` as it is over a new connection and returns the answer.
async fn raw(s: &TestServer, request: &'static str) -> String {
    use std::io::{Read, Write};
    let addr = s.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn http_1_1_without_one_host_is_a_bad_request() {
    let s = TestServer::start_anonymous();
    let answer = raw(&s, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let answer = raw(
        &s,
        "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let answer = raw(
        &s,
        "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // HTTP/1.0 had no Host header to require.
    let answer = raw(&s, "GET /healthz HTTP/1.0\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
}
