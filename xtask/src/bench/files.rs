//! The bench's file section: a generated staff CSV imported (a dry run,
//! then for real) into a directory with reference data only, the staff
//! list exported, and the export imported again (all unchanged), each
//! timed, with the server's peak memory during the imports and, on a
//! fresh server, during the export.

use super::{Server, free_port, machine, prepare_database, start_server};
use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Instant;

/// One timed step.
struct Step {
    name: &'static str,
    rows: usize,
    seconds: f64,
    peak_mib: Option<f64>,
}

/// An HTTP/1.0 exchange: the answer comes unchunked and ends when the
/// connection closes, so a streamed export reads as plain bytes.
fn exchange(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: &[u8],
) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("an answer without headers")?;
    let status = std::str::from_utf8(&answer[..split])?
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, answer[split + 4..].to_vec()))
}

/// A staff file of `rows` rows in the template's columns, like a
/// hospital's: every tenth person supervises the nine after them, some
/// have an end date or an address with a comma and a line break.
fn staff_csv(rows: usize) -> String {
    const FIRST: [&str; 8] = [
        "Asha", "Vikram", "Meera", "Rahul", "Priya", "Arjun", "Kavya", "Rohan",
    ];
    const LAST: [&str; 8] = [
        "Rao", "Sen", "Iyer", "Gupta", "Nair", "Das", "Menon", "Shah",
    ];
    const PLACES: [(&str, &str); 8] = [
        ("Dr RP Centre for Ophthalmic Sciences", "RPC Unit 1"),
        ("RPC", "U-2"),
        ("rpc", "RPC Unit 3"),
        ("Dr RP Centre for Ophthalmic Sciences", "Ocular Anaesthesia"),
        ("Anaesthesiology", ""),
        ("Anaes", ""),
        ("RPC", "U-6"),
        ("Anaesthesiology", ""),
    ];
    const POSTS: [(&str, &str); 6] = [
        ("Assistant Professor", "Faculty"),
        ("Prof", "Faculty"),
        ("SR", "Residents"),
        ("Junior Resident", "Residents"),
        ("Nursing Officer", "Nursing"),
        ("OTT", "OT Technicians"),
    ];
    let mut csv = String::with_capacity(rows * 160);
    csv.push_str(directory_import::export::template().trim_end());
    csv.push_str("\r\n");
    for n in 0..rows {
        let (first, last) = (FIRST[n % 8], LAST[(n / 8) % 8]);
        let (department, unit) = PLACES[(n / 3) % PLACES.len()];
        let (designation, cadre) = POSTS[n % POSTS.len()];
        let supervisor = if n % 10 == 0 {
            String::new()
        } else {
            format!("BENCH{:07}", n - n % 10)
        };
        let end_date = if n % 50 == 7 { "2027-03-31" } else { "" };
        let address = if n % 7 == 3 {
            "\"Block A, Room 12\nSecond floor\""
        } else {
            ""
        };
        csv.push_str(&format!(
            "BENCH{n:07},{first} {last},{}.{}.{n}@import.example.org,+9197{:08},{department},{unit},{designation},{cadre},{supervisor},{end_date},{address},,,,\r\n",
            first.to_lowercase(),
            last.to_lowercase(),
            n % 100_000_000
        ));
    }
    csv
}

