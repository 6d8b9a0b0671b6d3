//! CPU time spent by the server and by the database server while a row
//! runs, read from `/proc`: requests per second say what one machine
//! served, CPU per 1,000 requests says how many cores of each a target load
//! needs.

/// Clock ticks of the server process and of the database server's
/// processes (PostgreSQL's or MariaDB's, every one of them) at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    server: Option<u64>,
    database: u64,
}

/// The database server's process names: every PostgreSQL backend and
/// helper is `postgres`; MariaDB is one `mariadbd` (`mysqld` before 10.5).
const DATABASE_PROCESSES: [&str; 3] = ["postgres", "mariadbd", "mysqld"];

pub fn sample(server_pid: u32) -> Sample {
    let mut database = 0;
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if DATABASE_PROCESSES.contains(&comm.trim()) {
                database += ticks(pid).unwrap_or(0);
            }
        }
    }
    Sample {
        server: ticks(server_pid),
        database,
    }
}

/// User and system time of one process, in clock ticks (`/proc/PID/stat`,
/// fields 14 and 15; the name in brackets may hold spaces, so fields are
/// counted after its closing bracket).
fn ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Clock ticks a second (`getconf CLK_TCK`; 100 on Linux), asked once.
fn ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU milliseconds per 1,000 requests between two samples, for the server
/// and for the database server (NaN where there is none: SQLite runs in
/// the server's process, and its time is the server's).
pub fn per_thousand(before: Sample, after: Sample, requests: u64) -> (f64, f64) {
    if requests == 0 {
        return (f64::NAN, f64::NAN);
    }
    let ms = |ticks: u64| ticks as f64 * 1000.0 / ticks_per_second() * 1000.0 / requests as f64;
    let server = match (before.server, after.server) {
        (Some(a), Some(b)) => ms(b.saturating_sub(a)),
        _ => f64::NAN,
    };
    let database = if after.database == 0 {
        f64::NAN
    } else {
        ms(after.database.saturating_sub(before.database))
    };
    (server, database)
}
