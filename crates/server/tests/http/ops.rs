//! Health, readiness, the documents, errors as problem+json, body limits,
//! configuration failures and graceful shutdown.

use crate::support::{TestServer, run_to_exit, server_command};
use directory_db::testing::TestDatabase;
use serde_json::Value;

#[tokio::test]
async fn health_and_readiness() {
    let server = TestServer::start().await;
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");

    let ready: Value = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["pending_migrations"], 0);
    let backend = std::env::var(directory_db::testing::TEST_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
        .and_then(|url| url.split(':').next().map(str::to_owned))
        .unwrap_or_else(|| "sqlite".into());
    assert_eq!(ready["database"], backend.as_str());
}

#[tokio::test]
async fn not_ready_while_migrations_are_pending() {
    let db = TestDatabase::empty().unwrap();
    let mut command = server_command(&db.url);
    command
        .env("DIRECTORY_DATABASE__MIGRATE_ON_START", "false")
        .env("DIRECTORY_DATABASE__SEED_ON_START", "false");
    let server = TestServer::spawn(command);
    let response = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 503);
    assert!(problem["detail"].as_str().unwrap().contains("migrations"));
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let server = TestServer::start().await;
    let served: Value = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed: Value =
        serde_json::from_str(include_str!("../../../../docs/openapi.json")).unwrap();
    assert_eq!(
        served, committed,
        "run `cargo xtask openapi` and commit docs/openapi.json"
    );
    let docs = server.client.get(server.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn errors_are_problem_documents() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/no/such/path"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(response.headers().contains_key("x-request-id"));
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["title"], "Not Found");
    assert_eq!(problem["type"], "about:blank");

    // Announce a body over the limit and send none: the server must answer
    // from the header alone (sending the body races the early answer).
    use std::io::{Read, Write};
    let addr = server.base.trim_start_matches("http://").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(
                b"POST /api/v1/cadres HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let server = TestServer::start_anonymous();
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn a_bad_setting_is_one_line_naming_the_key() {
    let db = TestDatabase::empty().unwrap();
    let mut command = server_command(&db.url);
    command.env("DIRECTORY_SERVER__BIND", "not-an-address");
    let (status, stderr) = run_to_exit(command);
    assert!(!status.success());
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("server.bind"), "{stderr}");

    let mut command = server_command(&db.url);
    command.env("DIRECTORY_LOG__FORMAT", "xml");
    let (status, stderr) = run_to_exit(command);
    assert!(!status.success());
    assert!(stderr.contains("log.format"), "{stderr}");
}

#[test]
fn production_needs_its_secrets_from_the_environment() {
    let db = TestDatabase::empty().unwrap();
    let mut command = server_command(&db.url);
    command
        .env("DIRECTORY_PROFILE", "production")
        .env_remove("DIRECTORY_DATABASE__URL");
    let (status, stderr) = run_to_exit(command);
    assert!(!status.success());
    assert!(stderr.contains("DIRECTORY_DATABASE__URL"), "{stderr}");
}

#[test]
fn development_generates_the_first_admin_password_once() {
    let db = TestDatabase::empty().unwrap();
    let mut command = server_command(&db.url);
    command
        .env("DIRECTORY_PROFILE", "development")
        .env_remove("DIRECTORY_ADMIN_PASSWORD")
        .env("DIRECTORY_SERVER__BIND", "127.0.0.1:0");
    let first = TestServer::spawn(command);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let said = first.stderr().join("\n");
    assert!(said.contains("shown only this once"), "{said}");
    drop(first);

    let mut command = server_command(&db.url);
    command
        .env("DIRECTORY_PROFILE", "development")
        .env_remove("DIRECTORY_ADMIN_PASSWORD")
        .env("DIRECTORY_SERVER__BIND", "127.0.0.1:0");
    let second = TestServer::spawn(command);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!second.stderr().join("\n").contains("shown only this once"));
}

