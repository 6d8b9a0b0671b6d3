//! Many clients at once through one pool: the guarantees hold and nothing
//! answers 500 or "database is locked".

use crate::support::{Api, TestServer};
use serde_json::json;

#[tokio::test]
async fn thirty_two_creates_of_one_name_give_one_201() {
    let s = TestServer::start().await;
    let creates = (0..32).map(|_| s.post("/api/v1/cadres", json!({"name": "Perfusionists"})));
    let results = futures_join_all(creates).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let conflicts = results.iter().filter(|r| r.status == 409).count();
    let others: Vec<_> = results
        .iter()
        .filter(|r| r.status != 201 && r.status != 409)
        .map(|r| (r.status, r.body.clone()))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    assert_eq!((created, conflicts), (1, 31));
    assert_eq!(s.get("/api/v1/cadres?q=perfusion").await.body["total"], 1);
}

/// Writes that arrive together may be committed together (group commit on
/// SQLite): one that fails must not take the others with it, and every one
/// that was answered 201 must be there afterwards, found by its search.
#[tokio::test]
async fn failed_writes_in_a_burst_leave_the_others_committed() {
    let s = TestServer::start().await;
    let creates = (0..40).map(|n| {
        // Every fourth one reuses a name: after the first, those are 409s.
        let name = if n % 4 == 0 {
            "Burst shared".to_owned()
        } else {
            format!("Burst cadre {n}")
        };
        s.post("/api/v1/cadres", json!({ "name": name }))
    });
    let results = futures_join_all(creates).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        31,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        9,
        "{statuses:?}"
    );
    let listed = s.get("/api/v1/cadres?q=burst&limit=200").await;
    assert_eq!(listed.body["total"], 31, "{}", listed.body);
    for created in results.iter().filter(|r| r.status == 201) {
        let path = format!("/api/v1/cadres/{}", created.body["id"]);
        assert_eq!(s.get(&path).await.status, 200, "{path}");
    }
}

#[tokio::test]
async fn thirty_two_patches_with_one_etag_give_one_success() {
    let s = TestServer::start().await;
    let member = s.create_staff(1).await;
    let path = format!("/api/v1/staff/{}", member.id());
    let tag = member.etag.clone().unwrap();
    let patches = (0..32).map(|n| {
        s.patch(
            &path,
            Some(&tag),
            json!({"office_address": format!("Room {n}")}),
        )
    });
    let results = futures_join_all(patches).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let stale = results.iter().filter(|r| r.status == 412).count();
    let others: Vec<_> = results
        .iter()
        .filter(|r| r.status != 200 && r.status != 412)
        .map(|r| (r.status, r.body.clone()))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    assert_eq!((ok, stale), (1, 31));
    assert_eq!(s.get(&path).await.body["version"], 2);
}

#[tokio::test]
async fn mixed_logins_reads_and_writes_never_fail() {
    let server = TestServer::start().await;
    let s = &server;
    let mut work = Vec::new();
    for n in 0..48u32 {
        work.push(async move {
            match n % 4 {
                0 => s
                    .post(
                        "/api/v1/auth/login",
                        json!({"username": "admin", "password": crate::support::ADMIN_PASSWORD}),
                    )
                    .await,
                1 => s.get("/api/v1/staff?limit=50").await,
                2 => s
                    .post(
                        "/api/v1/staff",
                        json!({
                            "full_name": format!("Load Person {n}"), "employee_id": format!("L{n:04}"),
                            "email": format!("load{n}@hospital.example.org"), "mobile": format!("98100{n:05}"),
                            "department_id": 2, "designation_id": 5
                        }),
                    )
                    .await,
                _ => s.patch("/api/v1/departments/2", None, json!({"abbr": format!("A{n}")})).await,
            }
        });
    }
    let results = futures_join_all(work).await;
    let failures: Vec<_> = results
        .iter()
        .filter(|r| !(200..300).contains(&r.status))
        .map(|r| (r.status, r.body.clone()))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
}

