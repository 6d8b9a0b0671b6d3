//! Cadres and designations over HTTP.

use crate::support::{Api, TestApp};
use serde_json::json;

#[tokio::test]
async fn cadres_and_designations() {
    let s = TestApp::start().await;
    assert_eq!(s.get("/api/v1/cadres").await.body["total"], 4);
    let faculty = s.get("/api/v1/cadres/1/designations?sort=name").await;
    assert_eq!(faculty.body["total"], 4);
    assert_eq!(faculty.body["items"][0]["name"], "Additional Professor");
    s.get("/api/v1/cadres/99/designations")
        .await
        .assert_problem(404);

    let cadre = s
        .post("/api/v1/cadres", json!({"name": "Paramedical"}))
        .await;
    assert_eq!(cadre.status, 201);
    let cadre_id = cadre.id();
    let designation = s
        .post(
            "/api/v1/designations",
            json!({"cadre_id": cadre_id, "name": "Optometrist", "abbr": "Opto"}),
        )
        .await;
    assert_eq!(designation.status, 201, "{:#}", designation.body);
    assert_eq!(
        s.get(&format!("/api/v1/designations?cadre_id={cadre_id}"))
            .await
            .body["total"],
        1
    );

    let res = s.delete(&format!("/api/v1/cadres/{cadre_id}"), None).await;
    res.assert_problem(409);
    assert!(res.detail().contains("1 designations"), "{}", res.detail());

    // Designation names are unique across cadres.
    s.post(
        "/api/v1/designations",
        json!({"cadre_id": 1, "name": "optometrist"}),
    )
    .await
    .assert_problem(409);
    let res = s
        .post(
            "/api/v1/designations",
            json!({"cadre_id": 99, "name": "Nobody"}),
        )
        .await;
    assert_eq!(res.error_fields(), ["cadre_id"]);

    // Moving a designation to another cadre moves its holders' cadre.
    let member = s.create_staff(1).await;
    assert_eq!(member.body["cadre_name"], "Faculty");
    let moved = s
        .patch(
            "/api/v1/designations/1",
            None,
            json!({"cadre_id": cadre_id}),
        )
        .await;
    assert_eq!(moved.status, 200, "{:#}", moved.body);
    let member = s.get(&format!("/api/v1/staff/{}", member.id())).await;
    assert_eq!(member.body["cadre_name"], "Paramedical");

    let res = s.delete("/api/v1/designations/1", None).await;
    res.assert_problem(409);
    assert!(res.detail().contains("held by 1 staff"), "{}", res.detail());
    assert_eq!(
        s.delete(&format!("/api/v1/designations/{}", designation.id()), None)
            .await
            .status,
        204
    );
    let renamed = s
        .patch(
            &format!("/api/v1/cadres/{cadre_id}"),
            Some("\"1\""),
            json!({"name": "Allied Health"}),
        )
        .await;
    assert_eq!(renamed.body["name"], "Allied Health");
}
