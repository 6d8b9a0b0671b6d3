//! Staff over HTTP: embedded names, rules, search, concurrency, links.

use crate::support::{Api, TestApp};
use serde_json::json;

#[tokio::test]
async fn a_staff_member_comes_with_names_embedded() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await;
    assert_eq!(member.body["full_name"], "Test Person 1");
    assert_eq!(member.body["mobile"], "+919810000001");
    assert_eq!(
        member.body["department_name"],
        "Dr RP Centre for Ophthalmic Sciences"
    );
    assert_eq!(member.body["unit_name"], "RPC Unit 1");
    assert_eq!(member.body["designation_name"], "Assistant Professor");
    assert_eq!(member.body["cadre_name"], "Faculty");
    assert_eq!(member.body["active"], true);
    let listed = s.get("/api/v1/staff").await;
    assert_eq!(listed.body["items"][0], member.body);
}

#[tokio::test]
async fn staff_rules_are_enforced() {
    let s = TestApp::start().await;
    let bad = s
        .post(
            "/api/v1/staff",
            json!({
                "full_name": "x".repeat(151), "employee_id": "E1", "email": "not-an-email",
                "mobile": "call me", "department_id": 1, "designation_id": 1
            }),
        )
        .await;
    bad.assert_problem(400);
    assert_eq!(bad.error_fields(), ["full_name", "email", "mobile"]);

    let wrong_unit = s
        .post(
            "/api/v1/staff",
            json!({
                "full_name": "A", "employee_id": "E1", "email": "a@b.org", "mobile": "9810000001",
                "department_id": 2, "unit_id": 1, "designation_id": 99
            }),
        )
        .await;
    // Well-formed, but it does not fit the stored data: a conflict.
    wrong_unit.assert_problem(409);
    assert_eq!(wrong_unit.error_fields(), ["unit_id", "designation_id"]);

    let first = s.create_staff(1).await;
    let dup = s
        .post(
            "/api/v1/staff",
            json!({
                "full_name": "B", "employee_id": "E2", "email": "PERSON1@hospital.example.org",
                "mobile": "9810000002", "department_id": 1, "designation_id": 1
            }),
        )
        .await;
    dup.assert_problem(409);
    assert_eq!(dup.error_fields(), ["email"]);

    // Supervisor chains may not loop.
    let second = s.create_staff(2).await;
    let (a, b) = (first.id(), second.id());
    let res = s
        .patch(
            &format!("/api/v1/staff/{b}"),
            None,
            json!({"supervisor_id": a}),
        )
        .await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    let res = s
        .patch(
            &format!("/api/v1/staff/{a}"),
            None,
            json!({"supervisor_id": b}),
        )
        .await;
    res.assert_problem(409);
    assert_eq!(res.error_fields(), ["supervisor_id"]);
    // Moving department needs a unit of that department (or none).
    let res = s
        .patch(
            &format!("/api/v1/staff/{a}"),
            None,
            json!({"department_id": 2}),
        )
        .await;
    assert_eq!(res.error_fields(), ["unit_id"]);
    let res = s
        .patch(
            &format!("/api/v1/staff/{a}"),
            None,
            json!({"department_id": 2, "unit_id": null}),
        )
        .await;
    assert_eq!(res.body["department_name"], "Anaesthesiology");
    assert_eq!(res.body["unit_name"], serde_json::Value::Null);
    // A changed email is unique ignoring case, as a new one is.
    let res = s
        .patch(
            &format!("/api/v1/staff/{b}"),
            None,
            json!({"email": "Changed@Hospital.example.org"}),
        )
        .await;
    assert_eq!(res.body["email"], "Changed@Hospital.example.org");
    let res = s
        .patch(
            &format!("/api/v1/staff/{a}"),
            None,
            json!({"email": "changed@hospital.EXAMPLE.org"}),
        )
        .await;
    res.assert_problem(409);
    assert_eq!(res.error_fields(), ["email"]);
}

