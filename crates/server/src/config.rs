//! Configuration, loaded once at start and passed down (no global state).
//!
//! Layers, later wins: built-in defaults < `config/default.toml` <
//! `config/<profile>.toml` < `.env` < environment (`DIRECTORY_` prefix, `__`
//! for nesting). The profile comes from `DIRECTORY_PROFILE` (default
//! `development`). Secrets come only from the environment or `.env`.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Development,
    Test,
    Production,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "development" | "dev" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" | "prod" => Ok(Self::Production),
            other => Err(ConfigError(format!(
                "DIRECTORY_PROFILE: unknown profile {other:?}; use development, test or production"
            ))),
        }
    }
}

/// A configuration problem, as one line naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// A secret that never shows in Debug output or logs.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(skip)]
    pub profile: Option<Profile>,
    /// Where the settings came from, for the start-up log.
    #[serde(skip)]
    pub sources: Sources,
    pub database: DatabaseConfig,
    pub server: ServerConfig,
    pub log: LogConfig,
    pub auth: AuthConfig,
    pub audit: AuditConfig,
    pub fhir: FhirConfig,
    pub import: ImportConfig,
    /// The hospital's time zone (IANA name): when its day starts decides
    /// when an end date ends access and which day "today" is.
    pub timezone: String,
    /// Used by the seed to create the first administrator, if missing.
    pub admin_password: Option<Secret>,
}

/// How long the audit trail is kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Events older than this many days are deleted by `cargo xtask audit
    /// prune`; `None` keeps the trail forever.
    pub retention_days: Option<u32>,
}

/// Staff files posted to `POST /api/v1/staff/import`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportConfig {
    /// The largest file accepted, in bytes; larger is refused with 413.
    pub max_bytes: usize,
}

impl Default for ImportConfig {
    fn default() -> Self {
        Self {
            max_bytes: 20 * 1024 * 1024,
        }
    }
}

/// What the FHIR view says of the hospital.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirConfig {
    /// The root Organization's name.
    pub hospital_name: String,
    /// The identifier `system` of a Practitioner's employee id: a URI the
    /// hospital owns (an HR system's, or a national registry's).
    pub employee_id_system: String,
}

impl Default for FhirConfig {
    fn default() -> Self {
        Self {
            hospital_name: "Hospital".into(),
            employee_id_system: "urn:hospital-directory:employee-id".into(),
        }
    }
}

impl FhirConfig {
    /// The view's settings, stamped with when they were loaded.
    pub fn settings(&self) -> directory_api::fhir::FhirSettings {
        directory_api::fhir::FhirSettings {
            hospital_name: self.hospital_name.clone(),
            employee_id_system: self.employee_id_system.clone(),
            loaded_at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0),
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path`, `postgres://...` or `mysql://...`; may hold a password.
    pub url: Secret,
    pub pool_size: u32,
    /// How long opening a database connection may take; a request whose
    /// connection cannot be opened in this time is answered 503.
    pub connect_timeout_secs: u64,
    /// How long a request's database work may wait to start (every
    /// database thread busy) before the request is answered 503 with
    /// `Retry-After`: beyond this the server sheds load instead of
    /// queueing it.
    pub queue_timeout_ms: u64,
    /// Apply pending migrations when the server starts.
    pub migrate_on_start: bool,
    /// Load the reference data when the server starts (development).
    pub seed_on_start: bool,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field(
                "url",
                &directory_db::connection::redact_url(self.url.expose()),
            )
            .field("pool_size", &self.pool_size)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("queue_timeout_ms", &self.queue_timeout_ms)
            .field("migrate_on_start", &self.migrate_on_start)
            .field("seed_on_start", &self.seed_on_start)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Browser origins allowed by CORS; empty allows none.
    pub cors_origins: Vec<String>,
    /// How long in-flight requests get to finish after SIGTERM or Ctrl-C.
    pub shutdown_grace_secs: u64,
    /// A client that has not sent a request's whole headers this long
    /// after its first byte is cut off (slow clients cannot hold
    /// connections).
    pub header_timeout_secs: u64,
    /// A request still in flight this long after its headers (a body that
    /// never comes, an answer the client never reads) loses its
    /// connection: it holds one of `max_in_flight`'s places no longer.
    pub request_timeout_secs: u64,
    /// A keep-alive connection idle this long between requests is closed.
    /// Longer than a load balancer's own idle timeout (60 s on most), so
    /// the balancer, not the server, closes it first.
    pub keep_alive_secs: u64,
    /// Connections open at once. Past it, the longest idle connection is
    /// closed to make room, and without an idle one a new connection is
    /// answered 503. Lowered at start to fit the open-file limit.
    pub max_connections: usize,
    /// Requests answered at once; more are answered 503 with `Retry-After`
    /// at once (`/healthz` and `/readyz` always answer). Bounds the memory
    /// of requests waiting for the database, ~30 KB each.
    pub max_in_flight: usize,
}

/// Sessions and the brute-force limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// How long a bearer token lives.
    pub token_lifetime_mins: u32,
    /// How long a checked token is trusted without asking the database
    /// again; logout and deactivation on this server take effect at once,
    /// on the other servers of a cluster within this time. 0: never cache.
    pub token_cache_secs: u64,
    /// Failed logins for one username that lock it...
    pub max_failed_logins: u32,
    /// ...from one client address (any usernames)...
    pub max_failed_logins_per_address: u32,
    /// ...within this many seconds...
    pub failure_window_secs: u32,
    /// ...for this many seconds.
    pub lockout_secs: u32,
    /// How often the server deactivates accounts whose staff member's end
    /// date has passed (and clears expired sessions); 0 turns it off.
    pub sweep_interval_secs: u64,
}

