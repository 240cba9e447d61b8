//! The web client's side of the server: cookie sessions with their CSRF
//! header, the socket's origin check, the embedded client with its own
//! security headers, MFA recovery codes and the administrator's MFA reset.

use crate::support::{PASSWORD, TestServer, assert_problem};
use crate::support::{frame_of, ws_with_headers};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use std::time::Duration;

/// A browser's view of a session: the cookie and the CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn cookie_login(s: &TestServer, username: &str, code: Option<&str>) -> (Browser, Value) {
    let mut body = json!({ "session": "cookie", "username": username, "password": PASSWORD });
    if let Some(c) = code {
        body["totp_code"] = json!(c);
    }
    let resp = s
        .client
        .post(s.url("/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let set_cookie = resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-hippo_session=hpo_"), "{cookie}");
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("token").is_none(), "the token stays in the cookie");
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    (Browser { cookie, csrf }, body)
}

impl Browser {
    /// A request as this browser's page makes it: cookie and CSRF header.
    async fn send(
        &self,
        s: &TestServer,
        method: Method,
        path: &str,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        as_browser(s, method, path, &self.cookie, Some(&self.csrf), None).await
    }
}

async fn as_browser(
    s: &TestServer,
    method: Method,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = s
        .client
        .request(method, s.url(path))
        .header(header::COOKIE, cookie);
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

#[tokio::test]
async fn a_cookie_session_needs_its_csrf_header_and_ends_with_its_cookie() {
    let s = TestServer::start_with(|a| a.require_mfa = Some("false".into())).await;
    s.create_user("nora", "clinician").await;
    let (b, login) = cookie_login(&s, "nora", None).await;
    assert_eq!(login["user"]["username"], "nora");
    assert_eq!(login["max_upload_bytes"], json!(100 * 1024 * 1024));

    // Without the header, or with another session's, nothing is reached.
    let (status, body, _) = as_browser(&s, Method::GET, "/api/v1/me", &b.cookie, None, None).await;
    assert_problem(status, &body, 403, "forbidden");
    let (other, _) = cookie_login(&s, "nora", None).await;
    let (status, body, _) = as_browser(
        &s,
        Method::POST,
        "/api/v1/conversations",
        &b.cookie,
        Some(&other.csrf),
        Some(json!({ "kind": "group", "title": "x", "member_ids": [] })),
    )
    .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, me, _) = b.send(&s, Method::GET, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "nora");

    // A reloaded page gets its CSRF token back from the cookie alone.
    let (status, session, _) = as_browser(
        &s,
        Method::GET,
        "/api/v1/auth/session",
        &b.cookie,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["csrf_token"], json!(b.csrf));
    assert_eq!(session["user"]["id"], me["id"]);
    let (status, body) = s
        .call(Method::GET, "/api/v1/auth/session", None, None)
        .await;
    assert_problem(status, &body, 401, "unauthenticated");

    // Sign-out kills the session and tells the browser to drop the cookie.
    let (status, _, headers) = b.send(&s, Method::POST, "/api/v1/auth/logout").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cleared = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("__Host-hippo_session=;") && cleared.contains("Max-Age=0"));
    let (status, body, _) = as_browser(
        &s,
        Method::GET,
        "/api/v1/auth/session",
        &b.cookie,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // The other session is untouched.
    let (status, _, _) = other.send(&s, Method::GET, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    s.stop().await;
}

fn detail(r: &hippo_store::AuditRecord) -> Value {
    serde_json::from_str(&r.detail).unwrap()
}

#[tokio::test]
async fn a_cookie_socket_opens_only_from_the_servers_own_origin() {
    let s = TestServer::start_with(|a| a.require_mfa = Some("false".into())).await;
    s.create_user("nora", "clinician").await;
    let (_, peer) = {
        s.create_user("omar", "clinician").await;
        s.login_raw("omar", PASSWORD, None).await
    };
    let peer = peer["token"].as_str().unwrap().to_owned();
    let (b, login) = cookie_login(&s, "nora", None).await;
    let port = s.port();
    let own = format!("https://localhost:{port}");

    let refused = ws_with_headers(
        &s.config.data_dir,
        port,
        &[
            ("cookie", b.cookie.as_str()),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        }
        other => panic!(
            "a foreign origin must be refused, got {:?}",
            other.map(|_| ())
        ),
    }
    assert!(
        ws_with_headers(&s.config.data_dir, port, &[("cookie", b.cookie.as_str())])
            .await
            .is_err(),
        "no origin at all is refused too"
    );

    let mut ws = ws_with_headers(
        &s.config.data_dir,
        port,
        &[("cookie", b.cookie.as_str()), ("origin", own.as_str())],
    )
    .await
    .expect("same-origin upgrade");
    let nora_id = login["user"]["id"].as_str().unwrap();
    let (status, conv) = s
        .post(
            "/api/v1/conversations",
            Some(&peer),
            json!({ "kind": "direct", "member_ids": [nora_id] }),
        )
        .await;
    assert!(status.is_success(), "{conv}");
    let conv = conv["id"].as_str().unwrap();
    s.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        Some(&peer),
        json!({ "body": "are you on the ward?" }),
    )
    .await;
    let frame = tokio::time::timeout(Duration::from_secs(5), frame_of(&mut ws, "message.created"))
        .await
        .expect("the message reaches the cookie socket");
    assert_eq!(frame["message"]["body"], "are you on the ward?");

    // A dead cookie is told so on the socket (a browser cannot read an
    // HTTP refusal of an upgrade): an error frame, then close code 4401.
    let (status, _, _) = b.send(&s, Method::POST, "/api/v1/auth/logout").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut ws = ws_with_headers(
        &s.config.data_dir,
        port,
        &[("cookie", b.cookie.as_str()), ("origin", own.as_str())],
    )
    .await
    .expect("upgraded, to be told why not");
    let error = frame_of(&mut ws, "error").await;
    assert_eq!(error["code"], "unauthenticated", "{error}");
    use futures_util::StreamExt;
    let close = loop {
        match ws.next().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(close.expect("a close frame").code), 4401);
    s.stop().await;
}

