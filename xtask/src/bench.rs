//! `cargo xtask bench`: the release server on a fresh database with demo
//! staff, driven over loopback by wrk at 32 and 256 connections; prints a
//! table and writes docs/PERFORMANCE.md.

mod cpu;
mod files;
mod scale_out;

use anyhow::{Context, bail};
use directory_db::{DbConnection, migrations};
use directory_seed::{AdminPassword, SeedData};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct BenchOptions {
    pub staff: usize,
    pub database_url: Option<String>,
    pub seconds: u32,
    pub write_doc: bool,
    /// Only the scenarios whose name contains this (case-insensitive), and
    /// /healthz; `import` names the file section.
    pub only: Option<String>,
    /// Rows of the file section's staff CSV.
    pub import_rows: usize,
    /// Write the file section's figures even when `only` leaves out the
    /// rest (that section is whole on its own).
    pub write_files: bool,
}

/// One endpoint's figures at one connection count.
struct Row {
    name: &'static str,
    connections: u32,
    /// Mean pause between a client's answer and its next request, in ms
    /// (0: as fast as the server answers).
    think_ms: f64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    /// Of `errors`, answers other than 2xx or 3xx (the rest are socket
    /// errors).
    non_2xx: u64,
    requests: u64,
    /// /healthz req/s at the same connection count around this row (see
    /// `set_ceilings`); the row's share is measured against it.
    ceiling: f64,
    /// CPU ms per 1,000 requests of the server process, and of the
    /// database server's processes (NaN for SQLite, which is in-process).
    server_cpu_ms: f64,
    database_cpu_ms: f64,
}

struct Scenario {
    name: &'static str,
    /// wrk Lua script (request set-up); `{TOKEN}`, `{STAFF}`, `{FIRST}`,
    /// `{COUNT}` and `{THREADS}` are filled in.
    script: &'static str,
    path: &'static str,
}

const COMMON: &str = r#"
token = "{TOKEN}"
staff = {STAFF}
-- The demo staff ids this run may change: each of an endpoint's four runs
-- has its own quarter, so a run knows their versions.
first = {FIRST}
count = {COUNT}
threads = {THREADS}
math.randomseed(os.time())
"#;

/// Clients that pause between requests, for an exponentially distributed
/// time (as independent people and programs do; wrk waits `delay()` ms
/// after each answer, and times each request from when it is sent).
const THINK: &str = r#"
local think = {THINK}
delay = function()
  return -think * math.log(1 - math.random())
end
"#;

/// The paced runs offer this share of the capacity measured at 32
/// connections when all 256 clients are busy.
const PACED_LOAD: f64 = 0.75;

/// Far more clients than the server answers at once, each asking as fast as
/// it is answered: what the server sheds (503 with Retry-After) and what
/// the requests it accepts cost them.
const OVERLOAD_CONNECTIONS: u32 = 2000;

/// Probe clients beside the overload's (their accepted pages are timed).
const PROBES: usize = 4;

const OVERLOAD: Scenario = Scenario {
    name: "GET page of 200 staff",
    script: r#"
request = function()
  local offset = math.random(0, math.max(0, staff - 200))
  return wrk.format("GET", "/api/v1/staff?limit=200&offset=" .. offset, {["Authorization"] = "Bearer " .. token})
end
"#,
    path: "/",
};

/// Clients of their own beside the overload's, each on one keep-alive
/// connection asking again as soon as it is answered (as wrk's do), each
/// request timed from its first byte written to its last read: the
/// latency of accepted requests, apart from the fast 503s that wrk's
/// figures mix in.
struct Probe {
    /// (status, milliseconds) of each request.
    answers: Vec<(u16, f64)>,
}

