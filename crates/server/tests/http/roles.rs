//! Roles and their permissions over HTTP.

use crate::support::{Api, TestApp};
use serde_json::json;

#[tokio::test]
async fn roles_and_their_permissions() {
    let s = TestApp::start().await;
    let roles = s.get("/api/v1/roles?sort=name").await;
    assert_eq!(roles.body["total"], 6);
    assert_eq!(roles.body["items"][0]["name"], "Administrator");
    assert_eq!(
        roles.body["items"][0]["permissions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let role = s
        .post(
            "/api/v1/roles",
            json!({"name": "Auditor", "permissions": ["directory:read", "directory:read"]}),
        )
        .await;
    assert_eq!(role.status, 201);
    assert_eq!(role.body["permissions"], json!(["directory:read"]));
    let path = format!("/api/v1/roles/{}", role.id());
    let res = s
        .patch(
            &path,
            None,
            json!({"permissions": ["directory:read", "accounts:manage"]}),
        )
        .await;
    assert_eq!(
        res.body["permissions"],
        json!(["directory:read", "accounts:manage"])
    );
    let res = s
        .post(
            "/api/v1/roles",
            json!({"name": "X", "permissions": ["fly"]}),
        )
        .await;
    assert_eq!(res.error_fields(), ["permissions[0]"]);
    assert_eq!(s.delete(&path, None).await.status, 204);

    // The administrator role is assigned to the admin account.
    let res = s.delete("/api/v1/roles/1", None).await;
    res.assert_problem(409);
    assert!(
        res.detail().contains("assigned to 1 accounts"),
        "{}",
        res.detail()
    );
}
