//! One connection type over the backends compiled in, and the r2d2 manager
//! that picks the backend by URL scheme (the derived `establish` tries each
//! backend in turn and loses the driver's real error message).

use crate::DbError;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use std::time::Duration;

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("enable at least one database backend: sqlite, postgres or mysql");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    #[cfg(feature = "postgres")]
    Pg(diesel::PgConnection),
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's own connection, so the
/// query is compiled for that backend alone.
///
/// Through the enum, diesel's `MultiConnection` wraps every query in a
/// `SerializedQuery` that writes the whole SQL text each time it is walked:
/// for the statement-cache check, for the cache key and for the binds, on
/// every execution. For GET of one staff member (28 columns, four joins)
/// that was 14% of the server's CPU, more than SQLite's own work (perf).
/// On the backend's connection a query with a static type is found in the
/// statement cache by its type, and its SQL is written once per connection.
/// For the hot reads; the body must compile for every backend.
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            $crate::DbConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::DbConnection::Pg($c) => $body,
            #[cfg(feature = "mysql")]
            $crate::DbConnection::Mysql($c) => $body,
        }
    };
}
pub(crate) use native;

/// The backend a database URL asks for, whether or not it is compiled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    /// Reads the scheme of a `database.url`.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "mysql" | "mariadb" => Ok(Self::Mysql),
            _ => Err(DbError::Config(format!(
                "database.url must start with sqlite://, postgres:// or mysql:// (got {:?})",
                redact_url(url)
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        }
    }

    pub fn is_compiled_in(self) -> bool {
        match self {
            Self::Sqlite => cfg!(feature = "sqlite"),
            Self::Postgres => cfg!(feature = "postgres"),
            Self::Mysql => cfg!(feature = "mysql"),
        }
    }

    /// The backends this build can talk to.
    pub fn compiled_in() -> Vec<Self> {
        [Self::Sqlite, Self::Postgres, Self::Mysql]
            .into_iter()
            .filter(|b| b.is_compiled_in())
            .collect()
    }
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "postgres")]
            Self::Pg(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            Self::Mysql(_) => Backend::Mysql,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Opens one connection to `url`, with the settings every connection of
    /// that backend needs.
    pub fn open(url: &str) -> Result<Self, DbError> {
        let backend = Backend::from_url(url)?;
        if !backend.is_compiled_in() {
            return Err(DbError::Config(format!(
                "database.url asks for {}, but this build has only {} (rebuild with --features {})",
                backend.name(),
                Backend::compiled_in()
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                backend.name()
            )));
        }
        let unavailable = |e: diesel::ConnectionError| DbError::Unavailable(e.to_string());
        match backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if let Some(dir) = std::path::Path::new(&path).parent()
                    && !path.starts_with("file:")
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        DbError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let mut conn = diesel::SqliteConnection::establish(&path).map_err(unavailable)?;
                // Without these, concurrent writers fail with "database is
                // locked" and foreign keys are not enforced (docs/BACKENDS.md).
                // (No mmap_size: every pooled connection maps the file on
                // its own and the process's resident memory counts each
                // mapping, 189 MiB peak against 134 MiB without.)
                // cache_size: each connection keeps a private copy of the
                // pages it read, on top of the OS page cache that holds the
                // file anyway. 1 MiB rather than SQLite's 2 MiB saves 1 MiB
                // a connection; not 512 KiB, which measured the same at
                // 10,000 staff but at 100,000 no longer holds the id index
                // that every page's count and OFFSET walk (170 pages):
                // each page then re-read it from the OS (server CPU per
                // page of 100 after an id: 740-810 us against 440-570 us;
                // by offset: 980-1,200 us against 750-890 us).
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )?;
                conn.batch_execute(SQLITE_PAGE_CACHE)?;
                Ok(Self::Sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(url).map_err(unavailable)?;
                conn.batch_execute("SET TIME ZONE 'UTC'")?;
                conn.set_instrumentation(Liveness::new());
                Ok(Self::Pg(conn))
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut conn = diesel::MysqlConnection::establish(url).map_err(unavailable)?;
                // READ COMMITTED, as PostgreSQL runs: a statement sees what
                // has committed, so the re-read after a versioned write
                // that found no row (db::versioned) sees the concurrent
                // change or delete that beat it, not the transaction's
                // first snapshot (InnoDB's default, REPEATABLE READ).
                conn.batch_execute(
                    "SET time_zone = '+00:00'; \
                     SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
                )?;
                conn.set_instrumentation(Liveness::new());
                Ok(Self::Mysql(conn))
            }
            #[allow(unreachable_patterns)]
            _ => unreachable!("checked by is_compiled_in"),
        }
    }
}