#[tokio::test]
async fn sigterm_under_load_finishes_in_flight_requests() {
    let db = TestDatabase::empty().unwrap();
    let mut command = server_command(&db.url);
    // On a loaded machine (a full parallel test run) the queue of logins
    // may take longer than the test profile's 5 s to finish.
    command.env("DIRECTORY_SERVER__SHUTDOWN_GRACE_SECS", "60");
    let server = TestServer::spawn(command);
    // Logins are slow on purpose (argon2, ~15 ms of a core each, one per
    // core at a time), so a queue of them is in flight when the signal
    // arrives: 24 a core, under the 32 a core that may wait before 503.
    let logins = directory_auth::passwords::at_once() * 24;
    // Each client's connection is accepted before the signal (a first
    // request on it), so under a loaded machine no login is still in the
    // listen backlog when the listener closes; then all logins go at once.
    let mut clients = Vec::new();
    for _ in 0..logins {
        let client = reqwest::Client::new();
        let warm = client.get(server.url("/healthz")).send().await;
        assert_eq!(warm.map(|r| r.status().as_u16()).ok(), Some(200));
        clients.push(client);
    }
    let in_flight: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let url = server.url("/api/v1/auth/login");
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&serde_json::json!({"username": "admin", "password": crate::support::ADMIN_PASSWORD}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    // Long enough for the logins to reach the server, short against 24
    // hashes on every core.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let pending = in_flight.iter().filter(|r| !r.is_finished()).count();
    assert!(
        pending > 0,
        "every login finished before the signal; the test proves nothing"
    );
    server.send_sigterm();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // New connections are refused while the old ones finish.
    let fresh = reqwest::Client::new()
        .get(server.url("/healthz"))
        .send()
        .await;
    assert!(
        fresh.is_err(),
        "a new request was accepted after SIGTERM: {fresh:?}"
    );
    for request in in_flight {
        let status = request
            .await
            .unwrap()
            .expect("an in-flight request was cut off");
        assert_eq!(status, 200);
    }
    let status = tokio::task::spawn_blocking(move || server.wait_exit())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}

/// Started from another directory without DIRECTORY_CONFIG_DIR, the server
/// finds config/ beside its binary (cargo's target/<profile>/ here) and
/// says which files it read.
#[test]
fn the_config_directory_is_found_beside_the_binary_and_named_at_start() {
    let db = TestDatabase::empty().unwrap();
    let mut command = server_command(&db.url);
    command.env_remove("DIRECTORY_CONFIG_DIR");
    let server = TestServer::spawn(command);
    let log = server.terminate_and_collect_stdout();
    let line = log
        .lines()
        .find(|l| l.contains("configuration"))
        .unwrap_or_else(|| panic!("no configuration line in {log}"));
    assert!(line.contains("beside the binary"), "{line}");
    assert!(line.contains("default.toml"), "{line}");
    assert!(line.contains("test.toml"), "{line}");
    assert!(!log.contains("is missing"), "{log}");
}

/// A profile whose file is missing starts on the shared settings, and the
/// log says which file was not there.
#[test]
fn a_missing_profile_file_is_said_at_start() {
    let db = TestDatabase::empty().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{}/default.toml", crate::support::config_dir()),
        dir.path().join("default.toml"),
    )
    .unwrap();
    let mut command = server_command(&db.url);
    command
        .env("DIRECTORY_CONFIG_DIR", dir.path())
        .env("DIRECTORY_SERVER__BIND", "127.0.0.1:0");
    let server = TestServer::spawn(command);
    let log = server.terminate_and_collect_stdout();
    let missing = log
        .lines()
        .find(|l| l.contains("a configuration file is missing"))
        .unwrap_or_else(|| panic!("nothing said of test.toml in {log}"));
    assert!(missing.contains("test.toml"), "{missing}");
}

/// A database password given in the URL's query is never shown, whether
/// the server stops for want of its database or starts without it.
#[test]
fn a_password_in_the_database_url_is_never_shown() {
    let url = "postgres://app@127.0.0.1:9/directory?sslmode=disable&password=sekrit-words";
    let mut command = server_command(url);
    command.env("DIRECTORY_DATABASE__SEED_ON_START", "false");
    let (status, stderr) = run_to_exit(command);
    assert!(!status.success());
    assert!(!stderr.contains("sekrit"), "{stderr}");
    assert!(stderr.contains("password=***"), "{stderr}");
    #[cfg(feature = "postgres")]
    {
        let mut command = server_command(url);
        command
            .env("DIRECTORY_DATABASE__MIGRATE_ON_START", "false")
            .env("DIRECTORY_DATABASE__SEED_ON_START", "false");
        let server = TestServer::spawn(command);
        let log = server.terminate_and_collect_stdout();
        assert!(!log.contains("sekrit"), "{log}");
        assert!(log.contains("password=***"), "{log}");
    }
}
