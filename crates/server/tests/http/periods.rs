//! Dated assignments over HTTP: heads and works-in departments over periods
//! of days, what is in force on a day, ending and purging, and what a
//! leaving staff member's end date or deactivation does to them.

use crate::support::{Api, TestApp};
use serde_json::{Value, json};

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

fn items(res: &crate::support::Res) -> Vec<Value> {
    assert_eq!(res.status, 200, "{:#}", res.body);
    res.body["items"].as_array().unwrap().clone()
}

fn periods(items: &[Value]) -> Vec<(Value, Value)> {
    items
        .iter()
        .map(|i| (i["start_date"].clone(), i["end_date"].clone()))
        .collect()
}

#[tokio::test]
async fn a_headship_is_in_force_over_its_period() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await.id();
    let head = format!("/api/v1/departments/1/heads/{member}");
    let list = "/api/v1/departments/1/heads";
    let put = |body: Value| s.request(reqwest::Method::PUT, &head, None, Some(body));

    // A past period: not in force today, in force on a day inside it.
    let past = put(json!({"start_date": day(-60), "end_date": day(-30)})).await;
    assert_eq!(past.status, 201, "{:#}", past.body);
    assert_eq!(
        past.body,
        json!({"start_date": day(-60), "end_date": day(-30)})
    );
    assert!(items(&s.get(list).await).is_empty());
    let then = items(&s.get(&format!("{list}?as_of={}", day(-45))).await);
    assert_eq!(then[0]["staff_id"], member);
    assert_eq!(then[0]["full_name"], "Test Person 1");
    assert!(items(&s.get(&format!("{list}?as_of={}", day(-29))).await).is_empty());

    // An overlapping one is refused, naming the clash; an end before the
    // start is a bad request.
    let clash = put(json!({"start_date": day(-40), "end_date": day(-20)})).await;
    clash.assert_problem(409);
    assert!(
        clash.detail().contains(&day(-60)) && clash.detail().contains(&day(-30)),
        "{}",
        clash.detail()
    );
    let backwards = put(json!({"start_date": day(-10), "end_date": day(-11)})).await;
    backwards.assert_problem(400);
    assert_eq!(backwards.error_fields(), ["end_date"]);
    put(json!({"start": day(0)})).await.assert_problem(400);

    // The same start again changes that period's end.
    let longer = put(json!({"start_date": day(-60), "end_date": day(-25)})).await;
    assert_eq!(longer.status, 200, "{:#}", longer.body);
    assert_eq!(
        items(&s.get(&format!("{list}?as_of={}", day(-27))).await).len(),
        1
    );

    // No body: from today, once.
    let today = s.put(&head).await;
    assert_eq!(today.status, 201, "{:#}", today.body);
    assert_eq!(today.body["start_date"], day(0));
    assert_eq!(s.put(&head).await.status, 200);
    let current = items(&s.get(list).await);
    assert_eq!(periods(&current), [(json!(day(0)), Value::Null)]);
    let expanded = s.get("/api/v1/departments/1?expand=heads").await;
    assert_eq!(expanded.body["heads"][0]["start_date"], day(0));

    let history = items(&s.get(&format!("{list}?history=true")).await);
    assert_eq!(
        periods(&history),
        [
            (json!(day(-60)), json!(day(-25))),
            (json!(day(0)), Value::Null)
        ]
    );
    s.get(&format!("{list}?history=true&as_of={}", day(0)))
        .await
        .assert_problem(400);
    s.get(&format!("{list}?as_of=yesterday"))
        .await
        .assert_problem(400);
}

