//! The test harness: a real hippo (same `app::open_with` and router as
//! `hippo serve`) on a loopback port over TLS, with a fake clock, in a temp
//! data dir. `HIPPO_TEST_DATABASE=postgres` runs it on PostgreSQL
//! (`HIPPO_TEST_DATABASE_URL`, default the local server) in a fresh schema.

#![allow(dead_code, reason = "helpers used by some test modules only")]

use hippo::settings::{Config, SettingArgs};
use hippo_core::{FakeClock, Timestamp};
use hippo_crypto::{PasswordHasher, totp};
use hippo_service::Hippo;
use hippo_service::Principal;
use hippo_service::users::NewUser;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// 2026-01-01T00:00:00Z, a fixed start for the fake clock.
pub const START: i64 = 1_767_225_600_000;

pub const PASSWORD: &str = "correct-kettle-drum-42";

pub fn pg_url() -> String {
    std::env::var("HIPPO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn on_postgres() -> bool {
    std::env::var("HIPPO_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A fresh PostgreSQL schema and a URL that selects it.
pub async fn fresh_pg_schema() -> (String, String) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let schema = format!(
        "it_{}_{}_{n}",
        std::process::id(),
        hippo_core::UserId::generate().as_str()[24..].replace('-', "")
    );
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&pg_url())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {} is required for these tests: {e}",
                pg_url()
            )
        });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if pg_url().contains('?') { '&' } else { '?' };
    (
        schema.clone(),
        format!("{}{sep}options=-c%20search_path%3D{schema}", pg_url()),
    )
}