impl AuthConfig {
    pub fn settings(&self) -> directory_api::auth::AuthSettings {
        use directory_db::sessions::LockoutPolicy;
        let window = chrono::Duration::seconds(i64::from(self.failure_window_secs));
        let lockout = chrono::Duration::seconds(i64::from(self.lockout_secs));
        directory_api::auth::AuthSettings {
            token_lifetime: chrono::Duration::minutes(i64::from(self.token_lifetime_mins)),
            token_cache: std::time::Duration::from_secs(self.token_cache_secs),
            per_username: LockoutPolicy {
                max_failures: self.max_failed_logins.try_into().unwrap_or(i32::MAX),
                window,
                lockout,
            },
            per_address: LockoutPolicy {
                max_failures: self
                    .max_failed_logins_per_address
                    .try_into()
                    .unwrap_or(i32::MAX),
                window,
                lockout,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter such as `info` or `directory=debug,info`; `RUST_LOG` wins.
    pub level: String,
    pub format: LogFormat,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            profile: None,
            sources: Sources::default(),
            database: DatabaseConfig {
                url: Secret::new("sqlite://data/directory.db"),
                pool_size: 8,
                connect_timeout_secs: 1,
                queue_timeout_ms: 250,
                migrate_on_start: true,
                seed_on_start: false,
            },
            server: ServerConfig {
                bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
                body_limit: 1024 * 1024,
                cors_origins: Vec::new(),
                shutdown_grace_secs: 20,
                header_timeout_secs: 10,
                request_timeout_secs: 60,
                keep_alive_secs: 75,
                max_connections: 4096,
                max_in_flight: 256,
            },
            log: LogConfig {
                level: "info".into(),
                format: LogFormat::Pretty,
            },
            auth: AuthConfig {
                token_lifetime_mins: 480,
                token_cache_secs: 2,
                max_failed_logins: 5,
                max_failed_logins_per_address: 50,
                failure_window_secs: 900,
                lockout_secs: 900,
                sweep_interval_secs: 3600,
            },
            audit: AuditConfig::default(),
            fhir: FhirConfig::default(),
            import: ImportConfig::default(),
            timezone: "UTC".into(),
            admin_password: None,
        }
    }
}

/// Environment variables with our prefix that are not configuration keys.
const NOT_CONFIG: [&str; 3] = ["profile", "config_dir", "test_database_url"];

/// The files a configuration was read from, and those it looked for and
/// did not find, so the start-up log says which settings are in force.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The config directory used, and how it was found.
    pub dir: Option<(PathBuf, &'static str)>,
    /// Places looked at when none was found.
    pub looked_in: Vec<PathBuf>,
    pub loaded: Vec<PathBuf>,
    pub missing: Vec<PathBuf>,
}

impl Sources {
    /// Logs them (after tracing is set up): one line, and a warning for a
    /// profile file or config directory that is not there.
    pub fn announce(&self, profile: Profile) {
        let loaded: Vec<String> = self
            .loaded
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        match &self.dir {
            Some((dir, how)) => tracing::info!(
                %profile,
                dir = %dir.display(),
                found = how,
                loaded = %loaded.join(", "),
                "configuration"
            ),
            None => tracing::warn!(
                %profile,
                looked_in = %self
                    .looked_in
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                "no config directory found: built-in defaults and the environment only (set DIRECTORY_CONFIG_DIR)"
            ),
        }
        for missing in &self.missing {
            tracing::warn!(
                file = %missing.display(),
                "a configuration file is missing: its settings are not in force"
            );
        }
    }
}

/// Finds the config directory: `DIRECTORY_CONFIG_DIR` if set, else
/// `config/` in the working directory, else beside the binary (its
/// directory or up to two above it: an installed `bin/` or cargo's
/// `target/<profile>/`), so the server finds its settings wherever it is
/// started from. `Err` lists where it looked.
pub fn find_config_dir() -> Result<(PathBuf, &'static str), Vec<PathBuf>> {
    if let Some(dir) = std::env::var_os("DIRECTORY_CONFIG_DIR") {
        return Ok((PathBuf::from(dir), "DIRECTORY_CONFIG_DIR"));
    }
    let mut candidates = vec![(PathBuf::from("config"), "working directory")];
    if let Ok(exe) = std::env::current_exe() {
        let mut dir = exe.parent().map(Path::to_path_buf);
        for _ in 0..3 {
            let Some(here) = dir else { break };
            candidates.push((here.join("config"), "beside the binary"));
            dir = here.parent().map(Path::to_path_buf);
        }
    }
    for (dir, how) in &candidates {
        if dir.join("default.toml").is_file() {
            return Ok((dir.clone(), how));
        }
    }
    Err(candidates.into_iter().map(|(dir, _)| dir).collect())
}

impl Config {
    /// Loads the configuration for the profile named by `DIRECTORY_PROFILE`,
    /// from the config directory ([`find_config_dir`]) and `.env`.
    pub fn load() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is worth saying.
        let dotenv = match dotenvy::dotenv() {
            Ok(path) => Some(path),
            Err(e) if e.not_found() => None,
            Err(e) => return Err(ConfigError(format!(".env: {e}"))),
        };
        let profile = std::env::var("DIRECTORY_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .map(|p| p.parse())
            .transpose()?
            .unwrap_or(Profile::Development);
        let mut sources = Sources::default();
        let dir = match find_config_dir() {
            Ok((dir, how)) => {
                if !dir.is_dir() {
                    return Err(ConfigError(format!(
                        "DIRECTORY_CONFIG_DIR: {} is not a directory",
                        dir.display()
                    )));
                }
                sources.dir = Some((dir.clone(), how));
                for file in [
                    dir.join("default.toml"),
                    dir.join(format!("{profile}.toml")),
                ] {
                    if file.is_file() {
                        sources.loaded.push(file);
                    } else {
                        sources.missing.push(file);
                    }
                }
                Some(dir)
            }
            Err(looked_in) => {
                sources.looked_in = looked_in;
                None
            }
        };
        sources.loaded.extend(dotenv);
        let mut config = Self::from_figment(Self::figment(profile, dir.as_deref()), profile)?;
        config.sources = sources;
        Ok(config)
    }

