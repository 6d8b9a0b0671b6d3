//! Slow, idle and too many clients cannot exhaust the server, and a
//! shutdown never cuts off a request on the wire. Raw sockets, so the test
//! sees exactly what a client sees.

use crate::support::{TestServer, server_command};
use directory_db::testing::TestDatabase;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

fn addr(s: &TestServer) -> String {
    s.base.trim_start_matches("http://").to_owned()
}

fn started_with(settings: &[(&str, &str)]) -> TestServer {
    let db = TestDatabase::empty().unwrap();
    let mut command = server_command(&db.url);
    for (key, value) in settings {
        command.env(key, value);
    }
    let mut s = TestServer::spawn(command);
    s.keep(db);
    s
}

/// True once the server has closed `stream` (a read ends or fails),
/// waiting at most `wait`.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// One request on `stream`; the response's head and whether it was whole.
fn exchange(stream: &mut TcpStream, request: &str) -> std::io::Result<String> {
    stream.write_all(request.as_bytes())?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::new(
                ErrorKind::UnexpectedEof,
                format!("closed after {} bytes of an answer", answer.len()),
            ));
        }
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return Ok(text[..end].to_owned());
            }
        }
    }
}

const HEALTH: &str = "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";

#[test]
fn a_client_that_does_not_finish_its_headers_in_time_is_cut_off() {
    let s = started_with(&[("DIRECTORY_SERVER__HEADER_TIMEOUT_SECS", "1")]);
    let mut slow = TcpStream::connect(addr(&s)).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: te")
        .unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut slow, Duration::from_secs(5)));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // A client that keeps sending a byte at a time gains nothing.
    let mut trickle = TcpStream::connect(addr(&s)).unwrap();
    let started = Instant::now();
    let mut cut = false;
    for byte in b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: "
        .iter()
        .cycle()
    {
        if trickle.write_all(&[*byte]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    assert!(cut || closed_within(&mut trickle, Duration::from_secs(1)));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    // Others are served meanwhile.
    let mut fine = TcpStream::connect(addr(&s)).unwrap();
    assert!(
        exchange(&mut fine, HEALTH)
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_keep_alive_secs() {
    let s = started_with(&[("DIRECTORY_SERVER__KEEP_ALIVE_SECS", "1")]);
    let mut client = TcpStream::connect(addr(&s)).unwrap();
    assert!(
        exchange(&mut client, HEALTH)
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
    // Still open right after its answer, for the next request...
    assert!(
        exchange(&mut client, HEALTH)
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
    // ...and closed once idle for the keep-alive time.
    let started = Instant::now();
    assert!(closed_within(&mut client, Duration::from_secs(5)));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn past_the_limit_idle_connections_make_room_and_otherwise_a_new_one_gets_503() {
    let s = started_with(&[("DIRECTORY_SERVER__MAX_CONNECTIONS", "4")]);
    // Four idle keep-alive connections fill the server...
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut c = TcpStream::connect(addr(&s)).unwrap();
            assert!(
                exchange(&mut c, HEALTH)
                    .unwrap()
                    .starts_with("HTTP/1.1 200")
            );
            c
        })
        .collect();
    // ...and a fifth is served: the longest idle closes to make room.
    let mut fifth = TcpStream::connect(addr(&s)).unwrap();
    assert!(
        exchange(&mut fifth, HEALTH)
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
    assert!(closed_within(&mut idle[0], Duration::from_secs(2)));
    drop(idle);
    drop(fifth);
    std::thread::sleep(Duration::from_millis(300));
    // Four clients in the middle of their headers are not idle: a new
    // connection is answered 503 at once and closed.
    let busy: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut c = TcpStream::connect(addr(&s)).unwrap();
            c.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut refused = TcpStream::connect(addr(&s)).unwrap();
    let head = exchange(&mut refused, HEALTH).unwrap();
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("retry-after: 1"), "{head}");
    assert!(lower.contains("application/problem+json"), "{head}");
    assert!(closed_within(&mut refused, Duration::from_secs(2)));
    drop(busy);
}

/// Under a low open-file limit, more clients than it allows each get their
/// answer (idle connections make room), and the server says so in a line
/// or two, not one per refused accept.
#[test]
fn near_the_open_file_limit_the_server_keeps_serving_and_logs_once() {
    let db = TestDatabase::empty().unwrap();
    let binary = env!("CARGO_BIN_EXE_directory-server");
    let mut command = server_command(&db.url);
    // The shell lowers the limit for the server it becomes.
    let mut shell = Command::new("sh");
    shell
        .args(["-c", &format!("ulimit -n 256 && exec {binary}")])
        .env_clear()
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .current_dir(std::env::temp_dir())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command = shell;
    let mut s = TestServer::spawn(command);
    s.keep(db);
    let mut clients = Vec::new();
    for n in 0..400 {
        let mut c = TcpStream::connect(addr(&s)).unwrap();
        let head =
            exchange(&mut c, HEALTH).unwrap_or_else(|e| panic!("client {n} got no answer: {e}"));
        assert!(head.starts_with("HTTP/1.1 200"), "client {n}: {head}");
        clients.push(c);
    }
    drop(clients);
    let output = s.terminate_and_collect_stdout();
    let warnings: Vec<&str> = output.lines().filter(|l| l.contains("WARN")).collect();
    assert!(
        warnings.len() <= 2,
        "{} warnings: {warnings:#?}",
        warnings.len()
    );
    assert!(
        warnings.iter().any(|w| w.contains("open-file limit")),
        "{warnings:#?}"
    );
}

/// Keep-alive clients hammering the server while it is told to stop: each
/// request sent is answered (with `Connection: close` as the server
/// drains), none is met by a closed socket.
#[test]
fn sigterm_cuts_off_no_request_on_a_keep_alive_connection() {
    let s = started_with(&[]);
    let target = addr(&s);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (target, stop) = (target.clone(), stop.clone());
            std::thread::spawn(move || -> (usize, Vec<String>) {
                let (mut answered, mut cut) = (0, Vec::new());
                let mut stream = TcpStream::connect(&target).ok();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let Some(c) = stream.as_mut() else {
                        // Refused once the listener is gone: done.
                        match TcpStream::connect(&target) {
                            Ok(c) => stream = Some(c),
                            Err(_) => break,
                        }
                        continue;
                    };
                    match exchange(c, HEALTH) {
                        Ok(head) => {
                            answered += 1;
                            if head.to_ascii_lowercase().contains("connection: close") {
                                stream = None;
                            }
                        }
                        Err(e) => {
                            cut.push(e.to_string());
                            stream = None;
                        }
                    }
                }
                (answered, cut)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    s.send_sigterm();
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = 0;
    for client in clients {
        let (n, cut) = client.join().unwrap();
        answered += n;
        assert!(cut.is_empty(), "requests cut off: {cut:?}");
    }
    assert!(
        answered > 100,
        "only {answered} answers: the test proves little"
    );
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
}

/// Requests past `max_in_flight` are answered 503 with Retry-After at once,
/// before the endpoint; the probes still answer; and once the requests in
/// flight end, others are served again.
#[test]
fn requests_past_the_in_flight_limit_get_503_at_once_and_probes_still_answer() {
    let s = started_with(&[("DIRECTORY_SERVER__MAX_IN_FLIGHT", "2")]);
    // Two logins whose bodies are still on their way are in flight (a
    // login reads its body first: it needs no token).
    let slow: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut c = TcpStream::connect(addr(&s)).unwrap();
            c.write_all(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{\"user",
            )
            .unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut third = TcpStream::connect(addr(&s)).unwrap();
    let started = Instant::now();
    let head = exchange(
        &mut third,
        "GET /api/v1/departments HTTP/1.1\r\nHost: test\r\n\r\n",
    )
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: 1"),
        "{head}"
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    // Readiness and liveness are not counted.
    for probe in ["/healthz", "/readyz"] {
        let head = exchange(
            &mut third,
            &format!("GET {probe} HTTP/1.1\r\nHost: test\r\n\r\n"),
        )
        .unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{probe}: {head}");
    }
    drop(slow);
    std::thread::sleep(Duration::from_millis(300));
    let head = exchange(
        &mut third,
        "GET /api/v1/departments HTTP/1.1\r\nHost: test\r\n\r\n",
    )
    .unwrap();
    // In again: the token check answers (there is none).
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
}

/// A body that does not arrive within the header timeout of its headers is
/// answered 408 and its place for requests in flight is free again.
#[test]
fn a_body_that_does_not_arrive_in_time_is_a_408() {
    let s = started_with(&[
        ("DIRECTORY_SERVER__HEADER_TIMEOUT_SECS", "1"),
        ("DIRECTORY_SERVER__MAX_IN_FLIGHT", "1"),
    ]);
    let mut slow = TcpStream::connect(addr(&s)).unwrap();
    let started = Instant::now();
    let head = exchange(
        &mut slow,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{\"user",
    )
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert!(head.contains("application/problem+json"), "{head}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_secs(4),
        "{took:?}"
    );
    // Its place is free: the next request is served.
    let mut next = TcpStream::connect(addr(&s)).unwrap();
    let head = exchange(
        &mut next,
        "GET /api/v1/departments HTTP/1.1\r\nHost: test\r\n\r\n",
    )
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
}
