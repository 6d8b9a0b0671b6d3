//! Whatever goes wrong, the answer is problem+json.

use crate::support::{Api, TestApp};
use reqwest::Method;

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn malformed_requests_are_problems() {
    let s = TestApp::start().await;
    let res = s
        .raw(Method::POST, "/api/v1/cadres", &[JSON], Some("{oops"))
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["body"]);
    let text = ("content-type", "text/plain");
    let res = s
        .raw(Method::POST, "/api/v1/cadres", &[text], Some("Faculty"))
        .await;
    res.assert_problem(415);
    let res = s.raw(Method::POST, "/api/v1/cadres", &[], None).await;
    assert!(res.status == 400 || res.status == 415, "{}", res.status);
    assert_eq!(res.content_type, "application/problem+json");
    let res = s.raw(Method::PUT, "/api/v1/cadres", &[], None).await;
    res.assert_problem(405);
    assert_eq!(res.headers["allow"], "GET, POST");
    let res = s
        .raw(Method::DELETE, "/api/v1/cadres/1/designations", &[], None)
        .await;
    assert_eq!(res.status, 405);
    assert_eq!(res.headers["allow"], "GET");
    let res = s.get("/api/v1/staff/not-a-number").await;
    res.assert_problem(400);
    let res = s.get("/api/v1/staff?active=perhaps").await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["active"]);
    let res = s
        .raw(
            Method::PATCH,
            "/api/v1/cadres/1",
            &[JSON, ("if-match", "yesterday")],
            Some("{}"),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["If-Match"]);
}
