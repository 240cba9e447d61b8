//! Security alerts: raised on lockout and credential stuffing, listed for
//! auditors, and forwarded as RFC 5424 syslog over TCP and TLS to a local
//! collector.

use crate::support::{TestServer, assert_problem};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads one octet-counted syslog frame (RFC 6587 / RFC 5425).
async fn frame(conn: &mut (impl AsyncRead + Unpin)) -> String {
    let mut len = Vec::new();
    loop {
        let mut b = [0u8; 1];
        tokio::time::timeout(Duration::from_secs(10), conn.read_exact(&mut b))
            .await
            .expect("a syslog frame in time")
            .unwrap();
        if b[0] == b' ' {
            break;
        }
        assert!(b[0].is_ascii_digit(), "octet count expected");
        len.push(b[0]);
    }
    let n: usize = String::from_utf8(len).unwrap().parse().unwrap();
    let mut msg = vec![0u8; n];
    conn.read_exact(&mut msg).await.unwrap();
    String::from_utf8(msg).unwrap()
}

/// The next alert frame; signed audit tree heads (forwarded too, as a
/// witness) are checked and collected into `heads`.
async fn alert_frame(conn: &mut (impl AsyncRead + Unpin), heads: &mut Vec<String>) -> String {
    loop {
        let f = frame(conn).await;
        if f.contains(" audit_tree_head ") {
            assert!(f.starts_with("<86>1 "), "informational: {f}");
            assert!(f.contains("tree_size=\""), "{f}");
            heads.push(f);
            continue;
        }
        return f;
    }
}

async fn lock_out(s: &TestServer, username: &str) {
    for _ in 0..5 {
        let (status, _) = s.login_raw(username, "not-the-password-at-all", None).await;
        assert_eq!(status.as_u16(), 401);
    }
}

#[tokio::test]
async fn alerts_reach_auditors_and_a_syslog_collector_over_tcp() {
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = collector.local_addr().unwrap().port();
    let s = TestServer::start_with(|a| {
        a.syslog_target = Some(format!("tcp://127.0.0.1:{port}"));
    })
    .await;
    let (ana_id, ana, _) = s.signed_in("ana", "clinician").await;
    let auditor = s.auditor().await.token;

    lock_out(&s, "ana").await;
    let (mut conn, _) = tokio::time::timeout(Duration::from_secs(10), collector.accept())
        .await
        .expect("the forwarder connects")
        .unwrap();
    let mut heads = Vec::new();
    let locked = alert_frame(&mut conn, &mut heads).await;
    assert!(locked.starts_with("<84>1 "), "{locked}");
    assert!(locked.contains(" hippo "), "{locked}");
    assert!(locked.contains(" account_locked [hippo@32473 "), "{locked}");
    assert!(
        locked.contains(&format!("user_id=\"{ana_id}\"")),
        "{locked}"
    );
    assert!(!locked.contains("\"ana\""), "no usernames: {locked}");

    // A burst of failures across many accounts.
    for i in 0..20 {
        let (status, _) = s
            .login_raw(&format!("ghost{i}"), "not-the-password-at-all", None)
            .await;
        assert_eq!(status.as_u16(), 401);
    }
    let stuffing = alert_frame(&mut conn, &mut heads).await;
    assert!(stuffing.starts_with("<82>1 "), "critical: {stuffing}");
    assert!(stuffing.contains(" credential_stuffing "), "{stuffing}");
    assert!(!stuffing.contains("ghost"), "no usernames: {stuffing}");

    // Auditors list them; others may not.
    let (status, body) = s.get("/api/v1/alerts", &auditor).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let kinds: Vec<&str> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["credential_stuffing", "account_locked"]);
    let locked_alert: &Value = &body["alerts"][1];
    assert_eq!(locked_alert["severity"], json!("warning"));
    assert_eq!(locked_alert["detail"]["user_id"], json!(ana_id));
    let (status, body) = s.get("/api/v1/alerts", &ana).await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = s.get("/api/v1/alerts?since=soon", &auditor).await;
    assert_problem(status, &body, 422, "validation_failed");
    // Signed tree heads reach the collector too, ids and hashes only.
    s.clock.advance(Duration::from_secs(5));
    let (status, head) = s.get("/api/v1/audit/tree-head", &auditor).await;
    assert_eq!(status.as_u16(), 200, "{head}");
    let wanted = format!("tree_size=\"{}\"", head["tree_size"]);
    while !heads.iter().any(|h| h.contains(&wanted)) {
        heads.push(frame(&mut conn).await);
    }
    // The username as a value (quoted): a bare "ana" can occur by chance
    // in a base64 signature.
    assert!(heads.iter().all(|h| !h.contains("\"ana\"")), "{heads:?}");
    s.stop().await;
}

#[tokio::test]
async fn alerts_are_forwarded_over_tls_to_a_trusted_collector() {
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let ca_path = dir.path().join("siem-ca.pem");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let server_config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(server_config));
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = collector.local_addr().unwrap().port();

    let ca_file = ca_path.display().to_string();
    let s = TestServer::start_with(move |a| {
        a.syslog_target = Some(format!("tls://localhost:{port}"));
        a.syslog_ca_file = Some(ca_file);
    })
    .await;
    s.signed_in("ana", "clinician").await;
    lock_out(&s, "ana").await;
    let (tcp, _) = tokio::time::timeout(Duration::from_secs(10), collector.accept())
        .await
        .expect("the forwarder connects")
        .unwrap();
    let mut tls = acceptor.accept(tcp).await.expect("TLS handshake");
    let locked = alert_frame(&mut tls, &mut Vec::new()).await;
    assert!(locked.contains(" account_locked "), "{locked}");
    s.stop().await;
}