/// Every link PUT and DELETE raced against copies of itself and of the
/// other: each answer is one the document declares for that operation,
/// never a 5xx, and a round of PUTs makes the link exactly once. (A PUT
/// that lost the race to insert the same row answered 500 on PostgreSQL.)
#[tokio::test]
async fn racing_link_puts_and_deletes_answer_only_what_the_document_declares() {
    let s = TestServer::start().await;
    let member = s.create_staff(1).await.id();
    let account = s
        .post(
            "/api/v1/accounts",
            json!({"username": "racer", "password": "long enough passphrase"}),
        )
        .await
        .id();
    let document: serde_json::Value =
        serde_json::from_str(include_str!("../../../../docs/openapi.json")).unwrap();
    let links = [
        (
            format!("/api/v1/departments/2/heads/{member}"),
            "/api/v1/departments/{id}/heads/{staff_id}",
        ),
        (
            format!("/api/v1/units/1/heads/{member}"),
            "/api/v1/units/{id}/heads/{staff_id}",
        ),
        (
            format!("/api/v1/staff/{member}/works-in/2"),
            "/api/v1/staff/{id}/works-in/{department_id}",
        ),
        (
            format!("/api/v1/accounts/{account}/roles/2"),
            "/api/v1/accounts/{id}/roles/{role_id}",
        ),
    ];
    for (path, template) in &links {
        let declared = |method: &str| -> Vec<u16> {
            document["paths"][template][method]["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {template} is documented"))
                .keys()
                .map(|status| status.parse().unwrap())
                .collect()
        };
        let (put_declared, delete_declared) = (declared("put"), declared("delete"));
        for round in 0..3 {
            let puts = futures_join_all((0..16).map(|_| s.put(path))).await;
            let mut statuses: Vec<u16> = puts.iter().map(|r| r.status).collect();
            statuses.sort_unstable();
            // A period already in force is 200 (with the period); a role
            // already held, 204.
            let again = if path.contains("/roles/") { 204 } else { 200 };
            let mut expected = vec![again; 15];
            expected.push(201);
            expected.sort_unstable();
            assert_eq!(statuses, expected, "{path}, round {round}: {puts:?}");

            let (s, path) = (&s, path.as_str());
            let mixed = futures_join_all((0..16).map(|n| async move {
                if n % 2 == 0 {
                    ("put", s.put(path).await)
                } else {
                    ("delete", s.delete(path, None).await)
                }
            }))
            .await;
            for (method, res) in &mixed {
                let declared = if *method == "put" {
                    &put_declared
                } else {
                    &delete_declared
                };
                assert!(
                    res.status < 500 && declared.contains(&res.status),
                    "{method} {path}, round {round}: {} is not declared ({declared:?}): {:#}",
                    res.status,
                    res.body
                );
            }
            // Whatever the race left, the link can be removed once.
            if s.delete(path, None).await.status == 204 {
                assert_eq!(s.delete(path, None).await.status, 404, "{path}");
            }
        }
    }
}

/// Runs futures concurrently on this task (no extra dependency).
pub(crate) async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(output) => {
                        *result = Some(output);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.extend(results.into_iter().flatten());
    outputs
}

