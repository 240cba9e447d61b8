//! hippo-client against a real hippo (hippo-testkit's `TestServer`: the
//! same router, workers and TLS as `hippo serve`, on a loopback port):
//! sign-in and the REST calls, the stream, API keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests: a failed step should panic with its message"
)]

mod api_keys;
mod rest;
mod stream;

use hippo_client::Client;
use hippo_testkit::TestServer;

/// A server whose sign-ins need no TOTP (as `--require-mfa false`).
async fn server() -> TestServer {
    TestServer::start_with(|a| a.require_mfa = Some("false".into())).await
}

/// A client of `s` without a token, trusting its generated certificate.
fn client(s: &TestServer) -> Client {
    let pem = std::fs::read(s.config.data_dir.join("tls/cert.pem")).expect("cert.pem");
    Client::builder(&s.base)
        .root_certificates_pem(&pem)
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A user of `role` created as the CLI does, signed in: their client.
async fn signed_in(s: &TestServer, username: &str, role: &str) -> (String, Client) {
    let id = s.create_user(username, role).await;
    let anonymous = client(s);
    let login = anonymous
        .login(username, hippo_testkit::PASSWORD, None)
        .await
        .expect("login");
    assert_eq!(login.user.id, id);
    let token = login.token.expect("a bearer token");
    (id, anonymous.with_token(token.expose()))
}
