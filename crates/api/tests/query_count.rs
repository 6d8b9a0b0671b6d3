//! A list costs the same number of SQL queries whatever its length: no N+1.
//! Counted with diesel's instrumentation, in process, on whichever backend
//! DIRECTORY_TEST_DATABASE_URL names. One test per binary: the counter is
//! global.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]
#![recursion_limit = "256"]

use directory_api::{AppState, HttpOptions, app};
use directory_db::testing::{TestDatabase, count_queries};
use directory_db::{PoolOptions, build_pool};
use directory_seed::{AdminPassword, SeedData, demo_staff, seed};
use poem::test::TestClient;
use std::sync::atomic::{AtomicUsize, Ordering};

async fn queries_for<E: poem::Endpoint>(
    queries: &AtomicUsize,
    client: &TestClient<E>,
    token: &str,
    path: &str,
) -> usize {
    queries.store(0, Ordering::SeqCst);
    let response = client
        .get(path)
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await;
    response.assert_status_is_ok();
    queries.load(Ordering::SeqCst)
}

#[tokio::test]
async fn list_queries_do_not_grow_with_the_page() {
    let queries = count_queries().unwrap();
    let db = TestDatabase::migrated().unwrap();
    {
        let mut conn = db.connect().unwrap();
        seed(
            &mut conn,
            &SeedData::reference().unwrap(),
            &AdminPassword::Given("query count passphrase".into()),
        )
        .unwrap();
        demo_staff(&mut conn, 250, false).unwrap();
    }
    // One connection, opened before counting: connection set-up (PRAGMAs,
    // time zone) is not the list's cost.
    let options = PoolOptions {
        max_size: 1,
        ..PoolOptions::default()
    };
    let pool = build_pool(&db.url, &options).unwrap();
    let client = TestClient::new(app(
        AppState::new(pool, None).unwrap(),
        &HttpOptions::default(),
    ));

    let pairs = [
        ("/api/v1/staff?limit=5", "/api/v1/staff?limit=200"),
        (
            "/api/v1/staff?limit=5&expand=works_in",
            "/api/v1/staff?limit=200&expand=works_in",
        ),
        (
            "/api/v1/staff?limit=5&q=a&sort=-full_name",
            "/api/v1/staff?limit=200&q=a&sort=-full_name",
        ),
        (
            "/api/v1/departments?limit=1&expand=units,heads",
            "/api/v1/departments?limit=2&expand=units,heads",
        ),
        (
            "/api/v1/units?limit=1&expand=heads",
            "/api/v1/units?limit=7&expand=heads",
        ),
        (
            "/api/v1/buildings?limit=1&expand=floors",
            "/api/v1/buildings?limit=200&expand=floors",
        ),
        ("/api/v1/roles?limit=1", "/api/v1/roles?limit=6"),
    ];
    let login = client
        .post("/api/v1/auth/login")
        .body_json(&serde_json::json!({"username": "admin", "password": "query count passphrase"}))
        .send()
        .await;
    login.assert_status_is_ok();
    let body = login.json().await;
    let token = body
        .value()
        .object()
        .get("access_token")
        .string()
        .to_owned();
    queries_for(queries, &client, &token, "/healthz").await;
    queries_for(queries, &client, &token, "/api/v1/roles").await;
    for (small, large) in pairs {
        // A list's first read counts its total; later reads of the same
        // filter take the remembered one, whatever the page size.
        queries_for(queries, &client, &token, small).await;
        let few = queries_for(queries, &client, &token, small).await;
        let many = queries_for(queries, &client, &token, large).await;
        eprintln!("{small}: {few} queries; {large}: {many} queries");
        assert!(few > 0, "the counter saw no queries for {small}");
        assert_eq!(few, many, "{large} costs more queries than {small}");
    }
}