/// Two server processes on one database (the scale-out path) keep the same
/// guarantees: the database, not the process, arbitrates.
#[tokio::test]
#[cfg_attr(
    test_backend = "sqlite",
    ignore = "scale-out is for PostgreSQL and MySQL: one SQLite file has one server"
)]
async fn two_servers_on_one_database_keep_the_guarantees() {
    let db = directory_db::testing::TestDatabase::empty().unwrap();
    let a = TestServer::spawn(crate::support::server_command(&db.url));
    let b = TestServer::spawn(crate::support::server_command(&db.url));
    let token = a.login("admin", crate::support::ADMIN_PASSWORD).await;
    a.set_token(Some(token.clone()));
    // One login works on both: sessions live in the database.
    b.set_token(Some(token));

    let creates = (0..32).map(|n| {
        let server = if n % 2 == 0 { &a } else { &b };
        server.post("/api/v1/cadres", json!({"name": "Scale Out"}))
    });
    let results = futures_join_all(creates).await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    statuses.sort();
    statuses.dedup();
    assert_eq!(
        statuses,
        [201, 409],
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);

    let member = a.create_staff(1).await;
    let path = format!("/api/v1/staff/{}", member.id());
    let tag = member.etag.clone().unwrap();
    let patches = (0..32).map(|n| {
        let server = if n % 2 == 0 { &a } else { &b };
        server.patch(
            &path,
            Some(&tag),
            json!({"office_address": format!("Room {n}")}),
        )
    });
    let results = futures_join_all(patches).await;
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 1);
    assert_eq!(results.iter().filter(|r| r.status == 412).count(), 31);

    // A list's total, remembered by each process, follows the other's
    // writes.
    let before = b.get("/api/v1/staff?limit=1").await.body["total"].clone();
    a.create_staff(2).await;
    let after = b.get("/api/v1/staff?limit=1").await.body["total"].clone();
    assert_eq!(after.as_i64(), before.as_i64().map(|n| n + 1));

    // A poll waiting on one process answers with a change made through
    // the other (it looks again every second).
    let mut last = 0;
    loop {
        let page = b
            .get(&format!("/api/v1/changes?after={last}&limit=200"))
            .await;
        last = page.body["next_after"].as_i64().unwrap();
        if page.body["items"].as_array().is_none_or(Vec::is_empty) {
            break;
        }
    }
    let waiting = format!("/api/v1/changes?after={last}&wait=20");
    let (waited, _) = tokio::join!(b.get(&waiting), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        a.post("/api/v1/cadres", json!({"name": "Seen Elsewhere"}))
            .await
    });
    assert_eq!(waited.status, 200, "{:#}", waited.body);
    assert_eq!(waited.body["items"][0]["entity"], "cadres");
    assert_eq!(waited.body["items"][0]["action"], "create");

    // Failed logins through either process count against one limit (5 per
    // username), and the lock-out holds on both.
    let bad = json!({"username": "admin", "password": "not the password"});
    for n in 0..5 {
        let server = if n % 2 == 0 { &a } else { &b };
        server
            .post("/api/v1/auth/login", bad.clone())
            .await
            .assert_problem(401);
    }
    let right = json!({"username": "admin", "password": crate::support::ADMIN_PASSWORD});
    a.post("/api/v1/auth/login", right.clone())
        .await
        .assert_problem(429);
    b.post("/api/v1/auth/login", right)
        .await
        .assert_problem(429);

    // A logout through one process ends the session on the other once
    // that process's token cache (auth.token_cache_secs, 2 s) has let go.
    assert_eq!(b.get("/api/v1/auth/me").await.status, 200);
    assert_eq!(a.post_empty("/api/v1/auth/logout").await.status, 204);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    b.get("/api/v1/auth/me").await.assert_problem(401);
}

/// Hashing a new password (argon2id) holds no database thread: with one
/// database thread, a read is answered while two account changes hash,
/// in a fraction of a hash's time. (Hashed on the database thread, a
/// read waited behind every hash queued before it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_do_not_wait_for_password_hashing() {
    let db = directory_db::testing::TestDatabase::empty().unwrap();
    let mut command = crate::support::server_command(&db.url);
    command.env("DIRECTORY_DATABASE__POOL_SIZE", "1");
    let s = TestServer::spawn(command);
    let token = s.login("admin", crate::support::ADMIN_PASSWORD).await;
    s.set_token(Some(token));
    let create = |n: u32| {
        s.post(
            "/api/v1/accounts",
            json!({"username": format!("hasher{n}"), "password": "a long enough passphrase"}),
        )
    };
    let started = std::time::Instant::now();
    assert_eq!(create(0).await.status, 201);
    let one_hash = started.elapsed();
    assert_eq!(s.get("/api/v1/departments").await.status, 200);

    // A queue of hashes (~15 ms of a core each) long against a read: were
    // hashing done on the one database thread, the read would wait for
    // most of the queue.
    let hashing = async {
        let started = std::time::Instant::now();
        let created = futures_join_all((1..=24).map(create)).await;
        (created, started.elapsed())
    };
    let reading = async {
        tokio::time::sleep(one_hash / 2).await;
        let started = std::time::Instant::now();
        let res = s.get("/api/v1/departments").await;
        (res.status, started.elapsed())
    };
    let ((created, all_hashing), (status, read)) = tokio::join!(hashing, reading);
    assert!(created.iter().all(|r| r.status == 201), "{created:?}");
    assert_eq!(status, 200);
    assert!(
        read < all_hashing / 4,
        "a read took {read:?} while 24 accounts hashed in {all_hashing:?}"
    );
}