/// How long after a server connection last answered a statement the
/// pool's checkout test trusts it without asking again.
#[cfg(any(feature = "postgres", feature = "mysql"))]
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// When a server connection last answered a statement, so the pool's
/// checkout test can skip its `SELECT 1` for a connection in steady use.
/// That round trip was half of what GET of one staff member asked of
/// PostgreSQL (a second statement for every request). A connection idle
/// longer, or whose last statement found the link gone, is still tested,
/// so a database restart heals as before: a request that meets the
/// restart within the second fails once, as one caught between the test
/// and its query always could. Diesel's own instrumentation (the default
/// one, which the query-count tests set) still sees every event.
#[cfg(any(feature = "postgres", feature = "mysql"))]
struct Liveness {
    answered: Option<std::time::Instant>,
    inner: Option<Box<dyn diesel::connection::Instrumentation>>,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl Liveness {
    fn new() -> Self {
        Self {
            answered: Some(std::time::Instant::now()),
            inner: diesel::connection::get_default_instrumentation(),
        }
    }

    fn answered_lately(conn: &mut DbConnection) -> bool {
        let instrumentation = match conn {
            #[cfg(feature = "postgres")]
            DbConnection::Pg(c) => c.instrumentation(),
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(c) => c.instrumentation(),
            #[allow(unreachable_patterns)]
            _ => return false,
        };
        instrumentation
            .downcast_ref::<Liveness>()
            .and_then(|liveness| liveness.answered)
            .is_some_and(|at| at.elapsed() < TRUSTED_FOR)
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl diesel::connection::Instrumentation for Liveness {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        use diesel::result::{DatabaseErrorKind, Error};
        if let diesel::connection::InstrumentationEvent::FinishQuery { error, .. } = &event {
            match error {
                None => self.answered = Some(std::time::Instant::now()),
                Some(Error::DatabaseError(
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                    _,
                )) => self.answered = None,
                // The server answered with an error (a unique violation,
                // a serialisation failure), or diesel refused a row: the
                // link says nothing new.
                Some(_) => {}
            }
        }
        if let Some(inner) = &mut self.inner {
            inner.on_connection_event(event);
        }
    }
}

/// Every SQLite connection's page cache, 1 MiB (why: `DbConnection::open`).
#[cfg(feature = "sqlite")]
const SQLITE_PAGE_CACHE: &str = "PRAGMA cache_size = -1024";

/// Runs `f` with SQLite's page cache raised to `mib` MiB, then puts the
/// connection's 1 MiB back: a bulk write touches index pages all over the
/// file, and in 1 MiB each was written out and read back many times. Other
/// backends keep their own caches; `f` runs as it is.
pub fn with_page_cache<T, E: From<DbError>>(
    conn: &mut DbConnection,
    mib: u32,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    #[cfg(feature = "sqlite")]
    if matches!(conn.backend(), Backend::Sqlite) {
        conn.batch_execute(&format!("PRAGMA cache_size = -{}", u64::from(mib) * 1024))
            .map_err(DbError::from)?;
        let result = f(conn);
        conn.batch_execute(SQLITE_PAGE_CACHE)
            .map_err(DbError::from)?;
        return result;
    }
    f(conn)
}

/// `sqlite://data/x.db` -> `data/x.db`; `sqlite:///abs/x.db` -> `/abs/x.db`;
/// `sqlite::memory:` -> `:memory:`.
pub fn sqlite_path(url: &str) -> String {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    rest.strip_prefix("//").unwrap_or(rest).to_owned()
}

/// A URL fit for logs and error messages: the password replaced, whether
/// in the user part (`user:secret@host`, whatever characters the secret
/// holds) or in the query (`?password=`, `sslpassword=`, which libpq takes
/// too).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The user part ends at the last `@` before the path: a password may
    // hold `?`, `#` or `@`, never an unencoded `/`.
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (user, after) = match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let masked = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***@"),
                None => format!("{userinfo}@"),
            };
            (masked, &rest[at + 1..])
        }
        None => (String::new(), rest),
    };
    let after = match after.split_once('?') {
        Some((base, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.to_ascii_lowercase().contains("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", query.join("&"))
        }
        None => after.to_owned(),
    };
    format!("{scheme}://{user}{after}")
}

/// r2d2's view of [`DbConnection::open`].
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

impl Manager {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        DbConnection::open(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        if Liveness::answered_lately(conn) {
            return Ok(());
        }
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

pub type Pool = diesel::r2d2::Pool<Manager>;
pub type PooledConnection = diesel::r2d2::PooledConnection<Manager>;

/// Pool settings; the server takes them from config.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// The most SQLite connections worth pooling: one per core (at least two).
/// A SQLite read is CPU work in this process (no server to wait for), its
/// writes have a connection of their own, and password checks hold none,
/// so more readers only queue for the CPU while each keeps its caches and
/// its finished pages wait for a core to send them. Measured on two cores
/// with 256 clients reading pages of 100: the same throughput with 2, 3
/// and 4 readers, peak memory 52, 55 and 56-66 MiB.
fn sqlite_readers() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores).unwrap_or(u32::MAX).max(2)
}

