//! The hospital directory server: configuration, logging, the database pool,
//! migrate and seed on start, and serving until SIGTERM or Ctrl-C.

pub mod config;
mod serve;

use anyhow::Context;
use config::{Config, LogFormat, Profile};
use directory_api::{AppState, HttpOptions};
use directory_db::{DbConnection, DbError, Pool, PoolOptions, connection::redact_url};
use directory_seed::{AdminPassword, SeedData};
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Sets up logging from the configuration; `RUST_LOG` overrides the level.
pub fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let _ = match config.log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// The admin password policy for the seed: given, generated (development
/// only), or required.
pub fn admin_password(config: &Config) -> AdminPassword {
    match (&config.admin_password, config.profile()) {
        (Some(password), _) => AdminPassword::Given(password.expose().to_owned()),
        (None, Profile::Development) => AdminPassword::Generate,
        (None, _) => AdminPassword::Required,
    }
}

/// Shows a generated administrator password once, to the person at the
/// terminal (standard error), never to the log.
pub fn announce_generated_password(password: &str) {
    show_password_once(
        "A first administrator account was created: username `admin`, password:",
        password,
        "Set DIRECTORY_ADMIN_PASSWORD to choose your own.",
    );
}

/// Shows a generated password to the person at the terminal (standard
/// error, on a line of its own), never to the log.
pub fn show_password_once(heading: &str, password: &str, hint: &str) {
    eprintln!();
    eprintln!("  {heading}");
    eprintln!();
    eprintln!("      {password}");
    eprintln!();
    eprintln!("  It is shown only this once. {hint}");
    eprintln!();
}

/// The database URL as the server uses it: with the configured bound on
/// opening a connection where the driver takes one in the URL.
pub fn database_url(config: &Config) -> String {
    directory_db::connection::with_connect_timeout(
        config.database.url.expose(),
        Duration::from_secs(config.database.connect_timeout_secs),
    )
}

/// Builds the pool, then migrates and seeds as configured. Blocking. A
/// database that does not answer stops the start only when it has work to
/// do at start (migrate or seed); otherwise the server starts without it,
/// answers `/readyz` 503, and connects once it answers.
pub fn prepare_database(config: &Config) -> anyhow::Result<Pool> {
    let url = &database_url(config);
    let options = PoolOptions {
        max_size: config.database.pool_size,
        connection_timeout: Duration::from_secs(config.database.connect_timeout_secs),
    };
    let needed_now = config.database.migrate_on_start || config.database.seed_on_start;
    let pool = match directory_db::build_pool(url, &options) {
        Err(DbError::Unavailable(cause)) if !needed_now => {
            tracing::warn!(
                %cause,
                database = %redact_url(url),
                "the database does not answer; starting without it (/readyz answers 503 until it does)"
            );
            return directory_db::connection::build_pool_lazily(url, &options)
                .with_context(|| format!("cannot use the database at {}", redact_url(url)));
        }
        built => {
            built.with_context(|| format!("cannot open the database at {}", redact_url(url)))?
        }
    };
    let mut conn = pool.get().context("cannot get a database connection")?;
    if config.database.migrate_on_start {
        let applied = directory_db::migrate(&mut conn)?;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "applied database migrations");
        }
    }
    if config.database.seed_on_start {
        seed_reference(&mut conn, config)?;
    }
    Ok(pool)
}

fn seed_reference(conn: &mut DbConnection, config: &Config) -> anyhow::Result<()> {
    let report = directory_seed::seed(conn, &SeedData::reference()?, &admin_password(config))?;
    if report.added() > 0 {
        tracing::info!(rows = report.added(), "seeded the reference data");
    }
    if let Some(password) = &report.generated_admin_password {
        announce_generated_password(password);
    }
    Ok(())
}

/// What [`reset_password`] did besides the password, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// The account was inactive and is active again.
    pub reactivated: bool,
    /// The role asked for was given (false: it had it already, or none was
    /// asked for).
    pub role_given: bool,
    /// Whether the account can now manage accounts.
    pub manages_accounts: bool,
}

