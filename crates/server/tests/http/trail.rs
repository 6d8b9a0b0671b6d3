//! The directory's memory: the audit trail, history and `as_of`, and the
//! change feed, over HTTP.

use crate::concurrency::futures_join_all;
use crate::support::{ADMIN_PASSWORD, Api, TestApp, TestServer};
use serde_json::{Value, json};

/// Every event matching `query` (an `/audit-events` query string), read
/// page by page through `next_after`.
pub(crate) async fn events(s: &impl Api, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let res = s
            .get(&format!(
                "/api/v1/audit-events?{query}&after={after}&limit=200"
            ))
            .await;
        assert_eq!(res.status, 200, "{:#}", res.body);
        all.extend(res.body["items"].as_array().unwrap().iter().cloned());
        match res.body["next_after"].as_i64() {
            Some(next) => after = next,
            None => return all,
        }
    }
}

/// The feed from `after` to its end, page by page.
async fn changes_from(s: &impl Api, mut after: i64) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let res = s
            .get(&format!("/api/v1/changes?after={after}&limit=200"))
            .await;
        assert_eq!(res.status, 200, "{:#}", res.body);
        let items = res.body["items"].as_array().unwrap().clone();
        if items.is_empty() {
            return all;
        }
        after = res.body["next_after"].as_i64().unwrap();
        all.extend(items);
    }
}

fn last_change(items: &[Value]) -> i64 {
    items.last().map_or(0, |c| c["seq"].as_i64().unwrap())
}

#[tokio::test]
async fn every_change_is_recorded_with_who_and_what() {
    let s = TestApp::start().await;
    let me = s.get("/api/v1/auth/me").await.body["id"].as_i64().unwrap();
    let created = s
        .post(
            "/api/v1/departments",
            json!({"name": "Cardiology", "kind": "department"}),
        )
        .await;
    let path = format!("/api/v1/departments/{}", created.id());
    s.patch(&path, Some("\"1\""), json!({"abbr": "Card"})).await;
    assert_eq!(s.delete(&path, Some("\"2\"")).await.status, 204);

    let id = created.id().to_string();
    let trail = events(&s, &format!("entity=departments&entity_id={id}")).await;
    let actions: Vec<&str> = trail
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    for event in &trail {
        assert_eq!(event["actor_id"], me);
        assert_eq!(event["entity"], "departments");
        assert_eq!(event["entity_id"], id.as_str());
    }
    assert_eq!(trail[0]["before"], Value::Null);
    assert_eq!(trail[0]["after"], created.body);
    assert_eq!(trail[0]["version"], 1);
    assert_eq!(trail[1]["before"]["abbr"], Value::Null);
    assert_eq!(trail[1]["after"]["abbr"], "Card");
    assert_eq!(trail[1]["version"], 2);
    assert_eq!(trail[2]["before"]["abbr"], "Card");
    assert_eq!(trail[2]["after"], Value::Null);
    assert!(
        trail
            .windows(2)
            .all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64())
    );

    // Links are changes too.
    let staff = s.create_staff(1).await;
    let link = format!("/api/v1/departments/1/heads/{}", staff.id());
    assert_eq!(s.put(&link).await.status, 201);
    assert_eq!(s.delete(&link, None).await.status, 204);
    let heads = events(&s, "entity=department-heads").await;
    let actions: Vec<&str> = heads
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["link", "unlink"]);
    assert_eq!(heads[0]["entity_id"], format!("1/{}", staff.id()));
    assert_eq!(heads[0]["after"]["staff_id"], staff.id());
}

#[tokio::test]
async fn a_refused_change_leaves_no_event() {
    let s = TestApp::start().await;
    let before = events(&s, "entity=cadres").await.len();
    s.post("/api/v1/cadres", json!({"name": "Faculty"}))
        .await
        .assert_problem(409);
    s.patch("/api/v1/cadres/1", Some("\"99\""), json!({"name": "Lost"}))
        .await
        .assert_problem(412);
    assert_eq!(events(&s, "entity=cadres").await.len(), before);
}