    /// The layers for `profile`, with files from `dir` (none without one).
    pub fn figment(profile: Profile, dir: Option<&Path>) -> Figment {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(dir) = dir {
            figment = figment
                .merge(Toml::file(dir.join("default.toml")))
                .merge(Toml::file(dir.join(format!("{profile}.toml"))));
        }
        figment.merge(Env::prefixed("DIRECTORY_").split("__").ignore(&NOT_CONFIG))
    }

    pub fn from_figment(figment: Figment, profile: Profile) -> Result<Self, ConfigError> {
        let mut config: Config = figment.extract().map_err(|e| {
            let first = e.into_iter().next();
            ConfigError(match first {
                Some(e) => describe(&e),
                None => "unreadable configuration".into(),
            })
        })?;
        config.profile = Some(profile);
        config.check()?;
        Ok(config)
    }

    pub fn profile(&self) -> Profile {
        self.profile.unwrap_or(Profile::Development)
    }

    /// The hospital's time zone, from `timezone`.
    pub fn time_zone(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.timezone.trim().parse().map_err(|_| {
            ConfigError(format!(
                "timezone (DIRECTORY_TIMEZONE): {:?} is not an IANA time zone name such as \"Asia/Kolkata\" or \"UTC\"",
                self.timezone
            ))
        })
    }

