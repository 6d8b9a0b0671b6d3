//! The database going away and coming back, seen from outside. Server
//! databases only: the server reaches them through a TCP proxy the test can
//! cut. (An embedded SQLite file cannot become unreachable.)

use crate::support::{ADMIN_PASSWORD, TestServer, server_command};
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

// Multi-threaded: the proxy must keep forwarding while the test blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    test_backend = "sqlite",
    ignore = "SQLite is embedded and cannot become unreachable"
)]
async fn the_database_going_away_is_a_quick_503_and_service_comes_back() {
    let db = TestDatabase::migrated().unwrap();
    let placeholder: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let (target, _) = through(&db.url, placeholder).unwrap();
    let proxy = Proxy::start(target).await;
    let (_, url) = through(&db.url, proxy.addr).unwrap();
    let mut command = server_command(&url);
    command
        .env("DIRECTORY_DATABASE__CONNECT_TIMEOUT_SECS", "1")
        .env("DIRECTORY_AUTH__TOKEN_CACHE_SECS", "0");
    let s = TestServer::spawn(command);
    let token = s.login("admin", ADMIN_PASSWORD).await;
    s.set_token(Some(token));
    assert_eq!(s.get("/readyz").await.status, 200);
    assert_eq!(s.get("/api/v1/departments").await.status, 200);

    proxy.cut();
    let started = Instant::now();
    s.get("/readyz").await.assert_problem(503);
    s.get("/api/v1/departments").await.assert_problem(503);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "answers took {:?}: a hang, not a quick 503",
        started.elapsed()
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.get("/readyz").await.status != 200 {
        assert!(Instant::now() < deadline, "service did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(s.get("/api/v1/departments").await.status, 200);
}
