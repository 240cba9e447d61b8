//! The real binary: admin commands with the server stopped and running,
//! `serve` start-up and graceful shutdown, and refusals with one clear line.

use crate::support::PASSWORD;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn hippo(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hippo"));
    c.arg("--data-dir").arg(data_dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("HIPPO_") {
            c.env_remove(k);
        }
    }
    c.env("HIPPO_LOG", "warn");
    c
}

fn create_user(data_dir: &Path, username: &str, role: &str) -> std::process::Output {
    let mut child = hippo(data_dir)
        .args([
            "user",
            "create",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn one_line_error(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected failure");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("hippo:")).collect();
    assert_eq!(lines.len(), 1, "one clear line expected, got: {stderr}");
    lines[0].to_owned()
}

#[test]
fn user_commands_work_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = create_user(&data, "alice", "admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(id.len(), 36, "prints the new id: {id}");

    let out = hippo(&data).args(["user", "list"]).output().unwrap();
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(
        listing.contains(&id) && listing.contains("alice") && listing.contains("active"),
        "{listing}"
    );

    // For scripts: the same as JSON.
    let out = hippo(&data)
        .args(["user", "list", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["id"], serde_json::json!(id));
    assert_eq!(rows[0]["username"], serde_json::json!("alice"));
    assert_eq!(rows[0]["role"], serde_json::json!("admin"));

    let out = hippo(&data)
        .args(["user", "deactivate", "alice"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let listing =
        String::from_utf8(hippo(&data).args(["user", "list"]).output().unwrap().stdout).unwrap();
    assert!(listing.contains("deactivated"), "{listing}");
    let out = hippo(&data)
        .args(["user", "reactivate", &id])
        .output()
        .unwrap();
    assert!(out.status.success());

    // Duplicate and weak passwords are refused with one line.
    let line = one_line_error(&create_user(&data, "alice", "admin"));
    assert!(line.contains("taken"), "{line}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("master.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}

#[test]
fn only_serve_and_user_create_start_a_new_installation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("not-here");
    for args in [
        vec!["user", "list"],
        vec!["user", "deactivate", "alice"],
        vec!["user", "api-key", "list", "erp"],
        vec!["audit", "verify"],
        vec!["audit", "export", "--format", "jsonl"],
        vec!["retention", "run"],
        vec!["keys", "rotate"],
        vec!["backup", "create", "--out", "/tmp/never.hippo-backup"],
    ] {
        let out = hippo(&data).args(&args).output().unwrap();
        let line = one_line_error(&out);
        assert!(
            line.contains(&data.display().to_string()) && line.contains("hippo user create"),
            "{args:?}: {line}"
        );
        assert!(!data.exists(), "{args:?} created {}", data.display());
    }
    // A data dir without a database is no installation either.
    std::fs::create_dir(&data).unwrap();
    let line = one_line_error(&hippo(&data).args(["user", "list"]).output().unwrap());
    assert!(line.contains("hippo.db"), "{line}");
    assert!(!data.join("hippo.db").exists() && !data.join("master.key").exists());
    std::fs::remove_dir(&data).unwrap();

    // The first administrator may be created before the first start; it
    // says where.
    let out = create_user(&data, "alice", "admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("created a new hippo data dir at")
            && stderr.contains(&data.display().to_string()),
        "{stderr}"
    );
    let out = hippo(&data).args(["user", "list"]).output().unwrap();
    assert!(out.status.success());
    // The second create says nothing about creating.
    let out = create_user(&data, "bob", "clinician");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("created a new"));
}

#[test]
fn completions_and_the_manual_page_come_from_the_command_tree() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("unused");
    for shell in ["bash", "zsh", "fish"] {
        let out = hippo(&data).args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for word in [
            "serve",
            "api-key",
            "mfa-reset",
            "data-dir",
            "webhook-timeout",
        ] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
    }
    let out = hippo(&data).args(["man"]).output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.contains(".TH hippo 1") && page.contains("secure messaging"),
        "{page}"
    );
    let out = hippo(&data).args(["completions", "tcsh"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
    assert!(!data.exists(), "generating text touches no data dir");
}

#[test]
fn bad_settings_and_unusable_ground_exit_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(create_user(&data, "alice", "admin").status.success());

    let out = hippo(&data)
        .args(["--session-idle-timeout", "soon", "user", "list"])
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("--session-idle-timeout"));
    let out = hippo(&data)
        .args(["user", "list"])
        .env("HIPPO_LOGIN_MAX_FAILURES", "many")
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("HIPPO_LOGIN_MAX_FAILURES"));
    let out = hippo(&data)
        .args(["--listen", "everywhere", "serve"])
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("--listen"));

    // The data dir is a file.
    let file = dir.path().join("afile");
    std::fs::write(&file, "x").unwrap();
    let out = hippo(&file).args(["user", "list"]).output().unwrap();
    assert!(one_line_error(&out).contains("not a directory"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = data.join("master.key");
        let original = std::fs::read(&key).unwrap();
        // World-readable key.
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = hippo(&data).args(["user", "list"]).output().unwrap();
        assert!(one_line_error(&out).contains("chmod 600"));
        // A different key.
        std::fs::remove_file(&key).unwrap();
        let other = dir.path().join("other");
        assert!(create_user(&other, "bob", "admin").status.success());
        std::fs::copy(other.join("master.key"), &key).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = hippo(&data).args(["serve"]).output().unwrap();
        assert!(one_line_error(&out).contains("does not match"));
        // No key at all for existing data.
        std::fs::remove_file(&key).unwrap();
        let out = hippo(&data).args(["user", "list"]).output().unwrap();
        assert!(one_line_error(&out).contains("does not exist"));
        // Garbage key.
        std::fs::write(&key, "not a key").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = hippo(&data).args(["user", "list"]).output().unwrap();
        assert!(one_line_error(&out).contains("not a hippo master key"));
        std::fs::write(&key, original).unwrap();
        let out = hippo(&data).args(["user", "list"]).output().unwrap();
        assert!(out.status.success());
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serve_prints_fingerprint_accepts_cli_changes_and_drains_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let backups = dir.path().join("backups");
    let mut child = hippo(&data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--backup-dir")
        .arg(&backups)
        .args(["--backup-interval", "1s", "--backup-keep", "2"])
        .args(["--backup-drill-interval", "2s", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut fingerprint = None;
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("server did not start");
        if let Some(fp) = line.strip_prefix("TLS certificate SHA-256 fingerprint: ") {
            fingerprint = Some(fp.to_owned());
        }
        if line.starts_with("hippo listening on https://127.0.0.1:") {
            break;
        }
    }
    let fingerprint = fingerprint.expect("fingerprint printed");
    assert_eq!(fingerprint.len(), 32 * 3 - 1, "{fingerprint}");

    // The admin CLI works while the server runs.
    let out = create_user(&data, "alice", "admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let pem = std::fs::read(data.join("tls/cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let resp = client
        .post(format!("https://localhost:{port}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["mfa_enrollment_required"], serde_json::json!(true));

    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));

    // Scheduled backups: written every interval, only the newest kept.
    let list = || -> Vec<std::path::PathBuf> {
        let mut v: Vec<std::path::PathBuf> = std::fs::read_dir(&backups)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.retain(|p| p.extension().is_some_and(|e| e == "backup"));
        v.sort();
        v
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while list().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "no scheduled backups: {:?}",
            list()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // (A new backup appears a moment before the oldest goes.)
    let mut kept = list();
    for _ in 0..20 {
        if kept.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        kept = list();
    }
    assert_eq!(kept.len(), 2, "backup_keep: {kept:?}");
    // Each backup has its key file; disposed backups take theirs along.
    for b in &kept {
        assert!(hippo_service::backup_keys::path_for(b).exists(), "{b:?}");
    }
    let oldest_keys = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".backup.keys"))
        .filter(|p| {
            let backup = p.with_extension("");
            !backup.exists() && backup < kept[0]
        })
        .count();
    assert_eq!(oldest_keys, 0, "key files of disposed backups remain");
    let out = hippo(&data)
        .args(["backup", "verify"])
        .arg(&kept[1])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Scheduled restore drills of the newest backup, in the trail.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = hippo(&data)
            .args(["audit", "export", "--format", "jsonl"])
            .output()
            .unwrap();
        let trail = String::from_utf8_lossy(&out.stdout);
        let drilled = trail.lines().any(|l| {
            l.contains("\"backup.drill\"")
                && l.contains("\"success\"")
                && l.contains("audit_records_verified")
        });
        if drilled {
            break;
        }
        assert!(Instant::now() < deadline, "no passed drill in the trail");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop(client);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "exit status {code:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // However the last drill ended (done, or cut off by the shutdown), its
    // scratch copy is gone.
    assert!(
        !std::fs::read_dir(&data).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".drill-")),
        "a drill's scratch copy was left behind"
    );
}

#[test]
fn settings_check_prints_each_value_and_its_source_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("hippo.toml");
    std::fs::write(&file, "login_max_failures = 3\nlisten = \"127.0.0.1:1\"\n").unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let out = hippo(&data)
        .args(["settings", "check", "--listen", "127.0.0.1:2"])
        .arg("--config")
        .arg(&file)
        .env("HIPPO_SESSION_IDLE_TIMEOUT", "5m")
        .env("HIPPO_WHATSAPP_APP_SECRET", "s3cret-app")
        .env("HIPPO_WHATSAPP_ACCESS_TOKEN_FILE", &token)
        .env("HIPPO_WHATSAPP_VERIFY_TOKEN", "s3cret-verify")
        .env("HIPPO_WHATSAPP_PHONE_NUMBER_ID", "1")
        .env("HIPPO_WHATSAPP_BUSINESS_ACCOUNT_ID", "2")
        .env("HIPPO_LISTN", "typo")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("s3cret"), "{stdout}");
    let line = |key: &str| -> String {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} in {stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("listen"), "listen = \"127.0.0.1:2\" # flag --listen");
    assert_eq!(
        line("session_idle_timeout"),
        "session_idle_timeout = \"5m\" # env HIPPO_SESSION_IDLE_TIMEOUT"
    );
    assert_eq!(
        line("login_max_failures"),
        format!("login_max_failures = 3 # file {}", file.display())
    );
    assert_eq!(line("backup_keep"), "backup_keep = 14 # default");
    assert_eq!(
        line("whatsapp_access_token"),
        "whatsapp_access_token = \"<redacted>\" # env HIPPO_WHATSAPP_ACCESS_TOKEN_FILE (file)"
    );
    assert_eq!(
        line("whatsapp_app_secret"),
        "whatsapp_app_secret = \"<redacted>\" # env HIPPO_WHATSAPP_APP_SECRET"
    );
    assert!(
        stdout.contains("# HIPPO_LISTN: unknown environment variable, ignored (typo?)"),
        "{stdout}"
    );
    assert!(!data.exists(), "checking settings touches no data");

    // Flag beats environment beats file, for the same setting.
    let out = hippo(&data)
        .args(["settings", "check", "--listen", "127.0.0.1:3"])
        .arg("--config")
        .arg(&file)
        .env("HIPPO_LISTEN", "127.0.0.1:4")
        .env("HIPPO_LOGIN_MAX_FAILURES", "7")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("listen = \"127.0.0.1:3\"") && stdout.contains("login_max_failures = 7 "),
        "{stdout}"
    );

    // Invalid settings: one line, exit 2.
    let out = hippo(&data)
        .args([
            "settings",
            "check",
            "--tls-cert",
            "missing.pem",
            "--tls-key",
            "k.pem",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let line = one_line_error(&out);
    assert!(
        line.contains("--tls-cert / HIPPO_TLS_CERT: cannot read missing.pem"),
        "{line}"
    );
    let out = hippo(&data)
        .args(["settings", "check", "--cluster-bus", "nats://nats:4222"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_error(&out).contains("cluster bus needs PostgreSQL"));
    let out = hippo(&data)
        .args(["settings", "check"])
        .env("HIPPO_CLUSTER_BUS", "carrier-pigeon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_error(&out).contains("HIPPO_CLUSTER_BUS"));
}

#[test]
fn each_command_help_lists_only_the_settings_it_uses() {
    let help = |args: &[&str]| -> String {
        let out = hippo(Path::new("unused")).args(args).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let create = help(&["user", "create", "--help"]);
    assert!(create.contains("--data-dir") && create.contains("--require-mfa"));
    assert!(!create.contains("--whatsapp-") && !create.contains("--listen"));
    let serve = help(&["serve", "--help"]);
    assert!(serve.contains("--whatsapp-access-token") && serve.contains("--cluster-bus"));
    // A setting a command does not list is still accepted.
    let out = hippo(Path::new("unused"))
        .args(["user", "list", "--listen", "nowhere"])
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("--listen / HIPPO_LISTEN"));
}

#[tokio::test]
async fn sigterm_tells_open_sockets_to_reconnect_with_1001() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let mut child = hippo(&data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--require-mfa", "false", "serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pem = loop {
        if let Ok(pem) = std::fs::read(data.join("tls/cert.pem")) {
            break pem;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}");
    while client.get(format!("{url}/readyz")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let password = "a-long-enough-passphrase-77";
    let mut create = hippo(&data)
        .args([
            "user",
            "create",
            "--username",
            "nora",
            "--role",
            "clinician",
        ])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    assert!(create.wait().unwrap().success());
    let login: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "nora", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("token").to_owned();
    let mut ws = crate::support::ws_to(&data, port, Some(&token)).await;
    crate::support::frame_of(&mut ws, "ready").await;

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let close = loop {
        match ws.next().await {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(close.expect("a close frame").code), 1001);
    drop(ws);
    assert!(
        tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap()
            .success()
    );
}