    /// Rules a type cannot express.
    fn check(&self) -> Result<(), ConfigError> {
        let url = self.database.url.expose();
        if url.trim().is_empty() {
            return Err(ConfigError(
                "database.url (DIRECTORY_DATABASE__URL) must not be empty".into(),
            ));
        }
        directory_db::Backend::from_url(url)
            .map_err(|e| ConfigError(format!("database.url (DIRECTORY_DATABASE__URL): {e}")))?;
        if self.auth.token_lifetime_mins == 0 {
            return Err(ConfigError(
                "auth.token_lifetime_mins must be at least 1".into(),
            ));
        }
        if self.auth.max_failed_logins == 0 || self.auth.max_failed_logins_per_address == 0 {
            return Err(ConfigError(
                "auth.max_failed_logins and auth.max_failed_logins_per_address must be at least 1"
                    .into(),
            ));
        }
        if self.database.queue_timeout_ms == 0 || self.database.connect_timeout_secs == 0 {
            return Err(ConfigError(
                "database.queue_timeout_ms and database.connect_timeout_secs must be at least 1"
                    .into(),
            ));
        }
        if self.server.header_timeout_secs == 0
            || self.server.request_timeout_secs == 0
            || self.server.keep_alive_secs == 0
            || self.server.max_connections == 0
            || self.server.max_in_flight == 0
        {
            return Err(ConfigError(
                "server.header_timeout_secs, server.request_timeout_secs, server.keep_alive_secs, server.max_connections and server.max_in_flight must be at least 1"
                    .into(),
            ));
        }
        if self.database.pool_size == 0 {
            return Err(ConfigError("database.pool_size must be at least 1".into()));
        }
        if self.audit.retention_days == Some(0) {
            return Err(ConfigError(
                "audit.retention_days must be at least 1 (leave it unset to keep the trail forever)"
                    .into(),
            ));
        }
        if self.fhir.hospital_name.trim().is_empty()
            || self.fhir.employee_id_system.trim().is_empty()
        {
            return Err(ConfigError(
                "fhir.hospital_name and fhir.employee_id_system must not be empty".into(),
            ));
        }
        self.time_zone()?;
        if self.profile() == Profile::Production {
            // Secrets come from the environment, never from committed files.
            if std::env::var("DIRECTORY_DATABASE__URL").map_or(true, |v| v.is_empty()) {
                return Err(ConfigError(
                    "the production profile needs DIRECTORY_DATABASE__URL set in the environment or .env".into(),
                ));
            }
            if self.database.seed_on_start && self.admin_password.is_none() {
                return Err(ConfigError(
                    "the production profile seeds on start, so it needs DIRECTORY_ADMIN_PASSWORD set in the environment or .env".into(),
                ));
            }
        }
        Ok(())
    }
}

/// One line: the key, where it came from, and what is wrong.
fn describe(error: &figment::Error) -> String {
    let key = error.path.join(".");
    let source = error
        .metadata
        .as_ref()
        .map(|m| match &m.source {
            Some(source) => format!(" (from {source})"),
            None => format!(" (from {})", m.name),
        })
        .unwrap_or_default();
    let what = match &error.kind {
        figment::error::Kind::MissingField(field) => {
            let key = if key.is_empty() {
                field.to_string()
            } else {
                format!("{key}.{field}")
            };
            return format!("{key}: missing{source}");
        }
        kind => kind.to_string(),
    };
    if key.is_empty() {
        format!("{what}{source}")
    } else {
        format!("{key}: {what}{source}")
    }
}

#[cfg(test)]
#[allow(
    clippy::result_large_err,
    reason = "figment's Jail closures return its own large error type"
)]
mod tests {
    use super::*;
    use figment::Jail;

