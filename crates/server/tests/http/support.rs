//! Starts the server binary on a fresh database and an ephemeral port.

use directory_db::testing::TestDatabase;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "integration-test-passphrase";

pub fn config_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../config").to_owned()
}

/// The server command with the test profile and a database, before start.
pub fn server_command(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_directory-server"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DIRECTORY_PROFILE", "test")
        .env("DIRECTORY_CONFIG_DIR", config_dir())
        .env("DIRECTORY_DATABASE__URL", database_url)
        .env("DIRECTORY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env(
            "RUST_LOG",
            std::env::var("TEST_SERVER_LOG").unwrap_or_else(|_| "info".into()),
        )
        // No .env from the developer's checkout.
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    token: std::sync::Mutex<Option<String>>,
    _db: Option<TestDatabase>,
}

impl TestServer {
    /// A server on a fresh, migrated and seeded database, with requests
    /// made as the administrator.
    pub async fn start() -> Self {
        let server = Self::start_anonymous();
        let token = server.login("admin", ADMIN_PASSWORD).await;
        server.set_token(Some(token));
        server
    }

    /// The same, with requests made without a token.
    pub fn start_anonymous() -> Self {
        let db = TestDatabase::empty().expect("a test database");
        let mut server = Self::spawn(server_command(&db.url));
        server._db = Some(db);
        server
    }

    /// The token requests are sent with, if any.
    pub fn token(&self) -> Option<String> {
        self.token.lock().expect("token lock").clone()
    }

    /// The token sent with every following request (`None`: no token).
    pub fn set_token(&self, token: Option<String>) {
        *self.token.lock().expect("token lock") = token;
    }

    /// Starts `command` and waits until it listens.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command.spawn().expect("the server binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (addr_tx, addr_rx) = mpsc::channel();
        let (out_tx, out_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = out_tx.send(line.clone());
                if line.contains("ERROR")
                    || line.contains("WARN")
                    || std::env::var_os("TEST_SERVER_ECHO").is_some()
                {
                    eprintln!("server: {line}");
                }
                if let Some(at) = line.find("listening on http://") {
                    let addr: String = line[at + "listening on http://".len()..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    let _ = addr_tx.send(addr);
                }
            }
        });
        let (err_tx, err_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = err_tx.send(line);
            }
        });
        let addr = match addr_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let errors: Vec<String> = err_rx.try_iter().collect();
                panic!("the server did not start: {}", errors.join("\n"));
            }
        };
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            child,
            stdout: out_rx,
            stderr: err_rx,
            token: std::sync::Mutex::new(None),
            _db: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Keeps `db` until the server is dropped.
    pub fn keep(&mut self, db: TestDatabase) {
        self._db = Some(db);
    }

    /// Stops the server (SIGTERM, bounded wait) and returns everything it
    /// logged on standard output.
    pub fn terminate_and_collect_stdout(self) -> String {
        self.send_sigterm();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut this = self;
        while this.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The reader thread ends with the pipe.
        std::thread::sleep(Duration::from_millis(100));
        this.stdout.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// Everything the server wrote to standard error so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }

    /// Sends SIGTERM without waiting.
    pub fn send_sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    pub fn terminate(self) -> ExitStatus {
        self.send_sigterm();
        self.wait_exit()
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the server to completion (for start-up failures) and returns its
/// exit status and standard error.
pub fn run_to_exit(mut command: Command) -> (ExitStatus, String) {
    let output = command
        .stdout(Stdio::null())
        .output()
        .expect("the server binary runs");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What a test looks at in a response.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub etag: Option<String>,
    pub location: Option<String>,
    pub content_type: String,
    /// Every header, by its lower-case name.
    pub headers: std::collections::BTreeMap<String, String>,
    /// The body as text; `body` is the same parsed as JSON (null if not).
    pub text: String,
    pub body: serde_json::Value,
}

impl Res {
    /// What a test looks at, from an answer's status, headers and body.
    fn new(status: u16, headers: &reqwest::header::HeaderMap, text: &str) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            status,
            etag: header("etag"),
            location: header("location"),
            content_type: header("content-type").unwrap_or_default(),
            headers: headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect(),
            text: text.to_owned(),
            body: serde_json::from_str(text).unwrap_or(serde_json::Value::Null),
        }
    }

    /// The `field` of each entry in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn detail(&self) -> String {
        self.body["detail"].as_str().unwrap_or_default().to_owned()
    }

    pub fn id(&self) -> i64 {
        self.body["id"].as_i64().expect("an id in the body")
    }

    /// Asserts a problem+json answer with this status.
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{:#}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        self
    }
}

impl TestServer {
    async fn send(&self, request: reqwest::RequestBuilder) -> Res {
        let token = self.token.lock().expect("token lock").clone();
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.expect("the server answers");
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        Res::new(status, &headers, &response.text().await.unwrap_or_default())
    }
}

/// The requests the contract tests make, to a server in a process of its
/// own ([`TestServer`]) or in this one ([`TestApp`]): the same test reads
/// the same either way.
pub trait Api {
    /// Sends `body` as it is, with these headers and the current token.
    async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Res {
        self.raw_bytes(method, path, headers, body.map(|b| b.as_bytes().to_vec()))
            .await
    }