impl Probe {
    fn run(port: u16, token: &str, staff: usize, stop: &std::sync::atomic::AtomicBool) -> Self {
        let mut answers = Vec::new();
        let mut connection: Option<TcpStream> = None;
        let mut n = 0usize;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            n += 1;
            let offset = (n * 7919) % staff.saturating_sub(200).max(1);
            let path = format!("/api/v1/staff?limit=200&offset={offset}");
            if connection.is_none() {
                connection = TcpStream::connect(("127.0.0.1", port)).ok();
            }
            let Some(stream) = connection.as_mut() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            let started = Instant::now();
            match get_on(stream, &path, token) {
                Ok(status) => answers.push((status, started.elapsed().as_secs_f64() * 1000.0)),
                Err(_) => connection = None,
            }
        }
        Self { answers }
    }

    /// Several probe clients at once, their answers together.
    fn run_several(
        clients: usize,
        port: u16,
        token: &str,
        staff: usize,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Self {
        std::thread::scope(|scope| {
            let running: Vec<_> = (0..clients)
                .map(|_| scope.spawn(|| Self::run(port, token, staff, stop)))
                .collect();
            let mut answers = Vec::new();
            for probe in running {
                if let Ok(probe) = probe.join() {
                    answers.extend(probe.answers);
                }
            }
            Self { answers }
        })
    }

    /// p50 and p99 of the accepted (200) answers, in ms.
    fn accepted_percentiles(&self) -> (f64, f64) {
        let mut times: Vec<f64> = self
            .answers
            .iter()
            .filter(|(status, _)| *status == 200)
            .map(|(_, ms)| *ms)
            .collect();
        times.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if times.is_empty() {
                return f64::NAN;
            }
            let i = ((times.len() - 1) as f64 * q).round() as usize;
            times[i]
        };
        (at(0.50), at(0.99))
    }

    fn shed_share(&self) -> f64 {
        let shed = self.answers.iter().filter(|(s, _)| *s == 503).count();
        shed as f64 / self.answers.len().max(1) as f64
    }
}

/// One GET with a bearer token on a keep-alive connection; its status,
/// once the whole answer is read.
fn get_on(stream: &mut TcpStream, path: &str, token: &str) -> anyhow::Result<u16> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut answer: Vec<u8> = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            bail!("closed");
        }
        answer.extend_from_slice(&buf[..n]);
        let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if answer.len() >= end + 4 + length {
            return Ok(head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0));
        }
    }
}

/// The overload row's figures.
struct Overload {
    row: Row,
    probe_p50_ms: f64,
    probe_p99_ms: f64,
    probe_shed: f64,
    probe_requests: usize,
    /// Peak server memory before this row (every other row) and after it.
    peak_before: Option<f64>,
    peak_after: Option<f64>,
}