/// How many connections the pool for `url` keeps when `configured` are
/// asked for (the database threads are as many: `crate::threads`).
fn pool_size_for(url: &str, configured: u32) -> u32 {
    match (Backend::from_url(url), url.contains(":memory:")) {
        // Each connection to :memory: would be a database of its own.
        (Ok(Backend::Sqlite), true) => 1,
        (Ok(Backend::Sqlite), false) => configured.clamp(1, sqlite_readers()),
        _ => configured.max(1),
    }
}

/// Builds the pool and opens one connection, so a wrong URL or password is
/// reported now with the driver's own message.
pub fn build_pool(url: &str, options: &PoolOptions) -> Result<Pool, DbError> {
    // Check the URL and credentials once, with the driver's message.
    drop(DbConnection::open(url)?);
    pool_builder(url, options)?
        .build(Manager::new(url))
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

/// Builds the pool without reaching the database: for a server that starts
/// while its database does not answer, and connects once it does.
pub fn build_pool_lazily(url: &str, options: &PoolOptions) -> Result<Pool, DbError> {
    let backend = Backend::from_url(url)?;
    if !backend.is_compiled_in() {
        // The same clear error as a connection attempt gives.
        drop(DbConnection::open(url)?);
    }
    Ok(pool_builder(url, options)?.build_unchecked(Manager::new(url)))
}

/// r2d2 logs every failed connection attempt as an error, several a
/// second while the database is down; `health` says it once, when it
/// happens, and again when the database answers.
#[derive(Debug)]
struct QuietErrors;

impl diesel::r2d2::HandleError<DbError> for QuietErrors {
    fn handle_error(&self, error: DbError) {
        tracing::debug!(%error, "a pooled connection could not be opened");
    }
}

fn pool_builder(
    url: &str,
    options: &PoolOptions,
) -> Result<diesel::r2d2::Builder<Manager>, DbError> {
    let backend = Backend::from_url(url)?;
    Ok(diesel::r2d2::Pool::builder()
        .error_handler(Box::new(QuietErrors))
        .max_size(pool_size_for(url, options.max_size))
        .min_idle(Some(1))
        .connection_timeout(options.connection_timeout)
        // A server connection is checked on checkout (one round trip), so a
        // database restart heals by itself; an embedded SQLite connection
        // cannot go away, and skipping the check saves a query per request.
        .test_on_check_out(backend != Backend::Sqlite))
}

/// `url` with a bound on how long opening a connection may take, where the
/// driver takes one in the URL and the URL sets none (PostgreSQL's
/// `connect_timeout`, at least 2 seconds by libpq's rule). Without it a
/// database host that drops packets holds a connection attempt for minutes.
pub fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if !matches!(Backend::from_url(url), Ok(Backend::Postgres)) || url.contains("connect_timeout=")
    {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        timeout.as_secs().max(2)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_come_from_the_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgresql://h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(Backend::from_url("mysql://h/db").unwrap(), Backend::Mysql);
        let err = Backend::from_url("oracle://u:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("sqlite://data/x.db"), "data/x.db");
        assert_eq!(sqlite_path("sqlite:///tmp/x.db"), "/tmp/x.db");
        assert_eq!(sqlite_path("sqlite::memory:"), ":memory:");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/dir"),
            "postgres://app:***@db:5432/dir"
        );
        assert_eq!(
            redact_url("mysql://root@127.0.0.1/x"),
            "mysql://root@127.0.0.1/x"
        );
        assert_eq!(
            redact_url("postgres://app@db/dir?sslmode=require&password=hunter2"),
            "postgres://app@db/dir?sslmode=require&password=***"
        );
        assert_eq!(
            redact_url("postgresql://db/dir?user=app&PASSWORD=x&sslpassword=y"),
            "postgresql://db/dir?user=app&PASSWORD=***&sslpassword=***"
        );
        for url in [
            "postgres://app:s3?cret@db/dir",
            "postgres://app:s3#c@ret@db:5432/dir?sslmode=require",
            "postgres://app:s3?cret@db",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("s3"), "{shown}");
            assert!(shown.starts_with("postgres://app:***@db"), "{shown}");
        }
    }

    #[test]
    fn postgres_urls_get_a_connect_timeout_unless_they_name_one() {
        let second = Duration::from_secs(1);
        assert_eq!(
            with_connect_timeout("postgres://u@h/db", second),
            "postgres://u@h/db?connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?sslmode=require", Duration::from_secs(5)),
            "postgres://u@h/db?sslmode=require&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?connect_timeout=9", second),
            "postgres://u@h/db?connect_timeout=9"
        );
        assert_eq!(
            with_connect_timeout("sqlite://data/x.db", second),
            "sqlite://data/x.db"
        );
    }

    #[test]
    fn a_backend_not_compiled_in_is_a_clear_error() {
        for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
            if !backend.is_compiled_in() {
                let url = format!("{}://localhost/x", backend.name());
                let err = DbConnection::open(&url).err().unwrap().to_string();
                assert!(err.contains("rebuild with --features"), "{err}");
            }
        }
    }
}
