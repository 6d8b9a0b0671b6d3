//! Buildings, their floors and operating theatres over HTTP.

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
