//! The "two processes" section: a second release server on its own port
//! (split ports: the server binds without SO_REUSEPORT) against the same
//! database, and each read driven first through one process, then through
//! both at once with the connections split between them. On this 2-core
//! machine the load generator, both servers and the database share the
//! cores, so the combined figure shows that a second process adds no
//! contention of its own (and its errors, none expected); on hosts of
//! their own, each process adds its cores' worth.

use super::{Row, SCENARIOS, free_port, machine, run_wrk, start_server};
use std::path::Path;

/// The reads a hospital group's applications make most.
const SCALED: [&str; 2] = ["GET one staff member", "GET page of 100 staff after an id"];
/// Connections in all, whether to one process or split across two.
const CONNECTIONS: u32 = 64;

/// Where the bench's first server listens, and how it logs in.
pub struct First<'a> {
    pub port: u16,
    pub pid: u32,
    pub token: &'a str,
}

/// Runs the section and returns its markdown table.
pub fn run(
    binary: &Path,
    url: &str,
    first: &First<'_>,
    staff: usize,
    seconds: u32,
    dir: &Path,
) -> anyhow::Result<String> {
    let port = free_port()?;
    let second = start_server(binary, url, port)?;
    let second_pid = second.child.id();
    let quarter = staff / 4;
    let backend = url.split(':').next().unwrap_or("postgres");
    let mut table = format!(
        "## Two processes, {backend}, {staff} staff\n\n\
         {} on {}: the bench's release server and a second one on its own \
         port, both on the same database, {CONNECTIONS} wrk connections in all \
         (to the first alone, then half to each), {seconds} s a run.\n\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine()
    );
    table.push_str(
        "| read | one process req/s | two processes req/s (first + second) | errors | p99 ms (one / two) | server CPU ms per 1,000 (one / each of two) | database CPU ms per 1,000 (one / two) |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for name in SCALED {
        let Some(scenario) = SCENARIOS.iter().find(|s| s.name == name) else {
            continue;
        };
        let one = run_wrk(
            scenario,
            CONNECTIONS,
            0.0,
            first.port,
            first.token,
            staff,
            1..1 + quarter,
            seconds,
            dir,
            first.pid,
        )?;
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| {
                run_wrk(
                    scenario,
                    CONNECTIONS / 2,
                    0.0,
                    first.port,
                    first.token,
                    staff,
                    1 + quarter..1 + 2 * quarter,
                    seconds,
                    dir,
                    first.pid,
                )
            });
            let b = scope.spawn(|| {
                run_wrk(
                    scenario,
                    CONNECTIONS / 2,
                    0.0,
                    port,
                    first.token,
                    staff,
                    1 + 2 * quarter..1 + 3 * quarter,
                    seconds,
                    dir,
                    second_pid,
                )
            });
            (a.join(), b.join())
        });
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a?, b?),
            _ => anyhow::bail!("a wrk run panicked"),
        };
        let line = row_line(name, &one, &a, &b);
        println!("{line}");
        table.push_str(&line);
        table.push('\n');
    }
    Ok(table)
}

fn row_line(name: &str, one: &Row, a: &Row, b: &Row) -> String {
    let requests = (a.requests + b.requests).max(1) as f64;
    // Both runs sampled the database over the same seconds: either one's
    // figure is the database's whole time over that run's requests alone.
    let database = a.database_cpu_ms * a.requests as f64 / requests;
    format!(
        "| {name} | {:.0} | {:.0} ({:.0} + {:.0}) | {} | {:.1} / {:.1} | {:.0} / {:.0}, {:.0} | {:.0} / {:.0} |",
        one.rps,
        a.rps + b.rps,
        a.rps,
        b.rps,
        one.errors + a.errors + b.errors,
        one.p99_ms,
        a.p99_ms.max(b.p99_ms),
        one.server_cpu_ms,
        a.server_cpu_ms,
        b.server_cpu_ms,
        one.database_cpu_ms,
        database,
    )
}