const SCENARIOS: [Scenario; 13] = [
    Scenario {
        name: "GET /healthz",
        script: "",
        path: "/healthz",
    },
    Scenario {
        name: "GET one staff member",
        script: r#"
request = function()
  return wrk.format("GET", "/api/v1/staff/" .. math.random(1, staff), {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "GET page of 100 staff",
        script: r#"
request = function()
  -- The API serves offsets up to 100,000 (deeper pages page with after).
  local offset = math.random(0, math.max(0, math.min(staff - 100, 100000)))
  return wrk.format("GET", "/api/v1/staff?limit=100&offset=" .. offset, {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "GET page of 100 staff after an id",
        script: r#"
-- Keyset paging, as a client walking the list asks for its next page.
request = function()
  local after = math.random(0, math.max(0, staff - 100))
  return wrk.format("GET", "/api/v1/staff?limit=100&after=" .. after, {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "GET page of 100 changes",
        script: r#"
-- A system that keeps a copy, catching up on the change feed (the demo
-- staff's creations are in it).
request = function()
  local after = math.random(0, math.max(0, staff - 100))
  return wrk.format("GET", "/api/v1/changes?limit=100&after=" .. after, {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "GET page of 100 audit events",
        script: r#"
request = function()
  local after = math.random(0, math.max(0, staff - 100))
  return wrk.format("GET", "/api/v1/audit-events?limit=100&after=" .. after, {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "GET staff?q= search",
        script: r#"
-- Three letters or more, as a person types into a directory search: the
-- trigram index answers those. One or two letters have no trigram and
-- scan every row (docs/PERFORMANCE.md).
local words = {"son", "ann", "mar", "lee", "ber", "chr", "ian", "ott", "wil", "ste"}
request = function()
  local q = words[math.random(1, #words)]
  return wrk.format("GET", "/api/v1/staff?limit=20&q=" .. q, {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "GET department ?expand=units,heads",
        script: r#"
request = function()
  return wrk.format("GET", "/api/v1/departments/1?expand=units,heads", {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "FHIR Practitioner?name= search",
        script: r#"
-- The same words as the staff search, as the start of a word of a name.
local words = {"son", "ann", "mar", "lee", "ber", "chr", "ian", "ott", "wil", "ste"}
request = function()
  local q = words[math.random(1, #words)]
  return wrk.format("GET", "/fhir/Practitioner?_count=20&name=" .. q, {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "FHIR searchset of 100 Practitioners",
        script: r#"
-- A next link's page: 100 Practitioners after a cursor.
request = function()
  local after = math.random(1, math.max(1, staff - 100))
  return wrk.format("GET", "/fhir/Practitioner?_count=100&_cursor=" .. after, {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "FHIR PractitionerRole?practitioner=&_include",
        script: r#"
request = function()
  local id = math.random(1, staff)
  return wrk.format("GET", "/fhir/PractitionerRole?practitioner=Practitioner/" .. id .. "&_include=PractitionerRole:practitioner", {["Authorization"] = "Bearer " .. token})
end
"#,
        path: "/",
    },
    Scenario {
        name: "POST staff",
        script: r#"
local counter = 0
local tid = 0
local next_tid = 0
setup = function(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
end
init = function()
  tid = wrk.thread:get("tid") or math.random(1, 1000000)
  run = math.random(1, 1000000000)
end
request = function()
  counter = counter + 1
  local n = run .. "-" .. tid .. "-" .. counter
  local body = '{"full_name":"Bench Person ' .. n .. '","employee_id":"B' .. n .. '","email":"bench' .. n .. '@bench.example.org","mobile":"+919810000000","department_id":2,"designation_id":5}'
  return wrk.format("POST", "/api/v1/staff", {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
"#,
        path: "/",
    },
    Scenario {
        name: "PATCH staff with If-Match",
        script: r#"
-- Each wrk thread changes its share of the run's block (every `threads`-th), in
-- turn, each at the version it wrote last (demo staff start at 1). The
-- block is far larger than a thread's connections, so no member has two
-- changes in flight and every If-Match holds: a 412 shows as an error.
-- A request wrk makes but never sends (a socket error) leaves the count
-- one ahead; the 412 names the version, so only that request fails.
local next_tid = 0
setup = function(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
init = function()
  tid = wrk.thread:get("tid")
  turn = 0
  version = {}
  -- wrk calls the first thread's request() once before the run to check
  -- the script, and never sends that request: it must not count.
  unsent = tid == 0
end
request = function()
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  if unsent then
    unsent = false
    return wrk.format("PATCH", "/api/v1/staff/" .. first, headers, "{}")
  end
  local id = first + tid + threads * (turn % math.floor(count / threads))
  turn = turn + 1
  local v = version[id] or 1
  version[id] = v + 1
  headers["If-Match"] = '"' .. v .. '"'
  return wrk.format("PATCH", "/api/v1/staff/" .. id, headers, '{"office_address":"Room ' .. turn .. '"}')
end
response = function(status, headers, body)
  if status == 412 then
    local id, v = body:match("staff member (%d+) has changed: it is at version (%d+)")
    if id then version[tonumber(id)] = tonumber(v) end
  end
end
"#,
        path: "/",
    },
];

impl BenchOptions {
    fn wanted(&self, scenario: &str) -> bool {
        match &self.only {
            Some(only) => {
                let name = scenario.to_lowercase();
                scenario == "GET /healthz"
                    || only
                        .split(',')
                        .any(|part| name.contains(part.trim().to_lowercase().as_str()))
            }
            None => true,
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A minimal HTTP/1.1 exchange (the bench needs one login, nothing more).
fn http(port: u16, method: &str, path: &str, body: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn prepare_database(url: &str, staff: usize, password: &str) -> anyhow::Result<()> {
    let mut conn = DbConnection::open(url)?;
    migrations::revert_all(&mut conn)?;
    directory_db::migrate(&mut conn)?;
    directory_seed::seed(
        &mut conn,
        &SeedData::reference()?,
        &AdminPassword::Given(password.to_owned()),
    )?;
    let started = Instant::now();
    directory_seed::demo_staff(&mut conn, staff, true)?;
    println!(
        "Seeded {staff} demo staff in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Peak resident memory so far, in MiB (VmHWM).
    fn peak_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kib: f64 = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }
}

fn start_server(binary: &Path, url: &str, port: u16) -> anyhow::Result<Server> {
    let child = Command::new(binary)
        .env("DIRECTORY_PROFILE", "production")
        .env("DIRECTORY_DATABASE__URL", url)
        .env("DIRECTORY_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("DIRECTORY_LOG__LEVEL", "warn")
        .env("DIRECTORY_AUTH__SWEEP_INTERVAL_SECS", "0")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start the release server")?;
    let server = Server { child };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(port, "GET", "/readyz", "") {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the server did not become ready")
}

fn parse_duration_ms(text: &str) -> Option<f64> {
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic())?);
    let value: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        "m" => value * 60_000.0,
        _ => return None,
    })
}

#[allow(clippy::too_many_arguments)]
fn run_wrk(
    scenario: &Scenario,
    connections: u32,
    think_ms: f64,
    port: u16,
    token: &str,
    staff: usize,
    block: std::ops::Range<usize>,
    seconds: u32,
    dir: &Path,
    server_pid: u32,
) -> anyhow::Result<Row> {
    // One script per port: two runs may go at once (scale_out).
    let script_path = dir.join(format!("scenario-{port}.lua"));
    let think = if think_ms > 0.0 { THINK } else { "" };
    let script = format!("{COMMON}{think}{}", scenario.script)
        .replace("{THINK}", &format!("{think_ms:.3}"))
        .replace("{TOKEN}", token)
        .replace("{STAFF}", &staff.to_string())
        .replace("{FIRST}", &block.start.to_string())
        .replace("{COUNT}", &block.len().to_string())
        .replace("{THREADS}", &WRK_THREADS.to_string());
    std::fs::write(&script_path, script)?;
    let cpu_before = cpu::sample(server_pid);
    let output = Command::new("wrk")
        .args([
            "-t",
            &WRK_THREADS.to_string(),
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--timeout",
            "10s",
            "--latency",
            "-s",
        ])
        .arg(&script_path)
        .arg(format!("http://127.0.0.1:{port}{}", scenario.path))
        .output()
        .context("cannot run wrk (install it: apt-get install wrk)")?;
    let cpu_after = cpu::sample(server_pid);
    let text = String::from_utf8_lossy(&output.stdout);
    let find = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    };
    let rps = find("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let p50 = find("50%")
        .and_then(|v| parse_duration_ms(&v))
        .unwrap_or(f64::NAN);
    let p99 = find("99%")
        .and_then(|v| parse_duration_ms(&v))
        .unwrap_or(f64::NAN);
    let non_2xx: u64 = find("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let socket: u64 = find("Socket errors:")
        .map(|v| {
            v.split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    if non_2xx + socket > 0 {
        // Which kind, for whoever reads the run (the table has the sum).
        for line in text.lines().map(str::trim) {
            if line.starts_with("Non-2xx") || line.starts_with("Socket errors") {
                println!("    {}: wrk says {line}", scenario.name);
            }
        }
    }
    let requests: u64 = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let (server_cpu_ms, database_cpu_ms) = cpu::per_thousand(cpu_before, cpu_after, requests);
    Ok(Row {
        name: scenario.name,
        connections,
        think_ms,
        rps,
        p50_ms: p50,
        p99_ms: p99,
        errors: non_2xx + socket,
        non_2xx,
        requests,
        ceiling: f64::NAN,
        server_cpu_ms,
        database_cpu_ms,
    })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kib| format!("{:.0} GiB", kib / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {memory} RAM")
}

/// The name `--only` picks the scale-out section by (PostgreSQL and
/// MariaDB: one SQLite file has one server).
const TWO_PROCESSES: &str = "two processes";

/// wrk threads for every row: one per core of this machine's two, as the
/// load generator shares them with the server.
const WRK_THREADS: u32 = 2;

/// The fewest demo staff the PATCH runs work with: each wrk thread must have
/// more staff in its share of the run's quarter than the connections it may
/// have in flight at once (256 / WRK_THREADS).
const MIN_STAFF: usize = 2048;

pub fn run(options: BenchOptions) -> anyhow::Result<()> {
    if options.staff < MIN_STAFF {
        bail!("the bench needs at least {MIN_STAFF} demo staff (--staff)");
    }
    ensure_wrk()?;
    // wrk and the server (children) inherit it: the overload row opens
    // thousands of connections.
    directory_server::raise_open_file_limit();
    // The backends this xtask was built with, so one release binary
    // serves every backend's run (`cargo xtask-all bench` on SQLite, then
    // PostgreSQL, then MariaDB builds it once, not once per backend).
    let features: Vec<&str> = [
        (cfg!(feature = "postgres"), "postgres"),
        (cfg!(feature = "mysql"), "mysql"),
    ]
    .into_iter()
    .filter_map(|(on, feature)| on.then_some(feature))
    .collect();
    println!("Building the release server...");
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--release", "--quiet", "-p", "directory-server"]);
    if !features.is_empty() {
        build.args(["--features", &features.join(",")]);
    }
    if !build.status()?.success() {
        bail!("the release build failed");
    }
    let binary = PathBuf::from("target/release/directory-server");
    let dir = tempfile_dir()?;
    let url = options
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
    let password = format!("bench-{}-passphrase", std::process::id());
    println!(
        "Preparing {} with {} demo staff...",
        directory_db::connection::redact_url(&url),
        options.staff
    );
    prepare_database(&url, options.staff, &password)?;

    let port = free_port()?;
    let server = start_server(&binary, &url, port)?;
    let server_pid = server.child.id();
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/auth/login",
        &format!(r#"{{"username":"admin","password":"{password}"}}"#),
    )?;
    if status != 200 {
        bail!("login failed with {status}: {body}");
    }
    let login: serde_json::Value = serde_json::from_str(&body)?;
    let token = login["access_token"]
        .as_str()
        .context("no token")?
        .to_owned();

    // Each endpoint at both connection counts before the next endpoint, so
    // both rows of a read see the same data (the writes come last: run
    // after POST, a page or a search read 2-3x the rows it had at 32).
    let mut rows = Vec::new();
    let mut paced = Vec::new();
    // /healthz runs again before each endpoint and once at the end, at both
    // connection counts: a row's share is its req/s over the mean of the
    // /healthz runs just before and just after it. A shared VM's speed
    // drifts by a third within minutes (seen: /healthz 97k, then 70k, then
    // 96k req/s); against the first /healthz alone, a row measured in a
    // slow minute showed a third less of a share than it has.
    let mut ceilings: Vec<Row> = Vec::new();
    let healthz = &SCENARIOS[0];
    let wanted: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| options.wanted(s.name))
        .collect();
    for (n, scenario) in wanted.iter().copied().enumerate() {
        // `run`: which of the endpoint's four runs (its quarter of the staff).
        let measure = |scenario: &Scenario,
                       connections: u32,
                       think_ms: f64,
                       run: usize|
         -> anyhow::Result<Row> {
            let quarter = options.staff / 4;
            let first = 1 + run * quarter;
            let row = run_wrk(
                scenario,
                connections,
                think_ms,
                port,
                &token,
                options.staff,
                first..first + quarter,
                options.seconds,
                &dir,
                server_pid,
            )?;
            println!(
                "{:>3} conns  think {:>6.2} ms  {:<36} {:>9.0} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms  errors {}",
                row.connections,
                row.think_ms,
                row.name,
                row.rps,
                row.p50_ms,
                row.p99_ms,
                row.errors
            );
            Ok(row)
        };
        if n > 0 {
            ceilings.push(measure(healthz, 32, 0.0, 0)?);
        }
        let capacity = measure(scenario, 32, 0.0, 0)?;
        if n > 0 {
            ceilings.push(measure(healthz, 256, 0.0, 0)?);
        }
        rows.push(measure(scenario, 256, 0.0, 1)?);
        // The same clients, pausing: 256 of them offer PACED_LOAD of the
        // capacity, 32 of them an eighth of that.
        let think_ms = 256.0 * 1000.0 / (PACED_LOAD * capacity.rps.max(1.0));
        rows.push(capacity);
        paced.push(measure(scenario, 32, think_ms, 2)?);
        paced.push(measure(scenario, 256, think_ms, 3)?);
        if n > 0 && n + 1 == wanted.len() {
            ceilings.push(measure(healthz, 32, 0.0, 0)?);
            ceilings.push(measure(healthz, 256, 0.0, 0)?);
        }
    }
    set_ceilings(&mut rows, &ceilings);
    rows.sort_by_key(|r| r.connections);
    let peak = server.peak_mib();
    let overload = if options.wanted(OVERLOAD.name) {
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (row, probe) = std::thread::scope(|scope| {
            let probe =
                scope.spawn(|| Probe::run_several(PROBES, port, &token, options.staff, &stop));
            let quarter = options.staff / 4;
            let row = run_wrk(
                &OVERLOAD,
                OVERLOAD_CONNECTIONS,
                0.0,
                port,
                &token,
                options.staff,
                1..1 + quarter,
                options.seconds,
                &dir,
                server_pid,
            );
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            (row, probe.join())
        });
        let row = row?;
        let probe = probe.map_err(|_| anyhow::anyhow!("the probe client panicked"))?;
        let (probe_p50_ms, probe_p99_ms) = probe.accepted_percentiles();
        let overload = Overload {
            probe_p50_ms,
            probe_p99_ms,
            probe_shed: probe.shed_share(),
            probe_requests: probe.answers.len(),
            peak_before: peak,
            peak_after: server.peak_mib(),
            row,
        };
        println!(
            "{:>4} conns  {:<36} {:>9.0} req/s  {:.1}% shed  p50 {:.2} ms  p99 {:.2} ms  accepted p50 {:.2} ms  p99 {:.2} ms",
            OVERLOAD_CONNECTIONS,
            overload.row.name,
            overload.row.rps,
            100.0 * overload.shed_share(),
            overload.row.p50_ms,
            overload.row.p99_ms,
            overload.probe_p50_ms,
            overload.probe_p99_ms
        );
        Some(overload)
    } else {
        None
    };
    let two_processes = if options.wanted(TWO_PROCESSES) && !url.starts_with("sqlite") {
        let first = scale_out::First {
            port,
            pid: server_pid,
            token: &token,
        };
        let table = scale_out::run(&binary, &url, &first, options.staff, options.seconds, &dir)?;
        Some(table)
    } else {
        None
    };
    drop(server);
    let files = if options.wanted("staff import") {
        Some(files::run(&binary, &url, options.import_rows, &password)?)
    } else {
        None
    };
    let _ = std::fs::remove_dir_all(&dir);

    let table = render(&rows, &paced, overload.as_ref(), peak, &options, &url);
    println!("\n{table}");
    if let Some(files) = &files {
        println!("\n{files}");
    }
    if let Some(scaled) = &two_processes {
        println!("\n{scaled}");
    }
    let whole_sections = files.is_some() || two_processes.is_some();
    if options.write_doc || (options.write_files && whole_sections) {
        let path = Path::new("docs/PERFORMANCE.md");
        let mut doc = std::fs::read_to_string(path).unwrap_or_else(|_| "# Performance\n".into());
        if options.write_doc {
            doc = replace_section(&doc, &section_name(&options, &url), &table);
        }
        if let Some(files) = &files {
            let backend = url.split(':').next().unwrap_or("sqlite");
            let name = format!("import-{backend}-{}", options.import_rows);
            doc = replace_section(&doc, &name, files);
        }
        if let Some(scaled) = &two_processes {
            let backend = url.split(':').next().unwrap_or("sqlite");
            let name = format!("two-processes-{backend}-{}", options.staff);
            doc = replace_section(&doc, &name, scaled);
        }
        std::fs::write(path, doc)?;
        println!("wrote docs/PERFORMANCE.md");
    }
    Ok(())
}

/// Gives each row its /healthz ceiling: for /healthz itself its own req/s;
/// for the k-th other endpoint at a connection count, the mean of the k-th
/// and (k+1)-th /healthz runs alongside at that count (before and after).
fn set_ceilings(rows: &mut [Row], alongside: &[Row]) {
    for connections in [32, 256] {
        let around: Vec<f64> = alongside
            .iter()
            .filter(|r| r.connections == connections)
            .map(|r| r.rps)
            .collect();
        let mut k = 0;
        for row in rows.iter_mut().filter(|r| r.connections == connections) {
            if row.name == "GET /healthz" {
                row.ceiling = row.rps;
                continue;
            }
            row.ceiling = match (around.get(k), around.get(k + 1)) {
                (Some(before), Some(after)) => (before + after) / 2.0,
                _ => f64::NAN,
            };
            k += 1;
        }
    }
}

/// Each backend and size has its own section of docs/PERFORMANCE.md, so a
/// run replaces its own figures and leaves the others and the prose alone.
fn section_name(options: &BenchOptions, url: &str) -> String {
    let backend = url.split(':').next().unwrap_or("sqlite");
    format!("{backend}-{}", options.staff)
}

fn replace_section(document: &str, name: &str, table: &str) -> String {
    let start = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let block = format!("{start}\n{table}{end}");
    match (document.find(&start), document.find(&end)) {
        (Some(from), Some(to)) if to > from => format!(
            "{}{block}{}",
            &document[..from],
            &document[to + end.len()..]
        ),
        _ => format!("{}\n{block}\n", document.trim_end()),
    }
}

/// wrk is the load generator; on a Debian machine without it, install it
/// (as CI does for its own tools) rather than stop.
fn ensure_wrk() -> anyhow::Result<()> {
    let present = || Command::new("wrk").arg("--version").output().is_ok();
    if present() {
        return Ok(());
    }
    println!("wrk is missing; installing it with apt-get...");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "wrk"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let updated = || {
        Command::new("apt-get")
            .args(["update", "-q"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if (install() || (updated() && install())) && present() {
        return Ok(());
    }
    bail!("the benchmark drives load with wrk: install it first (apt-get install wrk)")
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("directory-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl Overload {
    /// The share of wrk's requests answered 503 (or any non-2xx).
    fn shed_share(&self) -> f64 {
        self.row.non_2xx as f64 / (self.row.requests.max(1)) as f64
    }
}

fn render(
    rows: &[Row],
    paced: &[Row],
    overload: Option<&Overload>,
    peak: Option<f64>,
    options: &BenchOptions,
    url: &str,
) -> String {
    let backend = url.split(':').next().unwrap_or("sqlite");
    let mut out = String::new();
    out.push_str(&format!("## {backend}, {} staff\n\n", options.staff));
    out.push_str(&format!(
        "Measured by `cargo xtask bench` on {}: the release server on {backend} with the reference data and {} demo staff, \
         driven over loopback by wrk for {} s per row (load generator and server share the machine). \
         Reads and writes are authenticated with a bearer token, as in production.\n\n",
        machine(),
        options.staff,
        options.seconds
    ));
    out.push_str(
        "The share of /healthz is against /healthz measured just before and just after each endpoint at the same \
         connections (the mean of the two, in the column beside it), since a shared machine's speed drifts during a run.\n\n",
    );
    out.push_str(
        "CPU is the time /proc counts for the server process, and for every process of the database server \
         (SQLite runs inside the server's), over the row's run, per 1,000 requests answered.\n\n",
    );
    out.push_str("| connections | endpoint | requests/s | /healthz alongside | share of /healthz | p50 ms | p99 ms | errors | requests | server CPU ms / 1,000 | database CPU ms / 1,000 |\n");
    out.push_str("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let cpu = |ms: f64| {
        if ms.is_nan() {
            "-".to_owned()
        } else {
            format!("{ms:.0}")
        }
    };
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.1}% | {:.2} | {:.2} | {} | {} | {} | {} |\n",
            row.connections,
            row.name,
            row.rps,
            row.ceiling,
            100.0 * row.rps / row.ceiling,
            row.p50_ms,
            row.p99_ms,
            row.errors,
            row.requests,
            cpu(row.server_cpu_ms),
            cpu(row.database_cpu_ms)
        ));
    }
    out.push('\n');
    out.push_str(&format!(
        "Clients that pause between requests (an exponentially distributed pause, the same mean for both rows of an endpoint, \
         chosen so that 256 clients offer {:.0}% of the requests/s above at 32 connections and 32 clients an eighth of that):\n\n",
        PACED_LOAD * 100.0
    ));
    out.push_str("| endpoint | pause ms | 32 clients req/s | p50 ms | p99 ms | 256 clients req/s | p50 ms | p99 ms | p99 256 / 32 | errors |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for pair in paced.chunks(2) {
        let [few, many] = pair else { continue };
        out.push_str(&format!(
            "| {} | {:.1} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.1}x | {} |\n",
            few.name,
            few.think_ms,
            few.rps,
            few.p50_ms,
            few.p99_ms,
            many.rps,
            many.p50_ms,
            many.p99_ms,
            many.p99_ms / few.p99_ms,
            few.errors + many.errors
        ));
    }
    out.push('\n');
    if let Some(peak) = peak {
        out.push_str(&format!(
            "Peak server memory (VmHWM) over the rows above: {peak:.1} MiB.\n"
        ));
    }
    if let Some(o) = overload {
        out.push_str(&format!(
            "\nOverload: {} clients asking for pages of 200 staff as fast as they are answered. \
             What cannot start its database work within the queue timeout is answered 503 with Retry-After \
             (wrk counts those among its non-2xx answers, and its latencies mix them with the pages). \
             Beside them, {} more clients ask the same way, each on a keep-alive connection, and are timed one request at a time: \
             their accepted pages' latency is what a client that gets an answer waits.\n\n",
            OVERLOAD_CONNECTIONS, PROBES
        ));
        out.push_str("| connections | endpoint | requests/s | of them 2xx/s | answered 503 | p50 ms | p99 ms | socket errors | accepted p50 ms | accepted p99 ms | probe answered 503 | peak memory MiB |\n");
        out.push_str("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        let socket = o.row.errors - o.row.non_2xx;
        let ok_rps = o.row.rps * (1.0 - o.shed_share());
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.1}% | {:.2} | {:.2} | {} | {:.2} | {:.2} | {:.1}% of {} | {:.1} |\n",
            o.row.connections,
            o.row.name,
            o.row.rps,
            ok_rps,
            100.0 * o.shed_share(),
            o.row.p50_ms,
            o.row.p99_ms,
            socket,
            o.probe_p50_ms,
            o.probe_p99_ms,
            100.0 * o.probe_shed,
            o.probe_requests,
            o.peak_after.or(o.peak_before).unwrap_or(f64::NAN),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Row, set_ceilings};

    fn row(name: &'static str, connections: u32, rps: f64) -> Row {
        Row {
            name,
            connections,
            think_ms: 0.0,
            rps,
            p50_ms: 0.0,
            p99_ms: 0.0,
            errors: 0,
            non_2xx: 0,
            requests: 0,
            ceiling: f64::NAN,
            server_cpu_ms: f64::NAN,
            database_cpu_ms: f64::NAN,
        }
    }

    /// Each endpoint is compared with the /healthz runs on either side of
    /// it at its own connection count, not with the first one.
    #[test]
    fn each_row_gets_the_mean_of_the_healthz_runs_around_it() {
        let mut rows = vec![
            row("GET /healthz", 32, 100.0),
            row("a", 256, 10.0),
            row("a", 32, 10.0),
            row("b", 32, 10.0),
        ];
        let alongside = [
            row("GET /healthz", 32, 100.0),
            row("GET /healthz", 256, 50.0),
            row("GET /healthz", 32, 80.0),
            row("GET /healthz", 32, 60.0),
            row("GET /healthz", 256, 70.0),
        ];
        set_ceilings(&mut rows, &alongside);
        let ceilings: Vec<f64> = rows.iter().map(|r| r.ceiling).collect();
        assert_eq!(ceilings, [100.0, 60.0, 90.0, 70.0]);
    }
}