#[tokio::test]
async fn search_and_filters() {
    let s = TestApp::start().await;
    for n in 1..=12 {
        s.create_staff(n).await;
    }
    let other = s
        .post(
            "/api/v1/staff",
            json!({
                "full_name": "Priya Nair", "employee_id": "NUR-7", "email": "priya@hospital.example.org",
                "mobile": "9810000099", "department_id": 2, "designation_id": 7
            }),
        )
        .await;
    assert_eq!(other.status, 201, "{:#}", other.body);
    assert_eq!(s.get("/api/v1/staff").await.body["total"], 13);
    assert_eq!(s.get("/api/v1/staff?q=PRIYA").await.body["total"], 1);
    assert_eq!(s.get("/api/v1/staff?q=nur-7").await.body["total"], 1);
    assert_eq!(s.get("/api/v1/staff?q=person1").await.body["total"], 4);
    assert_eq!(s.get("/api/v1/staff?cadre_id=3").await.body["total"], 1);
    assert_eq!(
        s.get("/api/v1/staff?department_id=1&unit_id=1").await.body["total"],
        12
    );
    assert_eq!(
        s.get("/api/v1/staff?designation_id=7").await.body["total"],
        1
    );
    assert_eq!(s.get("/api/v1/staff?q=%25").await.body["total"], 13);
    let page = s
        .get("/api/v1/staff?sort=-employee_id&limit=5&offset=5")
        .await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 5);
    assert_eq!(page.body["items"][0]["employee_id"], "T00007");
    s.get("/api/v1/staff?sort=salary").await.assert_problem(400);

    let id = other.id();
    let res = s
        .post_empty(&format!("/api/v1/staff/{id}/deactivate"))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["active"], false);
    assert!(res.body["deactivated_at"].is_string());
    assert_eq!(s.get("/api/v1/staff?active=false").await.body["total"], 1);
    let res = s
        .post_empty(&format!("/api/v1/staff/{id}/reactivate"))
        .await;
    assert_eq!(res.body["active"], true);
    assert_eq!(res.body["deactivated_at"], serde_json::Value::Null);
    s.post_empty("/api/v1/staff/9999/deactivate")
        .await
        .assert_problem(404);
    // Switching on what is on changes nothing, not even the version.
    let before = s.get(&format!("/api/v1/staff/{id}")).await;
    let res = s
        .post_empty(&format!("/api/v1/staff/{id}/reactivate"))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, before.body);
    assert_eq!(res.etag, before.etag);
}

/// The ids of a list walked page by page with `after`, checking `total`.
async fn walk_after(s: &TestApp, query: &str, limit: usize, total: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    loop {
        let cursor = ids
            .last()
            .map(|id| format!("&after={id}"))
            .unwrap_or_default();
        let page = s
            .get(&format!("/api/v1/staff?limit={limit}{query}{cursor}"))
            .await;
        assert_eq!(page.status, 200, "{:#}", page.body);
        assert_eq!(page.body["total"], total, "{query}");
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= limit);
        if items.is_empty() {
            return ids;
        }
        ids.extend(items.iter().map(|item| item["id"].as_i64().unwrap()));
        // A cursor that were ignored would serve the first page forever.
        assert!(ids.len() <= total, "{query}: {ids:?}");
    }
}

#[tokio::test]
async fn keyset_pages_walk_the_list_like_offset_pages() {
    let s = TestApp::start().await;
    for n in 1..=12 {
        s.create_staff(n).await;
    }
    // A gap in the ids: a cursor is an id, not a position.
    let gone = s.get("/api/v1/staff?limit=1&offset=4").await.body["items"][0]["id"].clone();
    let gone = gone.as_i64().unwrap();
    assert_eq!(
        s.delete(&format!("/api/v1/staff/{gone}"), None)
            .await
            .status,
        204
    );

    // Default order, a filter, the full-text path (three letters or more)
    // and the LIKE path (fewer): each walks to the same ids as one page.
    for (query, total) in [
        ("", 11),
        ("&department_id=1", 11),
        ("&q=person1", 4),
        ("&q=n1", 4),
        ("&q=person1&active=true", 4),
    ] {
        let everything = s.get(&format!("/api/v1/staff?limit=200{query}")).await;
        let expected: Vec<i64> = everything.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect();
        assert_eq!(expected.len(), total, "{query}");
        assert!(!expected.contains(&gone));
        assert_eq!(walk_after(&s, query, 2, total).await, expected, "{query}");
    }

    // With an offset or another order, `after` is a filter like the others.
    let all = s.get("/api/v1/staff?limit=200").await;
    let third = all.body["items"][2]["id"].as_i64().unwrap();
    let skipped = s
        .get(&format!("/api/v1/staff?limit=2&offset=2&after={third}"))
        .await;
    assert_eq!(skipped.body["items"][0]["id"], all.body["items"][5]["id"]);
    let sorted = s
        .get(&format!(
            "/api/v1/staff?limit=200&sort=-full_name&after={third}"
        ))
        .await;
    let names: Vec<&str> = sorted.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 8);
    assert!(names.windows(2).all(|pair| pair[0] >= pair[1]), "{names:?}");
    s.get("/api/v1/staff?after=first").await.assert_problem(400);
    let past_the_end = s.get("/api/v1/staff?after=100000").await;
    assert_eq!(past_the_end.status, 200);
    assert_eq!(past_the_end.body["items"], serde_json::json!([]));
    assert_eq!(past_the_end.body["total"], 11);
}

