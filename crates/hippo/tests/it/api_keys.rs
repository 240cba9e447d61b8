//! API keys of service accounts, through the real HTTP stack: shown once,
//! no MFA and no idle timeout, every use audited with the key id as the
//! session id, revocation at once (sockets too), address allow-lists,
//! expiry, termination with the account, and the CLI.

use crate::support::{TestServer, assert_problem, frame_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// A service account and a key for it: (account id, key id, key).
async fn service_key(s: &TestServer, admin: &str, body: Value) -> (String, String, String) {
    let service = s
        .create_user(&format!("erp-{}", rand_suffix()), "service")
        .await;
    let (status, created) = s
        .post(
            &format!("/api/v1/users/{service}/api-keys"),
            Some(admin),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (
        service,
        created["id"].as_str().unwrap().to_owned(),
        created["key"].as_str().unwrap().to_owned(),
    )
}

fn rand_suffix() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}

#[tokio::test]
async fn a_key_works_without_mfa_or_idle_timeout_and_every_use_is_audited_with_its_id() {
    let s = TestServer::start().await;
    let admin_user = s.admin().await;
    let admin = admin_user.token.clone();
    let (service, key_id, key) = service_key(
        &s,
        &admin,
        json!({ "name": "ERP bridge", "expires_in": "30d" }),
    )
    .await;
    assert!(key.starts_with("hpk_"), "{key}");

    // MFA is required by default; the key needs none.
    let (status, me) = s.get("/api/v1/me", &key).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], json!(service));
    assert_eq!(me["role"], json!("service"));
    // Past the idle timeout (15 min) and a session's lifetime (12 h).
    s.clock.advance(Duration::from_secs(13 * 3600));
    let (status, _) = s.get("/api/v1/patients", &key).await;
    assert_eq!(status, StatusCode::OK, "a key never idles out");
    let admin = s.second_session(&admin_user).await;

    // Listed without the key; last use shown.
    let (_, list) = s
        .get(&format!("/api/v1/users/{service}/api-keys"), &admin)
        .await;
    let listed = &list["api_keys"][0];
    assert_eq!(listed["id"], json!(key_id));
    assert_eq!(listed["state"], json!("active"));
    assert_eq!(listed["name"], json!("ERP bridge"));
    assert!(listed.get("key").is_none(), "{listed}");
    assert!(
        !list.to_string().contains(&key[4..]),
        "the key is never shown again"
    );
    assert!(listed["last_used_at"].is_string(), "{listed}");

    // Its uses are recorded like a session's, with the key id.
    let audit = s.audit().await;
    let uses: Vec<_> = audit
        .iter()
        .filter(|r| r.session_id.as_ref().map(|x| x.as_str()) == Some(key_id.as_str()))
        .collect();
    assert!(
        uses.iter().any(|r| r.action.as_str() == "patient.read"),
        "{:?}",
        uses.iter().map(|r| r.action.as_str()).collect::<Vec<_>>()
    );
    assert!(
        uses.iter()
            .all(|r| r.actor_id.as_ref().map(|x| x.as_str()) == Some(service.as_str()))
    );
    let created = audit
        .iter()
        .find(|r| r.action.as_str() == "api_key.create")
        .unwrap();
    assert_eq!(created.resource_id.as_deref(), Some(key_id.as_str()));
    assert!(!created.detail.to_string().contains(&key[4..]));

    // A key cannot sign itself out (an integration's habit must not kill
    // it); an administrator revokes it.
    let (status, body) = s
        .call(Method::POST, "/api/v1/auth/logout", Some(&key), None)
        .await;
    assert_problem(status, &body, 409, "conflict");
    let (status, _) = s.get("/api/v1/me", &key).await;
    assert_eq!(status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn keys_are_only_for_service_accounts_and_refuse_bad_requests() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let ana = s.clinician("ana").await;
    let (status, body) = s
        .post(
            &format!("/api/v1/users/{}/api-keys", ana.id),
            Some(&admin.token),
            json!({ "name": "nope" }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let service = s.create_user("erp", "service").await;
    let path = format!("/api/v1/users/{service}/api-keys");
    for bad in [
        json!({ "name": "" }),
        json!({ "name": "x", "expires_in": "400d" }),
        json!({ "name": "x", "expires_in": "soon" }),
        json!({ "name": "x", "allowed_ips": ["10.0.0.0/33"] }),
        json!({ "name": "x", "client_cert_sha256": "abcd" }),
        json!({ "name": "x", "extra": 1 }),
    ] {
        let (status, body) = s.post(&path, Some(&admin.token), bad.clone()).await;
        assert_eq!(status.as_u16(), 422, "{bad}: {body}");
    }
    // Not an administrator: refused and recorded.
    let (status, body) = s
        .post(&path, Some(&ana.token), json!({ "name": "x" }))
        .await;
    assert_problem(status, &body, 403, "forbidden");
    assert!(
        s.audit()
            .await
            .iter()
            .any(|r| r.action.as_str() == "api_key.create" && r.outcome.as_str() == "denied")
    );
    // A made-up key is just unauthenticated.
    let fake = format!("hpk_{}", "A".repeat(43));
    let (status, body) = s.get("/api/v1/me", &fake).await;
    assert_problem(status, &body, 401, "unauthenticated");
    s.stop().await;
}

#[tokio::test]
async fn a_revoked_key_fails_at_once_and_its_socket_ends() {
    let s = TestServer::start().await;
    let admin = s.admin().await.token;
    let (_, key_id, key) = service_key(&s, &admin, json!({ "name": "bridge" })).await;
    let mut ws = s.ws(Some(&key)).await;
    frame_of(&mut ws, "ready").await;

    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/api-keys/{key_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let ended = frame_of(&mut ws, "session.ended").await;
    assert_eq!(ended["reason"], json!("revoked"));
    let (status, body) = s.get("/api/v1/me", &key).await;
    assert_problem(status, &body, 401, "unauthenticated");
    let rec = s.audit().await;
    assert!(rec.iter().any(|r| r.action.as_str() == "api_key.revoke"
        && r.resource_id.as_deref() == Some(key_id.as_str())));
    s.stop().await;
}

#[tokio::test]
async fn a_key_used_from_outside_its_networks_is_refused_and_recorded() {
    let s = TestServer::start().await;
    let admin = s.admin().await.token;
    let (_, far_id, far) = service_key(
        &s,
        &admin,
        json!({ "name": "office only", "allowed_ips": ["10.0.0.0/8"] }),
    )
    .await;
    let (status, body) = s.get("/api/v1/me", &far).await;
    assert_problem(status, &body, 401, "unauthenticated");
    let denied = s
        .audit()
        .await
        .into_iter()
        .find(|r| r.action.as_str() == "api_key.use")
        .expect("the refused use is recorded");
    assert_eq!(denied.outcome.as_str(), "denied");
    assert_eq!(
        denied.session_id.as_ref().map(|x| x.as_str()),
        Some(far_id.as_str())
    );
    assert_eq!(denied.ip.as_deref(), Some("127.0.0.1"));
    // Socket too: the same check.
    let (_, _, near) = service_key(
        &s,
        &admin,
        json!({ "name": "loopback", "allowed_ips": ["127.0.0.1", "::1"] }),
    )
    .await;
    let (status, _) = s.get("/api/v1/me", &near).await;
    assert_eq!(status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn keys_expire_and_end_with_their_account() {
    let s = TestServer::start().await;
    let admin_user = s.admin().await;
    let admin = admin_user.token.clone();
    let (_, _, short) =
        service_key(&s, &admin, json!({ "name": "a day", "expires_in": "1d" })).await;
    let (service, _, long) = service_key(&s, &admin, json!({ "name": "default" })).await;
    s.clock.advance(Duration::from_secs(25 * 3600));
    let (status, body) = s.get("/api/v1/me", &short).await;
    assert_problem(status, &body, 401, "session_expired");
    let (status, _) = s.get("/api/v1/me", &long).await;
    assert_eq!(status, StatusCode::OK, "the default lifetime is 90 days");
    let admin = s.second_session(&admin_user).await;

    // Termination ends the account's keys; reinstating does not revive them.
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/api/v1/users/{service}/deactivate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/api/v1/users/{service}/reactivate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.get("/api/v1/me", &long).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = s
        .get(&format!("/api/v1/users/{service}/api-keys"), &admin)
        .await;
    let states: Vec<&str> = list["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["revoked"]);
    s.stop().await;
}

#[tokio::test]
async fn the_cli_creates_lists_and_revokes_keys() {
    let s = TestServer::start().await;
    s.create_user("erp", "service").await;
    let out = s
        .run_cli(&[
            "user",
            "api-key",
            "create",
            "erp",
            "--name",
            "from the shell",
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("hpk_"));
    let (status, me) = s.get("/api/v1/me", &key).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let id = String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_owned();
    let out = s.run_cli(&["user", "api-key", "list", "erp"]).await;
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listing.contains(&id) && listing.contains("active"),
        "{listing}"
    );
    assert!(!listing.contains(&key[4..]));
    let out = s.run_cli(&["user", "api-key", "revoke", &id]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, _) = s.get("/api/v1/me", &key).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revoked from another process"
    );
    let rec = s.audit().await;
    let revoke = rec
        .iter()
        .find(|r| r.action.as_str() == "api_key.revoke")
        .unwrap();
    assert!(
        revoke.detail.contains(r#""via":"cli""#),
        "{}",
        revoke.detail
    );
    // The operator is recorded: a stable actor id, the OS user and host.
    assert_eq!(
        revoke.actor_id.as_ref().map(|a| a.as_str()),
        Some(hippo_service::principal::OPERATOR_ID)
    );
    let detail: Value = serde_json::from_str(&revoke.detail).unwrap();
    assert!(
        detail["os_user"].as_str().is_some_and(|u| !u.is_empty()),
        "{detail}"
    );
    assert!(
        detail["host"].as_str().is_some_and(|h| !h.is_empty()),
        "{detail}"
    );
    s.stop().await;
}

/// A CA and client certificates it signs: (CA PEM, client PEMs with keys,
/// their SHA-256 fingerprints).
fn device_certificates(n: usize) -> (String, Vec<(String, String)>) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "integration CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let clients = (0..n)
        .map(|i| {
            let mut params = rcgen::CertificateParams::new(vec![format!("erp-{i}")]).unwrap();
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &ca).unwrap();
            let fingerprint = hippo_http::tls::fingerprint(cert.der());
            (
                format!("{}{}", cert.pem(), key.serialize_pem()),
                fingerprint,
            )
        })
        .collect();
    (ca.pem(), clients)
}

#[tokio::test]
async fn a_key_bound_to_a_client_certificate_works_only_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, clients) = device_certificates(2);
    let ca_path = dir.path().join("clients-ca.pem");
    std::fs::write(&ca_path, ca).unwrap();
    let mut s = TestServer::start_with(|a| {
        a.tls_client_ca = Some(ca_path.display().to_string());
    })
    .await;
    let pem = std::fs::read(s.config.data_dir.join("tls/cert.pem")).unwrap();
    let with_identity = |identity: &str| {
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
            .identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap())
            .build()
            .unwrap()
    };
    let (bound, bound_fp) = (&clients[0].0, &clients[0].1);
    let other = &clients[1].0;
    // The harness talks as the integration's own device.
    s.client = with_identity(bound);
    let admin = s.admin().await.token;
    let (_, _, key) = service_key(
        &s,
        &admin,
        json!({ "name": "device bound", "client_cert_sha256": bound_fp.to_uppercase() }),
    )
    .await;
    let (status, _) = s.get("/api/v1/me", &key).await;
    assert_eq!(status, StatusCode::OK, "with its certificate");
    // The same key from another device of the same CA: refused, recorded.
    s.client = with_identity(other);
    let (status, body) = s.get("/api/v1/me", &key).await;
    assert_problem(status, &body, 401, "unauthenticated");
    let denied = s
        .audit()
        .await
        .into_iter()
        .find(|r| r.action.as_str() == "api_key.use")
        .expect("recorded");
    assert!(
        denied.detail.contains("certificate_mismatch"),
        "{}",
        denied.detail
    );
    s.stop().await;
}