/// Settings for a test server in `dir`.
pub async fn test_config(dir: &std::path::Path, tweak: impl FnOnce(&mut SettingArgs)) -> Config {
    let mut args = SettingArgs {
        data_dir: Some(dir.join("data").display().to_string()),
        listen: Some("127.0.0.1:0".into()),
        ..SettingArgs::default()
    };
    if on_postgres() {
        args.database_url = Some(fresh_pg_schema().await.1);
    }
    tweak(&mut args);
    args.resolve().expect("test settings")
}

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: FakeClock,
    pub hippo: Arc<Hippo>,
    pub config: Config,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut SettingArgs)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = test_config(dir.path(), tweak).await;
        let clock = FakeClock::new(Timestamp::from_millis(START));
        Self::start_on(dir, config, clock).await
    }

    /// Stops this server and starts a new one on the same data and clock,
    /// as a restart of the process would.
    pub async fn restart(mut self) -> Self {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.hippo.store().close().await;
        let (dir, config, clock) = (
            std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir")),
            self.config.clone(),
            self.clock.clone(),
        );
        drop(self);
        Self::start_on(dir, config, clock).await
    }

    pub async fn start_on(dir: tempfile::TempDir, config: Config, clock: FakeClock) -> Self {
        // Cheap argon2 parameters keep the suite fast; the production
        // parameters are measured in BENCHMARKS.md.
        let hasher = PasswordHasher::with_params(1024, 1, 1).expect("hasher");
        let app = hippo::app::open_with(&config, Arc::new(clock.clone()), hasher)
            .await
            .expect("open app");
        let forwarder = hippo::cli::serve::spawn_alert_forwarder(&config, &app.hippo)
            .expect("syslog forwarder");
        let relay = hippo::cluster::spawn_relay(
            config.database_url.as_deref().map(String::as_str),
            config.cluster_bus.as_ref(),
            &app.hippo,
        )
        .await
        .expect("cluster relay");
        let router = hippo_http::router(
            app.hippo.clone(),
            hippo_http::HttpOptions {
                tls: !config.insecure_http,
            },
        );
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let serve_config = config.clone();
        let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
        let workers = hippo::app::spawn_whatsapp_workers(&app.hippo, &workers_stop);
        let leases = app.hippo.clone();
        let task = tokio::spawn(async move {
            let _forwarder = forwarder;
            let _stop = workers_stop;
            hippo::cli::serve::serve_until(
                &serve_config,
                router,
                async {
                    let _ = shutdown_rx.await;
                },
                move |addr, _| {
                    let _ = addr_tx.send(addr);
                },
            )
            .await
            .expect("serve");
            let _ = stop_workers.send(true);
            for w in workers {
                let _ = w.await;
            }
            leases.ops().release_leases().await;
            for task in relay.into_iter().flatten() {
                task.abort();
            }
        });
        let addr = addr_rx.await.expect("server address");
        let scheme = if config.insecure_http {
            "http"
        } else {
            "https"
        };
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
        if !config.insecure_http {
            let pem = std::fs::read(config.data_dir.join("tls/cert.pem")).expect("generated cert");
            builder = builder.tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("pem")]);
        }
        Self {
            base: format!("{scheme}://localhost:{}", addr.port()),
            client: builder.build().expect("client"),
            clock,
            hippo: app.hippo,
            config,
            dir,
            shutdown: Some(shutdown_tx),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The real `hippo` binary on this server's data (and database), as an
    /// operator would run it next to the server.
    pub fn cli(&self) -> std::process::Command {
        let mut c = hippo_command();
        c.arg("--data-dir").arg(&self.config.data_dir);
        if let Some(url) = &self.config.database_url {
            c.env("HIPPO_DATABASE_URL", url);
        }
        c
    }

    /// Runs the real binary with `args` without blocking the runtime (the
    /// server in this process keeps serving meanwhile).
    pub async fn run_cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.cli();
        cmd.args(args);
        tokio::task::spawn_blocking(move || cmd.output().expect("run hippo"))
            .await
            .expect("cli task")
    }

    /// Uploads a text file as `token`; returns its id.
    pub async fn upload_text(&self, token: &str, filename: &str, text: &str) -> String {
        let resp = self
            .client
            .post(self.url(&format!("/api/v1/attachments?filename={filename}")))
            .bearer_auth(token)
            .header("content-type", "text/plain")
            .body(text.to_owned())
            .send()
            .await
            .expect("upload");
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json::<Value>().await.expect("upload answer")["id"]
            .as_str()
            .expect("attachment id")
            .to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request; returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// A GET whose answer is not JSON (a file's bytes, as text).
    pub async fn get_text(&self, path: &str, token: &str) -> (StatusCode, String) {
        let resp = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.text().await.expect("body"))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Creates a user through the CLI path (as `hippo user create` does).
    pub async fn create_user(&self, username: &str, role: &str) -> String {
        self.hippo
            .users()
            .create(
                Principal::Operator,
                NewUser {
                    username: username.into(),
                    display_name: Some(format!("User {username}")),
                    role: role.into(),
                    password: zeroize::Zeroizing::new(PASSWORD.into()),
                },
            )
            .await
            .expect("create user")
            .id
            .to_string()
    }

    pub async fn login_raw(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut body = json!({ "username": username, "password": password });
        if let Some(c) = code {
            body["totp_code"] = json!(c);
        }
        self.post("/api/v1/auth/login", None, body).await
    }

    /// The TOTP code at the fake clock's current time.
    pub fn code_now(&self, secret_base32: &str) -> String {
        let secret = base32_decode(secret_base32);
        let now = hippo_core::Clock::now(&self.clock).as_millis() / 1000;
        totp::code_at_step(&secret, totp::step_of(now))
    }

    /// Enrolls TOTP for a fresh user and returns (secret, full token).
    pub async fn enroll_and_login(&self, username: &str) -> (String, String) {
        let (status, body) = self.login_raw(username, PASSWORD, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["mfa_enrollment_required"], json!(true));
        let limited = body["token"].as_str().expect("token").to_owned();
        let (status, body) = self
            .post("/api/v1/me/mfa/totp", Some(&limited), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let secret = body["secret"].as_str().expect("secret").to_owned();
        let code = self.code_now(&secret);
        let (status, body) = self
            .post(
                "/api/v1/me/mfa/totp/confirm",
                Some(&limited),
                json!({ "code": code }),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        // Each code is accepted once: move to the next step for the login.
        self.clock.advance(Duration::from_secs(30));
        let token = self.login_with_code(username, &secret).await;
        (secret, token)
    }

    /// Logs in with the current code; returns the token.
    pub async fn login_with_code(&self, username: &str, secret: &str) -> String {
        let code = self.code_now(secret);
        let (status, body) = self.login_raw(username, PASSWORD, Some(&code)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["mfa_enrollment_required"], json!(false));
        body["token"].as_str().expect("token").to_owned()
    }

    /// A user of `role` with MFA enrolled and a full session: (id, token, secret).
    pub async fn signed_in(&self, username: &str, role: &str) -> (String, String, String) {
        let id = self.create_user(username, role).await;
        let (secret, token) = self.enroll_and_login(username).await;
        (id, token, secret)
    }

    /// Logs in with the code of the next time step.
    pub async fn login_with_code_after_step_pub(&self, username: &str, secret: &str) -> String {
        self.clock.advance(Duration::from_secs(30));
        self.login_with_code(username, secret).await
    }

    /// Every audit record, checked to form an intact chain.
    pub async fn audit(&self) -> Vec<hippo_store::AuditRecord> {
        let records = self
            .hippo
            .store()
            .list_audit(0, 1_000_000)
            .await
            .expect("audit");
        let genesis = (0, hippo_store::chain::GENESIS_HASH.to_owned());
        assert_eq!(
            hippo_store::chain::first_break(&records, genesis),
            None,
            "audit chain broken"
        );
        records
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

impl TestServer {
    /// Opens `GET /api/v1/stream` over TLS, with the token in the
    /// `Authorization` header when given.
    pub async fn ws(&self, header_token: Option<&str>) -> Ws {
        let port = self.base.rsplit(':').next().unwrap();
        ws_to(&self.config.data_dir, port.parse().unwrap(), header_token).await
    }
}

/// Opens `GET /api/v1/stream` over TLS on a local node whose generated
/// certificate is in `data_dir`, with the token in the header when given.
pub async fn ws_to(data_dir: &std::path::Path, port: u16, header_token: Option<&str>) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let pem = std::fs::read(data_dir.join("tls/cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        <rustls::pki_types::CertificateDer as rustls::pki_types::pem::PemObject>::pem_slice_iter(
            &pem,
        )
    {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls))
        .connect(name, tcp)
        .await
        .unwrap();
    let mut req = format!("wss://localhost:{port}/api/v1/stream")
        .into_client_request()
        .unwrap();
    if let Some(t) = header_token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    let (ws, _) = tokio_tungstenite::client_async(req, stream).await.unwrap();
    ws
}

/// The next JSON frame (skipping pings), or `None` when the socket closed.
pub async fn next_frame(ws: &mut Ws) -> Option<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("frame within 10 s");
        match msg {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(t.as_str()).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// The next frame of `kind`, skipping others.
pub async fn frame_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let f = next_frame(ws)
            .await
            .unwrap_or_else(|| panic!("socket closed while waiting for {kind}"));
        if f["type"] == json!(kind) {
            return f;
        }
    }
}

pub fn base32_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {c}"),
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// Asserts a problem+json answer with `code`.
pub fn assert_problem(status: StatusCode, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["code"], json!(want_code), "{body}");
    assert_eq!(body["status"], json!(want_status), "{body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string() && body["type"].is_string(),
        "{body}"
    );
}

/// Every file below `dir`.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The real `hippo` binary, with this process's `HIPPO_*` settings removed
/// and logging quiet.
pub fn hippo_command() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hippo"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HIPPO_") {
            c.env_remove(k);
        }
    }
    c.env("HIPPO_LOG", "error");
    c
}
