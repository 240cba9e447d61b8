//! The test harness every crate's integration tests share: a real hippo
//! (the same `app::open_with` and router as `hippo serve`) on a loopback
//! port over TLS, with a fake clock, in a temp data dir.
//!
//! ```ignore
//! let s = TestServer::builder().setting(|a| a.max_upload = Some("1MiB".into())).start().await;
//! let [ana, ben] = s.clinicians(["ana", "ben"]).await;
//! let conv = s.group(&ana, [&ben], "Ward 7").await;
//! let msg = s.send(&ana, &conv, "hello").await;
//! ```
//!
//! `HIPPO_TEST_DATABASE=postgres` runs every server on PostgreSQL
//! (`HIPPO_TEST_DATABASE_URL`, default the local server) in a fresh schema;
//! [`Builder::postgres`] asks for that per server.
//!
//! Everything here panics on a failed step, with the step's message: the
//! harness is for tests only.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test harness: a failed step should panic with its message"
)]

mod auth;
mod cli;
mod fixtures;
mod http;
mod pg;
mod server;
mod ws;

pub use auth::base32_decode;
pub use cli::{hippo_bin, hippo_command};
pub use fixtures::SignedIn;
pub use pg::{fresh_pg_schema, on_postgres, pg_url};
pub use server::{Builder, TestServer, test_config, wire_whatsapp};
pub use ws::{Ws, frame_of, next_frame, tls_to, ws_to, ws_with_headers};

use reqwest::StatusCode;
use serde_json::{Value, json};

/// 2026-01-01T00:00:00Z, a fixed start for the fake clock.
pub const START: i64 = 1_767_225_600_000;

/// The password of every user the harness creates.
pub const PASSWORD: &str = "correct-kettle-drum-42";

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
