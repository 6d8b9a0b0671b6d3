//! `cargo xtask`: the developer's and operator's tasks, on the same
//! configuration and profile as the server (config/, .env, DIRECTORY_*).

mod bench;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use directory_db::{DbConnection, connection::redact_url, migrations};
use directory_server::config::{Config, Profile};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Hospital Directory developer tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Database schema tasks.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Load the reference data (idempotent), and optionally demo staff.
    Seed {
        /// A seed file instead of the built-in reference data.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Also add fake staff members (for load tests) until there are N:
        /// one transaction, so an interrupted load leaves none and the same
        /// command again completes it.
        #[arg(long, value_name = "N")]
        demo_staff: Option<usize>,
    },
    /// Import a file, as `POST /api/v1/staff/import` does: all or nothing,
    /// every bad cell reported.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Account housekeeping.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Audit trail housekeeping.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write docs/openapi.json from the API's definition.
    Openapi,
    /// Write docs/ERD.md (a mermaid diagram) from the migrated schema.
    Erd,
    /// Load-test the release server with wrk and write docs/PERFORMANCE.md.
    Bench {
        /// Demo staff members to load (at least 2,048).
        #[arg(long, default_value_t = 10_000)]
        staff: usize,
        /// A PostgreSQL or MySQL database to use instead of a temporary
        /// SQLite file. Its tables are dropped and rebuilt.
        #[arg(long)]
        database_url: Option<String>,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 8)]
        seconds: u32,
        /// Print only; do not write docs/PERFORMANCE.md.
        #[arg(long)]
        no_write: bool,
        /// Measure only the endpoints whose name contains this text, or
        /// one of these comma-separated texts (and /healthz, for the
        /// share); the endpoint table is then not written, but the staff
        /// import and export section is (`--only "staff import"`).
        #[arg(long)]
        only: Option<String>,
        /// Rows of the staff file the import and export section loads
        /// (`--only "staff import"` runs that section alone).
        #[arg(long, default_value_t = 100_000)]
        import_rows: usize,
    },
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Deactivate the accounts of staff whose end date has passed and clear
    /// expired sessions (the server also does this hourly); for cron.
    Sweep,
    /// The way back in when nobody can log in to manage accounts: set a new
    /// password (generated and shown once, unless --password-stdin), make
    /// the account active again, and end its sessions.
    ResetPassword {
        /// The account's username (the seeded administrator is `admin`).
        username: String,
        /// Also give the account this role (e.g. Administrator).
        #[arg(long)]
        role: Option<String>,
        /// Read the new password from the first line of standard input. It
        /// is never taken as an argument, which other users of the machine
        /// could see.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Staff members from a CSV or Excel file with the columns of
    /// `GET /api/v1/staff/import-template.csv`. Prints the report as JSON
    /// (the API's); exits 0 only when the file was (or on a dry run would
    /// be) written cleanly.
    Staff {
        /// A .csv (UTF-8) or .xlsx file.
        file: PathBuf,
        /// Check the file and report, writing nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Delete the audit events older than `audit.retention_days` (nothing
    /// when it is unset: the trail is kept forever); for cron.
    Prune,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Apply every pending migration.
    Migrate,
    /// Revert the newest applied migration.
    Rollback,
    /// List the migrations and whether each is applied.
    Status,
    /// Revert every migration and apply them again: all data is lost.
    Reset {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Allow a reset on the production profile.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // config/, data/ and docs/ are relative to the workspace root, wherever
    // cargo was called from.
    std::env::set_current_dir(workspace_root()).context("cannot enter the workspace root")?;
    match cli.command {
        Command::Openapi => write_file("docs/openapi.json", &directory_api::spec_json()),
        Command::Bench {
            staff,
            database_url,
            seconds,
            no_write,
            only,
            import_rows,
        } => bench::run(bench::BenchOptions {
            staff,
            database_url,
            seconds,
            // A partial table must not replace the whole one in the docs.
            write_doc: !no_write && only.is_none(),
            only,
            import_rows,
            write_files: !no_write,
        }),
        Command::Erd => write_file("docs/ERD.md", &directory_db::introspect::erd_markdown()?),
        Command::Db { command } => {
            let config = Config::load()?;
            db_task(&config, command)
        }
        Command::Accounts {
            command: AccountsCommand::Sweep,
        } => {
            let config = Config::load()?;
            let mut conn = connect(&config)?;
            let (ended, purged) = directory_server::sweep(&mut conn, config.time_zone()?)?;
            println!(
                "Deactivated {ended} accounts past their end date; cleared {purged} expired sessions."
            );
            Ok(())
        }
        Command::Accounts {
            command:
                AccountsCommand::ResetPassword {
                    username,
                    role,
                    password_stdin,
                },
        } => reset_password(&username, role.as_deref(), password_stdin),
        Command::Audit {
            command: AuditCommand::Prune,
        } => {
            let config = Config::load()?;
            let Some(days) = config.audit.retention_days else {
                println!("audit.retention_days is not set: the trail is kept forever.");
                return Ok(());
            };
            let before = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
            let mut conn = connect(&config)?;
            let pruned = directory_db::audit::prune(&mut conn, before)?;
            println!("Deleted {pruned} audit events older than {days} days.");
            Ok(())
        }
        Command::Import {
            command: ImportCommand::Staff { file, dry_run },
        } => {
            let config = Config::load()?;
            import_task(&config, &file, dry_run)
        }
        Command::Seed { file, demo_staff } => {
            let config = Config::load()?;
            seed_task(&config, file.as_deref(), demo_staff)
        }
    }
}

fn reset_password(username: &str, role: Option<&str>, password_stdin: bool) -> anyhow::Result<()> {
    let config = Config::load()?;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        directory_seed::generate_password()
    };
    let mut conn = connect(&config)?;
    let done = directory_server::reset_password(&mut conn, username, &password, role)?;
    println!("Set a new password for {username:?} and ended its sessions.");
    if done.reactivated {
        println!("It was inactive: it is active again.");
    }
    if done.role_given {
        println!("It now has the role {:?}.", role.unwrap_or_default());
    }
    if !done.manages_accounts {
        println!(
            "It cannot manage accounts: add --role with a role that can (e.g. Administrator)."
        );
    }
    if !password_stdin {
        directory_server::show_password_once(
            &format!("The new password of {username:?}:"),
            &password,
            "Change it after logging in (POST /api/v1/auth/password).",
        );
    }
    Ok(())
}

fn write_file(path: &str, content: &str) -> anyhow::Result<()> {
    let content = if content.ends_with('\n') {
        content.to_owned()
    } else {
        format!("{content}\n")
    };
    std::fs::write(path, content).with_context(|| format!("cannot write {path}"))?;
    println!("wrote {path}");
    Ok(())
}

fn connect(config: &Config) -> anyhow::Result<DbConnection> {
    let url = config.database.url.expose();
    // On stderr: what a task prints on stdout (the import's JSON report)
    // is for other programs to read.
    eprintln!("profile {}, database {}", config.profile(), redact_url(url));
    Ok(DbConnection::open(url)?)
}

fn db_task(config: &Config, command: DbCommand) -> anyhow::Result<()> {
    if let DbCommand::Reset { yes, force } = &command {
        if config.profile() == Profile::Production && !force {
            bail!("refusing to reset a production database; add --force if you mean it");
        }
        if !yes && !confirm("Reset drops every table and all data. Type 'yes' to go on: ")? {
            bail!("reset cancelled");
        }
    }
    let mut conn = connect(config)?;
    match command {
        DbCommand::Migrate => {
            let applied = directory_db::migrate(&mut conn)?;
            if applied.is_empty() {
                println!("Nothing to apply: the schema is up to date.");
            }
            for name in applied {
                println!("applied  {name}");
            }
        }
        DbCommand::Rollback => match migrations::revert_last(&mut conn)? {
            Some(name) => println!("reverted {name}"),
            None => println!("Nothing to revert."),
        },
        DbCommand::Status => {
            for m in migrations::status(&mut conn)? {
                println!(
                    "{}  {}",
                    if m.applied { "applied" } else { "pending" },
                    m.name
                );
            }
        }
        DbCommand::Reset { .. } => {
            let reverted = migrations::revert_all(&mut conn)?;
            println!("reverted {} migrations", reverted.len());
            let applied = directory_db::migrate(&mut conn)?;
            println!("applied {} migrations", applied.len());
        }
    }
    Ok(())
}

fn confirm(prompt: &str) -> anyhow::Result<bool> {
    print!("{prompt}");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// `cargo xtask import staff`: the API's import, with a progress bar. The
/// changes are recorded in the trail with no account, as the seed's are.
fn import_task(config: &Config, file: &Path, dry_run: bool) -> anyhow::Result<()> {
    use directory_import::{Format, ImportError};
    let format = Format::of_path(file)
        .with_context(|| format!("{}: give a .csv or .xlsx file", file.display()))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut conn = connect(config)?;
    if migrations::pending_count(&mut conn)? > 0 {
        bail!("the database has pending migrations: run `cargo xtask db migrate` first");
    }
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>9} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("reading");
    let outcome = directory_import::read(&bytes, format).and_then(|sheet| {
        drop(bytes);
        directory_import::import(&mut conn, &sheet, dry_run, None, &mut |p| {
            bar.set_message(p.stage);
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        })
    });
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    match outcome {
        Ok(report) => {
            let json = serde_json::json!({
                "dry_run": report.dry_run, "rows": report.rows, "created": report.created,
                "updated": report.updated, "unchanged": report.unchanged, "errors": [],
            });
            println!("{json:#}");
            eprintln!(
                "{} {} rows in {seconds:.1} s: {} created, {} updated, {} unchanged.",
                if dry_run { "Checked" } else { "Imported" },
                report.rows,
                report.created,
                report.updated,
                report.unchanged
            );
            Ok(())
        }
        Err(ImportError::Rows(errors)) => {
            println!("{:#}", serde_json::json!({ "errors": errors }));
            bail!(
                "{}: {} bad cells; nothing was imported",
                file.display(),
                errors.len()
            )
        }
        Err(other) => bail!("{}: {other}", file.display()),
    }
}

fn seed_task(
    config: &Config,
    file: Option<&Path>,
    demo_staff: Option<usize>,
) -> anyhow::Result<()> {
    let data = match file {
        Some(path) => directory_seed::SeedData::load(path)?,
        None => directory_seed::SeedData::reference()?,
    };
    let mut conn = connect(config)?;
    if migrations::pending_count(&mut conn)? > 0 {
        bail!("the database has pending migrations: run `cargo xtask db migrate` first");
    }
    let report = directory_seed::seed(&mut conn, &data, &directory_server::admin_password(config))?;
    println!("{report}");
    if let Some(password) = &report.generated_admin_password {
        directory_server::announce_generated_password(password);
    }
    if let Some(count) = demo_staff {
        let started = std::time::Instant::now();
        let added = directory_seed::demo_staff(&mut conn, count, true)?;
        println!(
            "Added {added} demo staff members in {:.1} s.",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