#[tokio::test]
async fn the_web_client_is_served_with_its_own_strict_headers() {
    let s = TestServer::start().await;
    let page = s.client.get(s.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in [
        "script-src 'self'",
        "frame-ancestors 'none'",
        "default-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    let html = page.text().await.unwrap();

    // Every asset the page names is served, cached for good (content-hashed).
    let assets: Vec<&str> = html
        .split('"')
        .filter(|p| p.starts_with("/assets/"))
        .collect();
    assert!(!assets.is_empty(), "index.html names its assets: {html}");
    for asset in assets {
        let resp = s.client.get(s.url(asset)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{asset}");
        let cache = resp.headers()[header::CACHE_CONTROL].to_str().unwrap();
        assert!(cache.contains("immutable"), "{asset}: {cache}");
    }

    // A client-side route reloads into the client; the API keeps its own
    // answers and headers.
    let deep = s
        .client
        .get(s.url("/conversations/some-id"))
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(deep.status(), StatusCode::OK);
    assert_eq!(deep.text().await.unwrap(), html);
    let api = s
        .client
        .get(s.url("/api/v1/no-such-thing"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        api.headers()[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(api.headers()[header::CACHE_CONTROL], "no-store");
    let missing = s
        .client
        .get(s.url("/assets/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    s.stop().await;
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let s = TestServer::start().await;
    s.create_user("nora", "clinician").await;
    let (status, first) = s.login_raw("nora", PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK);
    let limited = first["token"].as_str().unwrap().to_owned();
    let (_, enrollment) = s
        .post("/api/v1/me/mfa/totp", Some(&limited), json!({}))
        .await;
    let secret = enrollment["secret"].as_str().unwrap().to_owned();
    let (status, confirmed) = s
        .post(
            "/api/v1/me/mfa/totp/confirm",
            Some(&limited),
            json!({ "code": s.code_now(&secret) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);

    // Typed in capitals without dashes, the phone lost: it works, once.
    let typed = codes[3].replace('-', "").to_uppercase();
    let (status, body) = s.login_raw("nora", PASSWORD, Some(&typed)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = s.login_raw("nora", PASSWORD, Some(&codes[3])).await;
    assert_problem(status, &body, 401, "invalid_credentials");
    let (status, body) = s
        .login_raw("nora", PASSWORD, Some("abcd-efgh-jkmn-pqrs"))
        .await;
    assert_problem(status, &body, 401, "invalid_credentials");
    // Another code still works, and so does the authenticator.
    let (status, _) = s.login_raw("nora", PASSWORD, Some(&codes[0])).await;
    assert_eq!(status, StatusCode::OK);
    s.clock.advance(Duration::from_secs(30));
    let (status, _) = s
        .login_raw("nora", PASSWORD, Some(&s.code_now(&secret)))
        .await;
    assert_eq!(status, StatusCode::OK);

    let audit = s.audit().await;
    let spent: Vec<_> = audit
        .iter()
        .filter(|r| r.action.as_str() == "auth.mfa" && detail(r)["method"] == "recovery_code")
        .collect();
    assert_eq!(spent.len(), 2);
    assert_eq!(detail(spent[1])["recovery_codes_left"], json!(8));
    for r in &audit {
        assert!(
            codes.iter().all(|c| !r.detail.contains(c.as_str())),
            "no code in the trail"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn an_mfa_reset_ends_every_session_and_the_next_sign_in_enrols_again() {
    let s = TestServer::start().await;
    let root = s.admin().await;
    let nora = s.clinician("nora").await;
    let second = s.second_session(&nora).await;

    let path = format!("/api/v1/users/{}/mfa-reset", nora.id);
    let (status, body) = s.post(&path, Some(&nora.token), json!({})).await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = s.post(&path, Some(&root.token), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for token in [&nora.token, &second] {
        let (status, _) = s.get("/api/v1/me", token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, user) = s
        .get(&format!("/api/v1/users/{}", nora.id), &root.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["mfa_enabled"], json!(false));
    let (status, body) = s.login_raw("nora", PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mfa_enrollment_required"], json!(true));

    let audit = s.audit().await;
    let reset = audit
        .iter()
        .find(|r| {
            r.action.as_str() == "user.mfa_reset" && r.outcome == hippo_core::Outcome::Success
        })
        .expect("audited");
    assert_eq!(reset.resource_id.as_deref(), Some(nora.id.as_str()));
    assert_eq!(detail(reset)["sessions_ended"], json!(2));

    // The shell does the same for an operator.
    let out = s.run_cli(&["user", "mfa-reset", "root"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, _) = s.get("/api/v1/me", &root.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.stop().await;
}
