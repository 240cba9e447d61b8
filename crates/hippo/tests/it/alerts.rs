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
        // The whole trail is forwarded too (its test is below).
        if f.contains(" audit_record ") {
            continue;
        }
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

/// The whole trail reaches a collector that asks for hippo's client
/// certificate: every record once, in order, ids only; after the
/// collector goes away, forwarding resumes where it stopped.
#[tokio::test]
async fn every_audit_record_is_forwarded_from_where_it_stopped_with_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let ca_path = dir.path().join("siem-ca.pem");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let mut client_params = rcgen::CertificateParams::new(vec!["hippo-node-1".to_owned()]).unwrap();
    client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let client_key = rcgen::KeyPair::generate().unwrap();
    let client_cert = client_params.signed_by(&client_key, &ca).unwrap();
    let (cert_path, key_path) = (dir.path().join("hippo.pem"), dir.path().join("hippo.key"));
    std::fs::write(&cert_path, client_cert.pem()).unwrap();
    std::fs::write(&key_path, client_key.serialize_pem()).unwrap();
    // The collector accepts only clients with a certificate from the CA.
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![server_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(server_config));
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = collector.local_addr().unwrap().port();
    let (ca_file, cert_file, key_file) = (
        ca_path.display().to_string(),
        cert_path.display().to_string(),
        key_path.display().to_string(),
    );
    let s = TestServer::start_with(move |a| {
        a.syslog_target = Some(format!("tls://localhost:{port}"));
        a.syslog_ca_file = Some(ca_file);
        a.syslog_client_cert = Some(cert_file);
        a.syslog_client_key = Some(key_file);
    })
    .await;
    let ana = s.clinician("ana").await;
    let ben = s.clinician("ben").await;
    let conv = s.group(&ana, [&ben], "Ward 6").await;
    s.send(&ana, &conv, "obs at 14:00").await;

    let accept = async || {
        let (tcp, _) = tokio::time::timeout(Duration::from_secs(10), collector.accept())
            .await
            .expect("the forwarder connects")
            .unwrap();
        acceptor
            .accept(tcp)
            .await
            .expect("TLS handshake with the client certificate")
    };
    // Reads audit_record frames until `seq` arrived; returns every seq seen.
    async fn records_through(
        conn: &mut (impl AsyncRead + Unpin),
        seq: i64,
        seen: &mut Vec<i64>,
        frames: &mut Vec<String>,
    ) {
        while seen.last().is_none_or(|last| *last < seq) {
            let f = frame(conn).await;
            if !f.contains(" audit_record ") {
                continue;
            }
            let n: i64 = f
                .split("seq=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no seq in {f}"));
            seen.push(n);
            frames.push(f);
        }
    }
    let committed = |trail: &[hippo_store::AuditRecord]| trail.iter().map(|r| r.seq).max().unwrap();
    let mut conn = accept().await;
    let (mut seen, mut frames) = (Vec::new(), Vec::new());
    let upto = committed(&s.audit().await);
    records_through(&mut conn, upto, &mut seen, &mut frames).await;
    assert_eq!(
        seen,
        (1..=upto).collect::<Vec<_>>(),
        "every record once, in order"
    );
    let send = frames
        .iter()
        .find(|f| f.contains("action=\"message.send\""))
        .expect("the message send is forwarded");
    assert!(send.starts_with("<85>1 "), "notice: {send}");
    assert!(send.contains(&format!("actor_id=\"{}\"", ana.id)), "{send}");
    assert!(send.contains(" hash=\""), "{send}");
    for f in &frames {
        assert!(
            !f.contains("obs at") && !f.contains("\"ana\"") && !f.contains("Ward 6"),
            "{f}"
        );
    }

    // The collector goes away; the trail grows; it comes back.
    drop(conn);
    for text in ["one", "two", "three"] {
        s.send(&ben, &conv, text).await;
    }
    let upto = committed(&s.audit().await);
    let mut conn = accept().await;
    let mut again = Vec::new();
    records_through(&mut conn, upto, &mut again, &mut frames).await;
    // Resumed where it stopped: nothing missing, at most the last write
    // of the dropped connection again.
    let first = again[0];
    assert!(
        first <= *seen.last().unwrap() + 1,
        "a gap: {seen:?} then {again:?}"
    );
    let mut all = seen.clone();
    all.extend(again.iter().filter(|n| **n > *seen.last().unwrap()));
    assert_eq!(all, (1..=upto).collect::<Vec<_>>());
    s.stop().await;
}
