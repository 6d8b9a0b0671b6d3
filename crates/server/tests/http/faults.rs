//! The database going away and coming back, seen from outside. Server
//! databases only: the server reaches them through a TCP proxy the test can
//! cut. (An embedded SQLite file cannot become unreachable.)

use crate::support::{ADMIN_PASSWORD, Api, TestServer, server_command};
use directory_db::testing::TestDatabase;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards connections to the database until cut.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (flag, handles) = (cut.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue; // dropped: the database is "down"
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                handles.lock().unwrap().push(link);
            }
        });
        Self { addr, cut, links }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// `scheme://user@host:port/db` -> (`host:port`, the URL through `via`).
fn through(url: &str, via: SocketAddr) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = rest.split_once('/')?;
    let (user, host) = authority
        .rsplit_once('@')
        .map_or(("", authority), |(u, h)| (u, h));
    let user = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    Some((host.to_owned(), format!("{scheme}://{user}{via}/{path}")))
}

/// A server on `db` reached through `proxy`, as the administrator.
async fn server_through(db: &TestDatabase, proxy: &Proxy) -> TestServer {
    let (_, url) = through(&db.url, proxy.addr).unwrap();
    let mut command = server_command(&url);
    command.env("DIRECTORY_AUTH__TOKEN_CACHE_SECS", "0");
    let s = TestServer::spawn(command);
    let token = s.login("admin", ADMIN_PASSWORD).await;
    s.set_token(Some(token));
    s
}

async fn proxy_to(db: &TestDatabase) -> Proxy {
    let placeholder: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let (target, _) = through(&db.url, placeholder).unwrap();
    Proxy::start(target).await
}

/// /readyz's status once it is 200, or its last status after `limit`.
async fn ready_within(s: &TestServer, limit: Duration) -> u16 {
    let started = Instant::now();
    loop {
        let status = s.get("/readyz").await.status;
        if status == 200 || started.elapsed() >= limit {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends a GET and returns its status, its Retry-After and how long it took.
async fn timed_get(s: &TestServer, path: &str) -> (u16, Option<String>, Duration) {
    let started = Instant::now();
    let mut request = s.client.get(s.url(path));
    if let Some(token) = s.token() {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), retry, started.elapsed())
}

// Multi-threaded: the proxy must keep forwarding while the test blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    test_backend = "sqlite",
    ignore = "SQLite is embedded and cannot become unreachable"
)]
async fn the_database_going_away_under_load_is_a_503_within_a_second_and_service_comes_back() {
    let db = TestDatabase::migrated().unwrap();
    let proxy = proxy_to(&db).await;
    let s = server_through(&db, &proxy).await;
    // Ready once the health thread's first look (about a second after the
    // start at most) has seen the database.
    assert_eq!(ready_within(&s, Duration::from_secs(5)).await, 200);
    assert_eq!(s.get("/api/v1/departments").await.status, 200);

    proxy.cut();
    // Forty clients at once, while the server still holds connections the
    // cut has broken: each answer is a 503 with Retry-After within about
    // a second, readiness included.
    let paths = (0..40).map(|n| {
        if n % 8 == 0 {
            "/readyz"
        } else {
            "/api/v1/departments"
        }
    });
    let answers = crate::concurrency::futures_join_all(paths.map(|path| {
        let s = &s;
        async move { (path, timed_get(s, path).await) }
    }))
    .await;
    for (path, (status, retry, took)) in &answers {
        assert!(*took < Duration::from_millis(1500), "{path}: {answers:?}");
        if path.starts_with("/api") {
            assert_eq!(
                (*status, retry.as_deref()),
                (503, Some("1")),
                "{path}: {answers:?}"
            );
        }
    }
    // Readiness answers at once from a check at most a second old: within
    // a second or two of the cut it says so.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let (status, _, took) = timed_get(&s, "/readyz").await;
        assert!(took < Duration::from_secs(1), "{took:?}");
        if status == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "/readyz still says ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Once it is known down, the answer is immediate.
    let (status, retry, took) = timed_get(&s, "/api/v1/staff").await;
    assert_eq!((status, retry.as_deref()), (503, Some("1")));
    assert!(took < Duration::from_millis(500), "{took:?}");

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.get("/readyz").await.status != 200 {
        assert!(Instant::now() < deadline, "service did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(s.get("/api/v1/departments").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    test_backend = "sqlite",
    ignore = "SQLite is embedded and cannot become unreachable"
)]
async fn a_server_whose_database_does_not_answer_at_start_serves_health_and_becomes_ready_by_itself()
 {
    let db = TestDatabase::migrated().unwrap();
    let proxy = proxy_to(&db).await;
    proxy.cut();
    let (_, url) = through(&db.url, proxy.addr).unwrap();
    let mut command = server_command(&url);
    command
        .env("DIRECTORY_DATABASE__MIGRATE_ON_START", "false")
        .env("DIRECTORY_DATABASE__SEED_ON_START", "false");
    let s = TestServer::spawn(command);
    assert_eq!(s.get("/healthz").await.status, 200);
    let (status, _, took) = timed_get(&s, "/readyz").await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(1), "{took:?}");
    // A token must be checked, and there is nothing to check it with.
    s.set_token(Some("not-a-token-the-database-knows".into()));
    let (status, retry, took) = timed_get(&s, "/api/v1/departments").await;
    assert_eq!((status, retry.as_deref()), (503, Some("1")));
    assert!(took < Duration::from_millis(1500), "{took:?}");

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.get("/readyz").await.status != 200 {
        assert!(Instant::now() < deadline, "never became ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The database answers the token check now (and knows no such token).
    assert_eq!(s.get("/api/v1/departments").await.status, 401);
}

/// A database restart breaks every pooled connection at once. The pool
/// trusts a connection that answered within the last second without a
/// test query (the test was a second statement for every request); one
/// idle longer is tested first, so a second after the restart every
/// request is served on a fresh connection, none on a broken one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    test_backend = "sqlite",
    ignore = "SQLite is embedded: it has no connections to break"
)]
async fn connections_a_restart_broke_are_replaced_a_second_later() {
    let db = TestDatabase::migrated().unwrap();
    let proxy = proxy_to(&db).await;
    let s = server_through(&db, &proxy).await;
    assert_eq!(ready_within(&s, Duration::from_secs(5)).await, 200);
    let round = || {
        crate::concurrency::futures_join_all((0..8).map(|_| {
            let s = &s;
            async move { timed_get(s, "/api/v1/departments").await.0 }
        }))
    };
    // Several pooled connections in use.
    assert_eq!(round().await, vec![200; 8]);

    // What a restart does to open connections; new ones are accepted.
    proxy.cut();
    proxy.restore();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(ready_within(&s, Duration::from_secs(5)).await, 200);
    for _ in 0..3 {
        assert_eq!(round().await, vec![200; 8]);
    }
}