/// The way back in when nobody can log in to manage accounts (the last
/// administrator forgot their password, or left): run on the server by
/// whoever runs it, as Django's `changepassword`, never over the API. Sets
/// `password` (checked against the password rules), makes the account
/// active, gives it `role` if named, and ends its sessions, in one
/// transaction. Refused, changing nothing, for an account whose staff
/// member's end date has passed: login would still turn it away.
pub fn reset_password(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
    role: Option<&str>,
) -> anyhow::Result<PasswordReset> {
    use directory_db::{accounts, staff};
    use directory_domain::{AccountPatch, Patch, Permission};
    let account = accounts::find_account_by_username(conn, username)?
        .with_context(|| format!("there is no account named {username:?}"))?;
    if let Some(staff_id) = account.staff_id {
        let today = chrono::Utc::now().date_naive();
        if let Some(end) = staff::get_staff(conn, staff_id)?.end_date
            && directory_domain::staff::employment_ended(Some(end), today)
        {
            anyhow::bail!(
                "account {:?} belongs to staff member {staff_id}, whose end date ({end}) has \
                 passed: login refuses it whatever its password; reset another account \
                 (the seeded `admin` has no staff member) or clear that end date first",
                account.username
            );
        }
    }
    // The same rules as a password set over the API (length, not the
    // username); the message names the rule, never the password.
    AccountPatch {
        password: Patch::Set(password.to_owned()),
        ..Default::default()
    }
    .validated(&account.username)?;
    let role = match role {
        Some(name) => Some(
            directory_db::roles::find_role_by_name(conn, name)?
                .with_context(|| format!("there is no role named {name:?}"))?
                .id,
        ),
        None => None,
    };
    let id = account.id;
    let (reactivated, role_given) = directory_db::write_transaction(conn, |conn| {
        accounts::set_password(conn, id, password, None, None)?;
        let reactivated = !account.active;
        if reactivated {
            accounts::set_account_active(conn, id, true, None)?;
        }
        let role_given = match role {
            Some(role) => accounts::put_account_role(conn, id, role, None)?,
            None => false,
        };
        Ok::<_, directory_db::DbError>((reactivated, role_given))
    })?;
    let manages_accounts =
        accounts::permissions_of(conn, id)?.contains(&Permission::AccountsManage);
    Ok(PasswordReset {
        reactivated,
        role_given,
        manages_accounts,
    })
}

/// Deactivates the accounts of staff whose end date has passed (in the
/// hospital's time zone) and clears expired sessions. Returns (accounts
/// deactivated, sessions cleared).
pub fn sweep(conn: &mut DbConnection, zone: chrono_tz::Tz) -> anyhow::Result<(usize, usize)> {
    let today = directory_api::today_in(zone);
    let ended = directory_db::accounts::deactivate_ended(conn, today)?;
    let purged = directory_db::sessions::purge_expired(conn)?;
    Ok((ended.len(), purged))
}

/// Runs [`sweep`] every `interval_secs` on the blocking pool (first run at
/// start); login refuses ended accounts even between sweeps.
fn spawn_sweeper(pool: Pool, interval_secs: u64, zone: chrono_tz::Tz) {
    if interval_secs == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(interval_secs));
        loop {
            ticks.tick().await;
            let pool = pool.clone();
            let result = tokio::task::spawn_blocking(move || -> anyhow::Result<(usize, usize)> {
                let mut conn = pool.get()?;
                sweep(&mut conn, zone)
            })
            .await;
            match result {
                Ok(Ok((0, _))) => {}
                Ok(Ok((ended, _))) => {
                    tracing::info!(accounts = ended, "deactivated accounts past their end date")
                }
                Ok(Err(error)) => tracing::warn!(%error, "end-date sweep failed"),
                Err(error) => tracing::warn!(%error, "end-date sweep task failed"),
            }
        }
    });
}