#[tokio::test]
async fn the_trail_filters_and_pages() {
    let s = TestApp::start().await;
    let start = chrono::Utc::now();
    for n in 0..5 {
        s.post("/api/v1/cadres", json!({ "name": format!("Paged {n}") }))
            .await;
    }
    let since = start.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let query = format!(
        "entity=cadres&action=create&since={}",
        since.replace('+', "%2B")
    );
    let first = s
        .get(&format!("/api/v1/audit-events?{query}&limit=2"))
        .await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    assert_eq!(first.body["limit"], 2);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(first.body["items"][0]["after"]["name"], "Paged 0");
    let next = first.body["next_after"].as_i64().unwrap();
    let second = s
        .get(&format!(
            "/api/v1/audit-events?{query}&limit=2&after={next}"
        ))
        .await;
    assert_eq!(second.body["items"][0]["after"]["name"], "Paged 2");
    let all = events(&s, &query).await;
    assert_eq!(all.len(), 5);
    let until = events(&s, "entity=cadres&until=2000-01-01T00:00:00Z").await;
    assert!(until.is_empty(), "{until:?}");
    // Instants far from today still compare as instants (MySQL included).
    let created = events(&s, "entity=cadres&action=create").await;
    let wide = "entity=cadres&action=create&since=1960-01-01T00:00:00Z&until=2999-01-01T00:00:00Z";
    assert_eq!(events(&s, wide).await, created);
    assert!(created.len() > 5);

    let me = s.get("/api/v1/auth/me").await.body["id"].as_i64().unwrap();
    let mine = events(&s, &format!("actor_id={me}&entity=cadres")).await;
    assert_eq!(mine.len(), 5);
    assert!(events(&s, "actor_id=9999").await.is_empty());

    for bad in [
        "limit=201",
        "limit=0",
        "since=yesterday",
        "entity=patients",
        "action=explode",
        "after=-1",
    ] {
        s.get(&format!("/api/v1/audit-events?{bad}"))
            .await
            .assert_problem(400);
    }
}

#[tokio::test]
async fn the_trail_is_read_only_and_needs_audit_read() {
    let s = TestApp::start().await;
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ] {
        let res = s
            .raw(method.clone(), "/api/v1/audit-events", &[], None)
            .await;
        assert_eq!(res.status, 405, "{method}");
        let res = s.raw(method, "/api/v1/audit-events/1", &[], None).await;
        assert_eq!(res.status, 404);
    }
    // A reader of the directory may not read the trail, but may follow
    // the change feed.
    let reader = s
        .post(
            "/api/v1/accounts",
            json!({"username": "reader", "password": "a reader's passphrase", "roles": [2]}),
        )
        .await;
    assert_eq!(reader.status, 201, "{:#}", reader.body);
    let token = s.login("reader", "a reader's passphrase").await;
    s.use_token(Some(token));
    s.get("/api/v1/audit-events").await.assert_problem(403);
    assert_eq!(s.get("/api/v1/changes").await.status, 200);
    s.use_token(None);
    s.get("/api/v1/audit-events").await.assert_problem(401);
}