/// Work stuck in the database (a table locked from outside) holds every
/// database thread: what cannot start within the queue timeout is answered
/// 503 with Retry-After at once, readiness answers from its own check, and
/// the stuck work finishes when the lock goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    test_backend = "sqlite",
    ignore = "SQLite readers are never blocked by a lock from outside (WAL)"
)]
async fn work_that_cannot_start_in_time_is_shed_and_readiness_does_not_wait_behind_it() {
    let db = TestDatabase::empty().unwrap();
    let mut command = server_command(&db.url);
    command
        .env("DIRECTORY_DATABASE__POOL_SIZE", "2")
        .env("DIRECTORY_DATABASE__QUEUE_TIMEOUT_MS", "300")
        .env("DIRECTORY_AUTH__TOKEN_CACHE_SECS", "600");
    let s = TestServer::spawn(command);
    let token = s.login("admin", ADMIN_PASSWORD).await;
    s.set_token(Some(token));
    // The token is checked and cached now: what follows only reads.
    assert_eq!(s.get("/api/v1/departments").await.status, 200);

    let mut locker = db.connect().unwrap();
    let (lock, unlock) = match db.backend() {
        directory_db::Backend::Mysql => ("LOCK TABLES departments WRITE", "UNLOCK TABLES"),
        _ => (
            "BEGIN; LOCK TABLE departments IN ACCESS EXCLUSIVE MODE",
            "COMMIT",
        ),
    };
    directory_db::testing::execute_sql(&mut locker, lock).unwrap();

    let flood =
        crate::concurrency::futures_join_all((0..12).map(|_| timed_get(&s, "/api/v1/departments")));
    let readiness = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let answer = timed_get(&s, "/readyz").await;
        // Let the stuck work go once the others have been answered.
        tokio::time::sleep(Duration::from_millis(500)).await;
        directory_db::testing::execute_sql(&mut locker, unlock).unwrap();
        answer
    };
    let (answers, (ready, _, ready_took)) = tokio::join!(flood, readiness);
    assert_eq!(ready, 200);
    assert!(ready_took < Duration::from_secs(1), "{ready_took:?}");
    let shed: Vec<_> = answers
        .iter()
        .filter(|(status, _, _)| *status == 503)
        .collect();
    let served = answers
        .iter()
        .filter(|(status, _, _)| *status == 200)
        .count();
    // Two threads took two requests and waited on the lock; the rest
    // could not start in time.
    assert_eq!((served, shed.len()), (2, 10), "{answers:?}");
    for (_, retry, took) in shed {
        assert_eq!(retry.as_deref(), Some("1"));
        assert!(*took < Duration::from_millis(900), "{answers:?}");
    }
}