    /// The same with a body of any bytes (a workbook).
    async fn raw_bytes(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Res;

    /// Sends a request with the current token, JSON `body` if any, and
    /// `If-Match` if given.
    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        if_match: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Res {
        let mut headers = Vec::new();
        if let Some(tag) = if_match {
            headers.push(("if-match", tag));
        }
        let body = body.map(|b| b.to_string());
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.raw(method, path, &headers, body.as_deref()).await
    }

    /// The token sent with every following request (`None`: no token).
    fn use_token(&self, token: Option<String>);

    async fn get(&self, path: &str) -> Res {
        self.request(reqwest::Method::GET, path, None, None).await
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> Res {
        self.request(reqwest::Method::POST, path, None, Some(body))
            .await
    }

    async fn post_empty(&self, path: &str) -> Res {
        self.request(reqwest::Method::POST, path, None, None).await
    }

    async fn put(&self, path: &str) -> Res {
        self.request(reqwest::Method::PUT, path, None, None).await
    }

    async fn patch(&self, path: &str, if_match: Option<&str>, body: serde_json::Value) -> Res {
        self.request(reqwest::Method::PATCH, path, if_match, Some(body))
            .await
    }

    async fn delete(&self, path: &str, if_match: Option<&str>) -> Res {
        self.request(reqwest::Method::DELETE, path, if_match, None)
            .await
    }

    /// Logs in and returns the token (panics on failure).
    async fn login(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let res = self.post("/api/v1/auth/login", body).await;
        assert_eq!(res.status, 200, "login as {username}: {:#}", res.body);
        res.body["access_token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    /// Creates a staff member in department 1 (the RP Centre), unit 1,
    /// designation 1, from the reference data.
    async fn create_staff(&self, n: u32) -> Res {
        let res = self
            .post(
                "/api/v1/staff",
                serde_json::json!({
                    "full_name": format!("Test Person {n}"),
                    "employee_id": format!("T{n:05}"),
                    "email": format!("person{n}@hospital.example.org"),
                    "mobile": format!("+91 98100 {n:05}"),
                    "department_id": 1,
                    "unit_id": 1,
                    "designation_id": 1,
                }),
            )
            .await;
        assert_eq!(res.status, 201, "{:#}", res.body);
        res
    }
}

impl Api for TestServer {
    async fn raw_bytes(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Res {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        self.send(request).await
    }

    fn use_token(&self, token: Option<String>) {
        self.set_token(token);
    }
}

/// The real app, on a fresh, migrated and seeded database of the backend
/// under test, driven in this process through poem's test client: the
/// contract tests' server, without a process or a socket per test (those
/// that are about start-up, configuration, signals, connections and
/// faults keep [`TestServer`]).
pub struct TestApp {
    client: poem::test::TestClient<poem::endpoint::BoxEndpoint<'static>>,
    token: std::sync::Mutex<Option<String>>,
    _db: TestDatabase,
}

impl TestApp {
    /// The app with requests made as the administrator.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// The same with these settings (`("timezone", "Asia/Kolkata")`).
    pub async fn start_with(settings: &[(&str, &str)]) -> Self {
        let app = Self::start_anonymous_with(settings).await;
        let token = app.login("admin", ADMIN_PASSWORD).await;
        app.use_token(Some(token));
        app
    }

    /// The same, with requests made without a token.
    pub async fn start_anonymous() -> Self {
        Self::start_anonymous_with(&[]).await
    }

    async fn start_anonymous_with(settings: &[(&str, &str)]) -> Self {
        use directory_server::config::{Config, Profile};
        use figment::providers::Serialized;
        use poem::EndpointExt;
        let db = TestDatabase::empty().expect("a test database");
        let dir = std::path::PathBuf::from(config_dir());
        let mut figment = Config::figment(Profile::Test, Some(&dir))
            .merge(Serialized::default("database.url", &db.url))
            .merge(Serialized::default("admin_password", ADMIN_PASSWORD));
        for (key, value) in settings {
            // As an environment variable would give it: `2000` a number.
            let value: figment::value::Value = value.parse().expect("a setting's value");
            figment = figment.merge(Serialized::default(key, value));
        }
        let config = Config::from_figment(figment, Profile::Test).expect("the test profile");
        let prepared = config.clone();
        let pool = tokio::task::spawn_blocking(move || {
            directory_server::prepare_database(&prepared).expect("a prepared database")
        })
        .await
        .expect("preparing the database");
        let app = directory_server::build_app(&config, pool).expect("the app");
        Self {
            client: poem::test::TestClient::new(app.boxed()),
            token: std::sync::Mutex::new(None),
            _db: db,
        }
    }
}

impl Api for TestApp {
    async fn raw_bytes(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Res {
        let method = poem::http::Method::from_bytes(method.as_str().as_bytes()).expect("a method");
        let mut request = self.client.request(method, path).header("host", "test");
        if let Some(token) = self.token.lock().expect("token lock").clone() {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.0;
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        let text = response.into_body().into_string().await.unwrap_or_default();
        Res::new(status, &headers, &text)
    }

    fn use_token(&self, token: Option<String>) {
        *self.token.lock().expect("token lock") = token;
    }
}