#[tokio::test]
async fn delete_ends_a_period_and_purge_removes_one() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await.id();
    let link = format!("/api/v1/staff/{member}/works-in/2");
    let list = format!("/api/v1/staff/{member}/works-in");
    let put = |body: Value| s.request(reqwest::Method::PUT, &link, None, Some(body));

    // In force since ten days ago: DELETE ends it yesterday, and keeps it.
    assert_eq!(put(json!({"start_date": day(-10)})).await.status, 201);
    assert_eq!(s.delete(&link, None).await.status, 204);
    assert!(items(&s.get(&list).await).is_empty());
    let history = items(&s.get(&format!("{list}?history=true")).await);
    assert_eq!(periods(&history), [(json!(day(-10)), json!(day(-1)))]);
    assert_eq!(history[0]["department_name"], "Anaesthesiology");
    // Nothing in force or to come: nothing to end.
    s.delete(&link, None).await.assert_problem(404);

    // One that has not started yet is removed; the trail keeps it.
    assert_eq!(put(json!({"start_date": day(5)})).await.status, 201);
    assert_eq!(s.delete(&link, None).await.status, 204);
    assert_eq!(
        items(&s.get(&format!("{list}?history=true")).await).len(),
        1
    );

    // purge removes the latest period outright (entered by mistake).
    assert_eq!(
        s.delete(&format!("{link}?purge=true"), None).await.status,
        204
    );
    assert!(items(&s.get(&format!("{list}?history=true")).await).is_empty());
    s.delete(&format!("{link}?purge=true"), None)
        .await
        .assert_problem(404);

    let events = crate::trail::events(&s, &format!("entity=works-in&entity_id={member}/2")).await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["link", "end", "link", "unlink", "unlink"]);
    assert_eq!(events[1]["after"]["end_date"], day(-1));
    // Each event names the period's row and its version after the change,
    // as the FHIR view names the period's PractitionerRole.
    let first = &events[0]["after"]["id"];
    assert!(first.is_i64(), "{events:?}");
    assert_eq!(events[1]["before"]["id"], *first);
    assert_eq!(events[1]["after"]["id"], *first);
    assert_eq!(events[4]["before"]["id"], *first);
    assert_ne!(events[2]["after"]["id"], *first);
    assert_eq!(events[3]["before"]["id"], events[2]["after"]["id"]);
    assert_eq!(
        (&events[0]["version"], &events[1]["version"]),
        (&json!(1), &json!(2))
    );
    assert_eq!(events[3]["version"], Value::Null);
}

#[tokio::test]
async fn leaving_ends_a_staff_members_periods_and_access() {
    let s = TestApp::start().await;
    let member = s.create_staff(1).await.id();
    let head = format!("/api/v1/units/1/heads/{member}");
    let works = format!("/api/v1/staff/{member}/works-in/2");
    assert_eq!(s.put(&head).await.status, 201);
    let later = json!({"start_date": day(20)});
    let planned = s
        .request(reqwest::Method::PUT, &works, None, Some(later))
        .await;
    assert_eq!(planned.status, 201, "{:#}", planned.body);

    // An end date in ten days: the headship ends then, the period that
    // would start after it goes.
    let staff = format!("/api/v1/staff/{member}");
    let res = s.patch(&staff, None, json!({"end_date": day(10)})).await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    let heads = items(&s.get("/api/v1/units/1/heads?history=true").await);
    assert_eq!(periods(&heads), [(json!(day(0)), json!(day(10)))]);
    assert!(items(&s.get(&format!("{staff}/works-in?history=true")).await).is_empty());

    // Deactivated: nothing is in force from today, and their login ends.
    let account = s
        .post(
            "/api/v1/accounts",
            json!({"username": "leaver", "password": "a leaver's passphrase", "staff_id": member}),
        )
        .await;
    assert_eq!(account.status, 201, "{:#}", account.body);
    let token = s.login("leaver", "a leaver's passphrase").await;
    let res = s.post_empty(&format!("{staff}/deactivate")).await;
    assert_eq!(res.status, 200, "{:#}", res.body);
    assert!(items(&s.get("/api/v1/units/1/heads").await).is_empty());
    // The headship began today, so it is gone rather than ended.
    let ended = items(&s.get("/api/v1/units/1/heads?history=true").await);
    assert!(ended.is_empty(), "{ended:?}");
    s.use_token(Some(token));
    s.get("/api/v1/auth/me").await.assert_problem(401);
    s.use_token(None);
    s.post(
        "/api/v1/auth/login",
        json!({"username": "leaver", "password": "a leaver's passphrase"}),
    )
    .await
    .assert_problem(401);
}