fn login(port: u16, password: &str) -> anyhow::Result<String> {
    let body = format!(r#"{{"username":"admin","password":"{password}"}}"#);
    let (status, answer) = exchange(
        port,
        "POST",
        "/api/v1/auth/login",
        "",
        "application/json",
        body.as_bytes(),
    )?;
    if status != 200 {
        bail!("login failed with {status}");
    }
    let login: serde_json::Value = serde_json::from_slice(&answer)?;
    Ok(login["access_token"]
        .as_str()
        .context("no token")?
        .to_owned())
}

/// Posts `file` to the import; the report's counts, or the failure.
fn import(port: u16, token: &str, file: &[u8], dry_run: bool) -> anyhow::Result<serde_json::Value> {
    let (status, answer) = exchange(
        port,
        "POST",
        &format!("/api/v1/staff/import?dry_run={dry_run}"),
        token,
        "text/csv",
        file,
    )?;
    if status != 200 {
        bail!(
            "the import answered {status}: {}",
            String::from_utf8_lossy(&answer[..answer.len().min(2000)])
        );
    }
    Ok(serde_json::from_slice(&answer)?)
}

fn count(report: &serde_json::Value, key: &str) -> usize {
    report[key].as_u64().unwrap_or(0) as usize
}

/// Runs the file section on `url` (its tables rebuilt) and renders its
/// table.
pub fn run(binary: &Path, url: &str, rows: usize, password: &str) -> anyhow::Result<String> {
    println!("Preparing the import bench: reference data only, {rows} rows of CSV...");
    prepare_database(url, 0, password)?;
    let file = staff_csv(rows);
    let mut steps = Vec::new();

    let port = free_port()?;
    let server: Server = start_server(binary, url, port)?;
    let token = login(port, password)?;
    let mut timed = |name: &'static str,
                     server: &Server,
                     work: &mut dyn FnMut() -> anyhow::Result<usize>|
     -> anyhow::Result<()> {
        let started = Instant::now();
        let rows = work()?;
        let step = Step {
            name,
            rows,
            seconds: started.elapsed().as_secs_f64(),
            peak_mib: server.peak_mib(),
        };
        println!(
            "{:<40} {:>8} rows in {:>6.2} s: {:>9.0} rows/s, server peak {:.1} MiB",
            step.name,
            step.rows,
            step.seconds,
            step.rows as f64 / step.seconds,
            step.peak_mib.unwrap_or(f64::NAN)
        );
        steps.push(step);
        Ok(())
    };
    timed("import, dry run (all new)", &server, &mut || {
        let report = import(port, &token, file.as_bytes(), true)?;
        if count(&report, "created") != rows {
            bail!("the dry run would create {report}, not {rows}");
        }
        Ok(rows)
    })?;
    timed("import (all new)", &server, &mut || {
        let report = import(port, &token, file.as_bytes(), false)?;
        if count(&report, "created") != rows {
            bail!("the import created {report}, not {rows}");
        }
        Ok(rows)
    })?;
    drop(server);
    drop(file);

    // The export on a fresh server, so its peak is the export's own.
    let port = free_port()?;
    let server = start_server(binary, url, port)?;
    let token = login(port, password)?;
    let mut exported = Vec::new();
    timed(
        "export (GET /api/v1/staff/export.csv)",
        &server,
        &mut || {
            let (status, body) = exchange(
                port,
                "GET",
                "/api/v1/staff/export.csv",
                &token,
                "text/csv",
                b"",
            )?;
            if status != 200 {
                bail!("the export answered {status}");
            }
            exported = body;
            // Rows end in CRLF; a line break inside an address is LF alone.
            let rows = exported.windows(2).filter(|w| w == b"\r\n").count();
            Ok(rows.saturating_sub(1))
        },
    )?;
    timed(
        "import of the export, dry run (all unchanged)",
        &server,
        &mut || {
            let report = import(port, &token, &exported, true)?;
            if count(&report, "unchanged") != rows || count(&report, "rows") != rows {
                bail!("the export did not import unchanged: {report}");
            }
            Ok(rows)
        },
    )?;
    drop(server);

    let backend = url.split(':').next().unwrap_or("sqlite");
    let mut out = format!(
        "## Staff import and export, {backend}, {rows} rows\n\n{} on {}: import into reference data only; the export and its re-import on a fresh server (peak memory is the process's VmHWM after the step).\n\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine()
    );
    out.push_str(
        "| step | rows | seconds | rows/s | server peak MiB |\n|---|---:|---:|---:|---:|\n",
    );
    for step in &steps {
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.0} | {:.1} |\n",
            step.name,
            step.rows,
            step.seconds,
            step.rows as f64 / step.seconds,
            step.peak_mib.unwrap_or(f64::NAN)
        ));
    }
    Ok(out)
}
