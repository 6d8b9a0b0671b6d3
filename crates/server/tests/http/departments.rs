//! Departments and their heads over HTTP, and what every list and write
//! of the directory shares: field errors, unique names, paging.

use crate::support::{Api, TestApp};
use serde_json::json;

#[tokio::test]
async fn a_department_lives_and_dies() {
    let s = TestApp::start().await;
    let created = s
        .post(
            "/api/v1/departments",
            json!({"name": "  Cardiology ", "abbr": "Card", "kind": "department"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["name"], "Cardiology");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.etag.as_deref(), Some("\"1\""));
    let location = created.location.clone().expect("a Location header");
    assert_eq!(location, format!("/api/v1/departments/{}", created.id()));

    let fetched = s.get(&location).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, created.body);

    let updated = s
        .patch(
            &location,
            Some("\"1\""),
            json!({"abbr": null, "kind": "centre"}),
        )
        .await;
    assert_eq!(updated.status, 200, "{:#}", updated.body);
    assert_eq!(updated.body["abbr"], serde_json::Value::Null);
    assert_eq!(updated.body["kind"], "centre");
    assert_eq!(updated.body["name"], "Cardiology");
    assert_eq!(updated.etag.as_deref(), Some("\"2\""));

    // A stale If-Match changes nothing.
    s.patch(&location, Some("\"1\""), json!({"name": "Lost update"}))
        .await
        .assert_problem(412);
    s.delete(&location, Some("\"1\"")).await.assert_problem(412);
    assert_eq!(s.get(&location).await.body["name"], "Cardiology");

    assert_eq!(s.delete(&location, Some("\"2\"")).await.status, 204);
    s.get(&location).await.assert_problem(404);
    s.delete(&location, None).await.assert_problem(404);
}

#[tokio::test]
async fn every_bad_field_is_reported_at_once() {
    let s = TestApp::start().await;
    let res = s
        .post(
            "/api/v1/departments",
            json!({"kind": "clinic", "abbr": 7, "id": 9, "version": 2}),
        )
        .await;
    res.assert_problem(400);
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(fields, ["abbr", "id", "kind", "name", "version"]);

    let res = s
        .post(
            "/api/v1/departments",
            json!({"name": " ", "kind": "centre", "abbr": "x".repeat(21)}),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["name", "abbr"]);

    // Read-only fields cannot be patched either.
    let res = s
        .patch(
            "/api/v1/departments/1",
            None,
            json!({"created_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["created_at"]);
    let res = s
        .patch("/api/v1/departments/1", None, json!({"name": null}))
        .await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["name"]);
}

#[tokio::test]
async fn names_are_unique_ignoring_case() {
    let s = TestApp::start().await;
    let res = s
        .post(
            "/api/v1/departments",
            json!({"name": "ANAESTHESIOLOGY", "kind": "department"}),
        )
        .await;
    res.assert_problem(409);
    assert_eq!(res.error_fields(), ["name"]);
    let res = s
        .patch(
            "/api/v1/departments/2",
            None,
            json!({"name": "dr rp centre for ophthalmic sciences"}),
        )
        .await;
    res.assert_problem(409);
}

#[tokio::test]
async fn a_department_in_use_is_protected() {
    let s = TestApp::start().await;
    let res = s.delete("/api/v1/departments/1", None).await;
    res.assert_problem(409);
    assert!(
        res.detail()
            .contains("department 1 still has 7 units and 0 staff"),
        "{}",
        res.detail()
    );
    // Deactivating is the everyday path.
    let res = s
        .patch("/api/v1/departments/1", None, json!({"active": false}))
        .await;
    assert_eq!(res.body["active"], false);
    let active = s.get("/api/v1/departments?active=true").await;
    assert_eq!(active.body["total"], 1);
}

#[tokio::test]
async fn lists_page_sort_filter_and_expand() {
    let s = TestApp::start().await;
    let res = s
        .get("/api/v1/departments?sort=-name&limit=1&offset=1")
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["total"], 2);
    assert_eq!(res.body["limit"], 1);
    assert_eq!(res.body["offset"], 1);
    assert_eq!(res.body["items"][0]["name"], "Anaesthesiology");
    assert!(res.body["items"][0].get("units").is_none());

    let res = s
        .get("/api/v1/departments?expand=units,heads&sort=name")
        .await;
    assert_eq!(res.body["items"][1]["units"].as_array().unwrap().len(), 7);
    assert_eq!(res.body["items"][0]["units"].as_array().unwrap().len(), 0);
    assert!(res.body["items"][0]["heads"].is_array());

    assert_eq!(
        s.get("/api/v1/departments?kind=centre").await.body["total"],
        1
    );
    assert_eq!(s.get("/api/v1/departments?q=ANAES").await.body["total"], 1);

    s.get("/api/v1/departments?limit=201")
        .await
        .assert_problem(400);
    s.get("/api/v1/departments?limit=0")
        .await
        .assert_problem(400);
    s.get("/api/v1/departments?offset=-1")
        .await
        .assert_problem(400);
    let res = s.get("/api/v1/departments?sort=colour").await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["sort"]);
    let res = s.get("/api/v1/departments?expand=staff").await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["expand"]);
    s.get("/api/v1/departments?kind=clinic")
        .await
        .assert_problem(400);
    s.get("/api/v1/departments/abc").await.assert_problem(400);
}

#[tokio::test]
async fn heads_are_links() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await;
    let id = member.id();
    let path = format!("/api/v1/departments/1/heads/{id}");
    assert_eq!(s.put(&path).await.status, 201);
    assert_eq!(s.put(&path).await.status, 200);
    let heads = s.get("/api/v1/departments/1/heads").await;
    assert_eq!(heads.body["items"][0]["full_name"], "Test Person 1");
    assert_eq!(
        heads.body["items"][0]["designation_name"],
        "Assistant Professor"
    );
    let expanded = s.get("/api/v1/departments/1?expand=heads").await;
    assert_eq!(expanded.body["heads"][0]["staff_id"], id);
    assert_eq!(s.delete(&path, None).await.status, 204);
    s.delete(&path, None).await.assert_problem(404);
    s.put("/api/v1/departments/1/heads/9999")
        .await
        .assert_problem(404);
    s.put(&format!("/api/v1/departments/999/heads/{id}"))
        .await
        .assert_problem(404);

    let unit_head = format!("/api/v1/units/2/heads/{id}");
    assert_eq!(s.put(&unit_head).await.status, 201);
    let unit = s.get("/api/v1/units/2?expand=heads").await;
    assert_eq!(unit.body["heads"][0]["staff_id"], id);
    assert_eq!(s.get("/api/v1/units/2/heads").await.body["total"], 1);
    assert_eq!(s.delete(&unit_head, None).await.status, 204);
}
