//! Buildings, floors, operating theatres and roles over HTTP.

use crate::support::{Api, TestApp};
use serde_json::json;

#[tokio::test]
async fn buildings_floors_and_theatres() {
    let s = TestApp::start().await;
    let building = s.get("/api/v1/buildings/1?expand=floors").await;
    let floors = building.body["floors"].as_array().unwrap();
    assert_eq!(floors.len(), 3);
    assert_eq!(floors[0]["level"], 0);
    assert_eq!(s.get("/api/v1/buildings/1/floors").await.body["total"], 3);
    assert_eq!(
        s.get("/api/v1/floors/2/operating-theatres").await.body["total"],
        3
    );
    assert_eq!(
        s.get("/api/v1/operating-theatres?floor_id=3").await.body["total"],
        2
    );

    let b = s
        .post("/api/v1/buildings", json!({"name": "Emergency Block"}))
        .await;
    assert_eq!(b.status, 201);
    let f = s
        .post(
            "/api/v1/floors",
            json!({"building_id": b.id(), "name": "Basement", "level": -1}),
        )
        .await;
    assert_eq!(f.status, 201, "{:#}", f.body);
    let bad = s
        .post(
            "/api/v1/operating-theatres",
            json!({"floor_id": f.id(), "name": "OT X", "table_count": 0}),
        )
        .await;
    bad.assert_problem(400);
    assert_eq!(bad.error_fields(), ["table_count"]);
    let t = s
        .post(
            "/api/v1/operating-theatres",
            json!({"floor_id": f.id(), "name": "Trauma OT"}),
        )
        .await;
    assert_eq!(t.status, 201);
    assert_eq!(t.body["table_count"], 1);

    s.delete(&format!("/api/v1/buildings/{}", b.id()), None)
        .await
        .assert_problem(409);
    s.delete(&format!("/api/v1/floors/{}", f.id()), None)
        .await
        .assert_problem(409);
    let res = s
        .patch(
            &format!("/api/v1/operating-theatres/{}", t.id()),
            Some("\"1\""),
            json!({"table_count": 3}),
        )
        .await;
    assert_eq!(res.body["table_count"], 3);
    assert_eq!(
        s.delete(&format!("/api/v1/operating-theatres/{}", t.id()), None)
            .await
            .status,
        204
    );
    assert_eq!(
        s.delete(&format!("/api/v1/floors/{}", f.id()), None)
            .await
            .status,
        204
    );
    assert_eq!(
        s.delete(&format!("/api/v1/buildings/{}", b.id()), None)
            .await
            .status,
        204
    );
    s.get("/api/v1/floors/99/operating-theatres")
        .await
        .assert_problem(404);
    let res = s
        .post(
            "/api/v1/floors",
            json!({"building_id": 1, "name": "Roof", "level": 500}),
        )
        .await;
    assert_eq!(res.error_fields(), ["level"]);
}

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
        3
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