    fn load(jail: &Jail, profile: Profile) -> Result<Config, ConfigError> {
        Config::from_figment(Config::figment(profile, Some(jail.directory())), profile)
    }

    #[test]
    fn later_layers_win() {
        Jail::expect_with(|jail| {
            jail.create_file("default.toml", "[database]\npool_size = 8\n")?;
            jail.create_file("development.toml", "[database]\npool_size = 3\n")?;
            assert_eq!(
                load(jail, Profile::Development).unwrap().database.pool_size,
                3
            );
            assert_eq!(load(jail, Profile::Test).unwrap().database.pool_size, 8);
            jail.set_env("DIRECTORY_DATABASE__POOL_SIZE", "5");
            assert_eq!(
                load(jail, Profile::Development).unwrap().database.pool_size,
                5
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        Jail::expect_with(|jail| {
            jail.create_file("default.toml", "[database]\npool_sise = 8\n")?;
            let err = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(err.contains("pool_sise"), "{err}");
            jail.create_file("default.toml", "[server]\nbind = 8080\n")?;
            let err = load(jail, Profile::Development).unwrap_err().to_string();
            assert!(err.contains("server.bind"), "{err}");
            assert_eq!(err.lines().count(), 1);
            Ok(())
        });
    }

    #[test]
    fn the_time_zone_is_an_iana_name() {
        Jail::expect_with(|jail| {
            assert_eq!(
                load(jail, Profile::Test).unwrap().time_zone().unwrap(),
                chrono_tz::Tz::UTC
            );
            jail.set_env("DIRECTORY_TIMEZONE", "Asia/Kolkata");
            assert_eq!(
                load(jail, Profile::Test).unwrap().time_zone().unwrap(),
                chrono_tz::Tz::Asia__Kolkata
            );
            jail.set_env("DIRECTORY_TIMEZONE", "India Standard Time");
            let err = load(jail, Profile::Test).unwrap_err().to_string();
            assert!(err.contains("timezone"), "{err}");
            jail.set_env("DIRECTORY_TIMEZONE", "UTC");
            jail.set_env("DIRECTORY_AUDIT__RETENTION_DAYS", "0");
            let err = load(jail, Profile::Test).unwrap_err().to_string();
            assert!(err.contains("audit.retention_days"), "{err}");
            jail.set_env("DIRECTORY_AUDIT__RETENTION_DAYS", "2555");
            let config = load(jail, Profile::Test).unwrap();
            assert_eq!(config.audit.retention_days, Some(2555));
            Ok(())
        });
    }

    #[test]
    fn production_refuses_to_start_without_its_secrets() {
        Jail::expect_with(|jail| {
            let err = load(jail, Profile::Production).unwrap_err().to_string();
            assert!(err.contains("DIRECTORY_DATABASE__URL"), "{err}");
            jail.set_env("DIRECTORY_DATABASE__URL", "postgres://app:pw@db/directory");
            jail.create_file("production.toml", "[database]\nseed_on_start = true\n")?;
            let err = load(jail, Profile::Production).unwrap_err().to_string();
            assert!(err.contains("DIRECTORY_ADMIN_PASSWORD"), "{err}");
            jail.set_env("DIRECTORY_ADMIN_PASSWORD", "from the environment");
            assert!(load(jail, Profile::Production).is_ok());
            Ok(())
        });
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "DIRECTORY_DATABASE__URL",
                "postgres://app:hunter2@db/directory",
            );
            jail.set_env("DIRECTORY_ADMIN_PASSWORD", "swordfish-passphrase");
            let text = format!("{:?}", load(jail, Profile::Development).unwrap());
            assert!(!text.contains("hunter2"), "{text}");
            assert!(!text.contains("swordfish"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn profiles_parse() {
        assert_eq!(
            "production".parse::<Profile>().unwrap(),
            Profile::Production
        );
        assert!("staging".parse::<Profile>().is_err());
    }
}
