//! Units of departments over HTTP.

use crate::support::{Api, TestApp};
use serde_json::json;

#[tokio::test]
async fn units_belong_to_departments() {
    let s = TestApp::start().await;
    let units = s.get("/api/v1/departments/1/units?sort=name&limit=3").await;
    assert_eq!(units.body["total"], 7);
    assert_eq!(units.body["items"][0]["name"], "Ocular Anaesthesia");
    s.get("/api/v1/departments/999/units")
        .await
        .assert_problem(404);

    // The same unit name may exist in another department.
    let created = s
        .post(
            "/api/v1/units",
            json!({"department_id": 2, "name": "rpc unit 1"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    s.post(
        "/api/v1/units",
        json!({"department_id": 2, "name": "RPC UNIT 1"}),
    )
    .await
    .assert_problem(409);
    let res = s
        .post(
            "/api/v1/units",
            json!({"department_id": 99, "name": "Ghost"}),
        )
        .await;
    res.assert_problem(409);
    assert_eq!(res.error_fields(), ["department_id"]);
    // A unit cannot move to another department.
    let res = s
        .patch("/api/v1/units/1", None, json!({"department_id": 2}))
        .await;
    res.assert_problem(400);
    assert_eq!(
        s.get("/api/v1/units?department_id=2").await.body["total"],
        1
    );
}

#[tokio::test]
async fn deleting_a_unit_detaches_its_staff() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await;
    assert_eq!(member.body["unit_name"], "RPC Unit 1");
    assert_eq!(
        s.put(&format!("/api/v1/units/1/heads/{}", member.id()))
            .await
            .status,
        201
    );
    assert_eq!(s.delete("/api/v1/units/1", None).await.status, 204);
    let after = s.get(&format!("/api/v1/staff/{}", member.id())).await;
    assert_eq!(after.body["unit_id"], serde_json::Value::Null);
    assert_eq!(after.body["department_id"], 1);
    // Leaving the unit is a change of its own: a new version, in the
    // staff member's history, the feed and the FHIR view.
    assert_eq!(
        after.body["version"],
        member.body["version"].as_i64().unwrap() + 1
    );
    let history = s
        .get(&format!("/api/v1/staff/{}/history", member.id()))
        .await;
    let versions = history.body["items"].as_array().unwrap();
    let last = versions.last().unwrap();
    assert_eq!(last["action"], "update");
    assert_eq!(last["data"]["unit_id"], serde_json::Value::Null, "{last:#}");
    let post = s
        .get(&format!("/fhir/PractitionerRole/post-{}", member.id()))
        .await;
    assert_eq!(
        post.body["organization"]["reference"],
        "Organization/dept-1"
    );
    assert_eq!(
        post.body["meta"]["versionId"],
        after.body["version"].to_string()
    );
    // The headship went with the unit, and the trail says so.
    let trail = crate::trail::events(
        &s,
        &format!("entity=unit-heads&entity_id=1/{}", member.id()),
    )
    .await;
    let actions: Vec<&str> = trail
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["link", "unlink"], "{trail:#?}");
}