#[tokio::test]
async fn logins_and_logouts_are_recorded_without_secrets() {
    let s = TestApp::start().await;
    let admin = s.get("/api/v1/auth/me").await.body["id"].as_i64().unwrap();
    let wrong = s
        .post(
            "/api/v1/auth/login",
            json!({"username": "admin", "password": "not-the-passphrase"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let token = s.login("admin", ADMIN_PASSWORD).await;
    let clerk = s
        .post(
            "/api/v1/accounts",
            json!({"username": "clerk", "password": "a clerk's passphrase"}),
        )
        .await;
    let changed = s
        .patch(
            &format!("/api/v1/accounts/{}", clerk.id()),
            None,
            json!({"password": "another clerk's passphrase"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{:#}", changed.body);
    let second = s.login("admin", ADMIN_PASSWORD).await;
    s.use_token(Some(second.clone()));
    assert_eq!(s.post_empty("/api/v1/auth/logout").await.status, 204);
    s.use_token(Some(token.clone()));

    let sessions = events(&s, "entity=sessions").await;
    let actions: Vec<&str> = sessions
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["login", "login_failed", "login", "login", "logout"],
        "{sessions:#?}"
    );
    assert_eq!(sessions[1]["entity_id"], admin.to_string());
    assert_eq!(sessions[1]["after"]["username"], "admin");
    assert_eq!(sessions[1]["actor_id"], Value::Null);
    assert_eq!(sessions[4]["actor_id"], admin);
    let password = events(&s, "entity=accounts&action=password").await;
    assert_eq!(password.len(), 1);

    // Nothing secret, in any form, anywhere in the trail.
    let everything = s.get("/api/v1/audit-events?limit=200").await.text;
    for secret in [
        ADMIN_PASSWORD,
        "not-the-passphrase",
        "a clerk's passphrase",
        "another clerk's passphrase",
        token.as_str(),
        second.as_str(),
        "$argon2",
        "password_hash",
        "token",
    ] {
        assert!(!everything.contains(secret), "{secret:?} is in the trail");
    }
}

#[tokio::test]
async fn history_and_as_of_recall_every_version() {
    let s = TestApp::start().await;
    let created = s.create_staff(7).await;
    let path = format!("/api/v1/staff/{}", created.id());
    let at = |res: &crate::support::Res| res.body["updated_at"].as_str().unwrap().to_owned();
    let v1 = at(&created);
    let second = s
        .patch(&path, None, json!({"mobile": "+91 98100 11111"}))
        .await;
    let third = s
        .patch(&path, None, json!({"mobile": "+91 98100 22222"}))
        .await;
    assert_eq!(third.body["version"], 3);

    let history = s.get(&format!("{path}/history")).await;
    assert_eq!(history.status, 200, "{:#}", history.body);
    let items = history.body["items"].as_array().unwrap();
    let versions: Vec<i64> = items
        .iter()
        .map(|i| i["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    assert_eq!(items[1]["data"]["mobile"], "+919810011111");
    assert_eq!(items[0]["action"], "create");

    let as_of = |instant: &str| format!("{path}?as_of={}", instant.replace('+', "%2B"));
    let then = s.get(&as_of(&v1)).await;
    assert_eq!(then.status, 200, "{:#}", then.body);
    assert_eq!(then.body["version"], 1);
    assert_eq!(then.body["mobile"], created.body["mobile"]);
    assert_eq!(then.etag.as_deref(), Some("\"1\""));
    assert_eq!(s.get(&as_of(&at(&second))).await.body["version"], 2);
    assert_eq!(s.get(&as_of("2999-01-01T00:00:00Z")).await.body, third.body);
    s.get(&as_of("2000-01-01T00:00:00Z"))
        .await
        .assert_problem(404);
    s.get(&as_of("last-tuesday")).await.assert_problem(400);
    // With its relations on that day: none had been added.
    let expanded = s.get(&format!("{}&expand=works_in", as_of(&v1))).await;
    assert_eq!(expanded.status, 200, "{:#}", expanded.body);
    assert_eq!(expanded.body["works_in"], json!([]));

    // A deleted staff member keeps a history; as_of after the delete is 404.
    assert_eq!(s.delete(&path, None).await.status, 204);
    let history = s.get(&format!("{path}/history")).await;
    assert_eq!(history.body["items"].as_array().unwrap().len(), 4);
    assert_eq!(history.body["items"][3]["action"], "delete");
    assert_eq!(history.body["items"][3]["data"], Value::Null);
    s.get(&as_of("2999-01-01T00:00:00Z"))
        .await
        .assert_problem(404);
    assert_eq!(s.get(&as_of(&v1)).await.body["version"], 1);
    s.get("/api/v1/staff/999999/history")
        .await
        .assert_problem(404);

    // Seeded rows have a history from the start; departments and units too.
    for path in ["/api/v1/departments/1", "/api/v1/units/1"] {
        let history = s.get(&format!("{path}/history")).await;
        assert_eq!(history.status, 200, "{path}");
        assert_eq!(history.body["items"][0]["action"], "create");
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let then = s.get(&format!("{path}?as_of={now}")).await;
        assert_eq!(then.status, 200, "{path}: {:#}", then.body);
        assert_eq!(then.body["id"], 1);
    }
}

#[tokio::test]
async fn the_feed_lists_changes_and_waits_for_the_next() {
    let s = TestApp::start().await;
    let start = last_change(&changes_from(&s, 0).await);
    assert!(start > 0, "the seed's changes are in the feed");
    let created = s.post("/api/v1/cadres", json!({"name": "Fed"})).await;
    let new = changes_from(&s, start).await;
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["entity"], "cadres");
    assert_eq!(new[0]["entity_id"], created.id().to_string());
    assert_eq!(new[0]["action"], "create");
    assert_eq!(new[0]["version"], 1);
    let seq = new[0]["seq"].as_i64().unwrap();

    // Nothing new: the cursor stays where it was.
    let idle = s.get(&format!("/api/v1/changes?after={seq}&wait=1")).await;
    assert_eq!(idle.body["items"], json!([]));
    assert_eq!(idle.body["next_after"], seq);

    // A waiting poll answers with the change that commits while it waits.
    let waiting = format!("/api/v1/changes?after={seq}&wait=20");
    let (waited, _) = tokio::join!(s.get(&waiting), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        s.post("/api/v1/cadres", json!({"name": "Awaited"})).await
    });
    assert_eq!(waited.status, 200, "{:#}", waited.body);
    assert_eq!(waited.body["items"][0]["action"], "create");
    assert_eq!(waited.body["items"][0]["seq"], waited.body["next_after"]);

    // Logins are not directory changes.
    s.login("admin", ADMIN_PASSWORD).await;
    let after = waited.body["next_after"].as_i64().unwrap();
    assert!(changes_from(&s, after).await.is_empty());

    for bad in ["wait=31", "limit=201", "after=-1", "after=x"] {
        s.get(&format!("/api/v1/changes?{bad}"))
            .await
            .assert_problem(400);
    }
}

/// The feed's promise under load: a consumer polling in a tight loop while
/// 32 writers commit at once sees every change exactly once, in order. On
/// PostgreSQL and MySQL the writers run on separate connections, where a
/// sequence taken inside a transaction could commit after a larger one.
#[tokio::test]
async fn a_polling_consumer_misses_nothing_while_32_writers_commit() {
    let s = TestServer::start().await;
    let start = last_change(&changes_from(&s, 0).await);
    let done = std::sync::atomic::AtomicBool::new(false);
    let writers = async {
        let writers = (0..32).map(|w| {
            let s = &s;
            async move {
                for n in 0..6 {
                    let created = s
                        .post(
                            "/api/v1/cadres",
                            json!({ "name": format!("Writer {w} cadre {n}") }),
                        )
                        .await;
                    assert_eq!(created.status, 201, "{:#}", created.body);
                    let path = format!("/api/v1/cadres/{}", created.id());
                    let patched = s
                        .patch(
                            &path,
                            None,
                            json!({ "name": format!("Writer {w} cadre {n}b") }),
                        )
                        .await;
                    assert_eq!(patched.status, 200, "{:#}", patched.body);
                }
            }
        });
        futures_join_all(writers).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let consumer = async {
        let mut seen = Vec::new();
        let mut after = start;
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            let page = s
                .get(&format!("/api/v1/changes?after={after}&limit=200"))
                .await;
            assert_eq!(page.status, 200, "{:#}", page.body);
            let items = page.body["items"].as_array().unwrap();
            seen.extend(items.iter().map(|c| c["seq"].as_i64().unwrap()));
            after = page.body["next_after"].as_i64().unwrap();
            // Every writer had finished before this poll began, and it
            // found nothing more: the consumer has caught up.
            if finished && items.is_empty() {
                return seen;
            }
        }
    };
    let ((), seen) = tokio::join!(writers, consumer);

    let committed: Vec<i64> = changes_from(&s, start)
        .await
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(committed.len(), 32 * 6 * 2);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "out of order or twice"
    );
    assert_eq!(seen, committed, "the consumer missed a change");
}