/// The whole HTTP service on a prepared database, as `run` serves it: the
/// database threads, SQLite's writer, the health check and the settings.
/// The contract tests drive it in process.
pub fn build_app(
    config: &Config,
    pool: Pool,
) -> anyhow::Result<impl poem::Endpoint<Output = poem::Response> + use<>> {
    let options = HttpOptions {
        body_limit: config.server.body_limit,
        import_limit: config.import.max_bytes,
        cors_origins: config.server.cors_origins.clone(),
        body_timeout: Duration::from_secs(config.server.header_timeout_secs),
    };
    let url = database_url(config);
    let writer = directory_db::writer::Writer::for_url(&url)?;
    let health = directory_db::health::Health::start(&url)?;
    let state = AppState::new(pool, Some(health))
        .context("cannot start the database threads")?
        .with_writer(writer)
        .with_queue_timeout(Duration::from_millis(config.database.queue_timeout_ms))
        .with_auth(config.auth.settings())
        .with_timezone(config.time_zone()?)
        .with_fhir(config.fhir.settings());
    Ok(directory_api::app(state, &options))
}

/// Runs the server until SIGTERM or Ctrl-C, then lets in-flight requests
/// finish (up to `server.shutdown_grace_secs`).
pub async fn run(config: Config) -> anyhow::Result<()> {
    tracing::info!(
        profile = %config.profile(),
        database = %redact_url(config.database.url.expose()),
        "starting"
    );
    let prepared = config.clone();
    let pool = tokio::task::spawn_blocking(move || prepare_database(&prepared)).await??;
    spawn_sweeper(
        pool.clone(),
        config.auth.sweep_interval_secs,
        config.time_zone()?,
    );
    let app = build_app(&config, pool)?;
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(config.server.bind)
        .await
        .with_context(|| format!("cannot listen on {} (server.bind)", config.server.bind))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let options = serve::ServeOptions {
        grace: Duration::from_secs(config.server.shutdown_grace_secs),
        header_timeout: Duration::from_secs(config.server.header_timeout_secs),
        idle_timeout: Duration::from_secs(config.server.keep_alive_secs),
        request_timeout: Duration::from_secs(config.server.request_timeout_secs),
        max_connections: connection_limit(&config),
        max_in_flight: config.server.max_in_flight,
    };
    serve::serve(listener, app, shutdown, options)
        .await
        .context("the server stopped with an error")?;
    tracing::info!("stopped");
    Ok(())
}

/// Raises this process's soft open-file limit to its hard limit (as Go
/// does at start; children inherit it) and returns the limit now in force.
/// The soft 1024 of many systems is far below what a server needs, and
/// running out of descriptors makes every accept fail, not only the last.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use nix::sys::resource::{Resource, getrlimit, setrlimit};
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
        if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
            return Some(hard);
        }
        Some(soft)
    }
    #[cfg(not(unix))]
    None
}

/// `server.max_connections`, lowered to what the open-file limit leaves
/// once the database's and the process's own files are counted.
fn connection_limit(config: &Config) -> usize {
    let configured = config.server.max_connections;
    let Some(limit) = raise_open_file_limit() else {
        return configured;
    };
    // Per pooled connection a socket (or SQLite's database, WAL and
    // shared-memory files), the writer, checkpoint and health threads'
    // own, the listener, epoll, logs and a margin for refusing.
    let pool = usize::try_from(config.database.pool_size).unwrap_or(usize::MAX);
    let reserve = 64 + 4 * (pool + 3);
    let fits = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_sub(reserve)
        .max(1);
    if fits < configured {
        tracing::warn!(
            configured,
            open_file_limit = limit,
            serving = fits,
            "server.max_connections lowered to fit the open-file limit"
        );
    }
    configured.min(fits)
}

/// Installs the SIGTERM and Ctrl-C handlers now (before the server says it
/// listens, so an early signal is not lost) and resolves when one arrives.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
            tracing::info!("shutting down: finishing in-flight requests");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing in-flight requests");
        })
    }
}