#[tokio::test]
async fn concurrent_updates_never_overwrite_each_other() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await;
    let path = format!("/api/v1/staff/{}", member.id());
    let tag = member.etag.clone().unwrap();
    let (a, b) = tokio::join!(
        s.patch(&path, Some(&tag), json!({"office_address": "Room 1"})),
        s.patch(&path, Some(&tag), json!({"office_address": "Room 2"})),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    let winner = if a.status == 200 { a } else { b };
    let now = s.get(&path).await;
    assert_eq!(now.body["office_address"], winner.body["office_address"]);
    assert_eq!(now.body["version"], 2);
}

#[tokio::test]
async fn works_in_and_deleting_staff() {
    let s = TestApp::start().await;
    let boss = s.create_staff(1).await;
    let report = s.create_staff(2).await;
    let (boss_id, report_id) = (boss.id(), report.id());
    s.patch(
        &format!("/api/v1/staff/{report_id}"),
        None,
        json!({"supervisor_id": boss_id}),
    )
    .await;

    let link = format!("/api/v1/staff/{boss_id}/works-in/2");
    assert_eq!(s.put(&link).await.status, 201);
    assert_eq!(s.put(&link).await.status, 200);
    let works_in = s.get(&format!("/api/v1/staff/{boss_id}/works-in")).await;
    assert_eq!(
        works_in.body["items"][0]["department_name"],
        "Anaesthesiology"
    );
    let expanded = s
        .get(&format!("/api/v1/staff/{boss_id}?expand=works_in"))
        .await;
    assert_eq!(expanded.body["works_in"][0]["department_id"], 2);
    s.put(&format!("/api/v1/staff/{boss_id}/works-in/99"))
        .await
        .assert_problem(404);

    assert_eq!(
        s.delete(&format!("/api/v1/staff/{boss_id}"), None)
            .await
            .status,
        204
    );
    let report = s.get(&format!("/api/v1/staff/{report_id}")).await;
    assert_eq!(report.body["supervisor_id"], serde_json::Value::Null);
    // Losing the supervisor is a recorded change: version 3 after the
    // PATCH that set it.
    assert_eq!(report.body["version"], 3);
    let history = s.get(&format!("/api/v1/staff/{report_id}/history")).await;
    assert_eq!(history.body["items"].as_array().unwrap().len(), 3);
    s.get(&format!("/api/v1/staff/{boss_id}/works-in"))
        .await
        .assert_problem(404);
}
#[tokio::test]
async fn an_offset_past_the_deepest_served_says_to_page_with_after() {
    let s = TestApp::start().await;
    s.create_staff(1).await;
    // The deepest offset served is an empty page past the end.
    let deepest = s.get("/api/v1/staff?offset=100000").await;
    assert_eq!(deepest.status, 200);
    assert_eq!(deepest.body["items"], serde_json::json!([]));
    assert_eq!(deepest.body["total"], 1);
    let res = s.get("/api/v1/staff?offset=100001&limit=100").await;
    res.assert_problem(400);
    assert_eq!(res.error_fields(), ["offset"]);
    let message = res.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("`after`"), "{message}");
    // Every list has the same bound.
    s.get("/api/v1/departments?offset=100001")
        .await
        .assert_problem(400);
}
