//! Whatever goes wrong, the answer is problem+json.

use crate::support::{Api, TestServer};

#[tokio::test]
async fn malformed_requests_are_problems() {
    let s = TestServer::start().await;
    let res = s
        .send_raw(
            s.client
                .post(s.url("/api/v1/cadres"))
                .header("content-type", "application/json")
                .body("{oops"),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["body"]);
    let res = s
        .send_raw(
            s.client
                .post(s.url("/api/v1/cadres"))
                .header("content-type", "text/plain")
                .body("Faculty"),
        )
        .await;
    res.assert_problem(415);
    let res = s.send_raw(s.client.post(s.url("/api/v1/cadres"))).await;
    assert!(res.status == 400 || res.status == 415, "{}", res.status);
    assert_eq!(res.content_type, "application/problem+json");
    let res = s.send_raw(s.client.put(s.url("/api/v1/cadres"))).await;
    res.assert_problem(405);
    let raw = s
        .client
        .delete(s.url("/api/v1/cadres/1/designations"))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 405);
    assert_eq!(raw.headers()["allow"], "GET");
    let raw = s.client.put(s.url("/api/v1/cadres")).send().await.unwrap();
    assert_eq!(raw.headers()["allow"], "GET, POST");
    let res = s.get("/api/v1/staff/not-a-number").await;
    res.assert_problem(400);
    let res = s.get("/api/v1/staff?active=perhaps").await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["active"]);
    let res = s
        .send_raw(
            s.client
                .patch(s.url("/api/v1/cadres/1"))
                .header("If-Match", "yesterday")
                .json(&serde_json::json!({})),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["If-Match"]);
}
