//! HTTP basics: problem details for every kind of bad input, security
//! headers, health, metrics and the OpenAPI document.

use crate::support::{TestServer, assert_problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn raw(
    s: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = s.client.request(method, s.url(path)).body(body);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "errors are problem+json"
        );
    }
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn bad_input_gets_problem_details_never_a_500() {
    let s = TestServer::start().await;
    let (_, admin, _) = s.signed_in("alice", "admin").await;
    let json_ct = Some("application/json");
    let cases: Vec<(&str, Option<&str>, Vec<u8>, u16, &str)> = vec![
        ("malformed JSON", json_ct, b"{\"username\": ".to_vec(), 400, "validation_failed"),
        ("not JSON at all", json_ct, b"hello".to_vec(), 400, "validation_failed"),
        ("invalid UTF-8", json_ct, vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'], 400, "validation_failed"),
        ("unknown field", json_ct, br#"{"username":"x","role":"staff","password":"long-enough-pw","admin":true}"#.to_vec(), 422, "validation_failed"),
        ("wrong type", json_ct, br#"{"username":42,"role":"staff","password":"long-enough-pw"}"#.to_vec(), 422, "validation_failed"),
        ("missing field", json_ct, br#"{"username":"x"}"#.to_vec(), 422, "validation_failed"),
        ("absurd length", json_ct, format!(r#"{{"username":"{}","role":"staff","password":"long-enough-pw"}}"#, "a".repeat(10_000)).into_bytes(), 422, "validation_failed"),
        ("control characters", json_ct, br#"{"username":"ok.name","display_name":"a\u0000b","role":"staff","password":"long-enough-pw"}"#.to_vec(), 422, "validation_failed"),
        ("an array for an object", json_ct, br#"["x","staff","long-enough-pw"]"#.to_vec(), 422, "validation_failed"),
        ("a string for an object", json_ct, br#" "x" "#.to_vec(), 422, "validation_failed"),
        ("no content type", None, br#"{"username":"x"}"#.to_vec(), 415, "unsupported_media_type"),
        ("not a JSON type", Some("text/plain"), br#"{"username":"x"}"#.to_vec(), 415, "unsupported_media_type"),
        ("oversize body", json_ct, vec![b' '; 2 * 1024 * 1024], 413, "payload_too_large"),
    ];
    for (what, ct, body, status, code) in cases {
        let (got, problem) = raw(&s, Method::POST, "/api/v1/users", Some(&admin), ct, body).await;
        assert_eq!(got.as_u16(), status, "{what}: {problem}");
        assert_eq!(problem["code"], json!(code), "{what}: {problem}");
    }
    // Nothing was half-written: only alice exists.
    let (_, body) = s.get("/api/v1/users", &admin).await;
    assert_eq!(body["users"].as_array().unwrap().len(), 1);
    // An array read by position would set the name and role past the
    // field allow-list.
    let alice = body["users"][0]["id"].as_str().unwrap().to_owned();
    let (got, problem) = raw(
        &s,
        Method::PATCH,
        &format!("/api/v1/users/{alice}"),
        Some(&admin),
        json_ct,
        br#"["Renamed by array","staff"]"#.to_vec(),
    )
    .await;
    assert_eq!(got.as_u16(), 422, "{problem}");
    let (_, body) = s.get("/api/v1/users", &admin).await;
    assert_eq!(body["users"][0]["role"], json!("admin"));
    assert_ne!(body["users"][0]["display_name"], json!("Renamed by array"));
    s.stop().await;
}

#[tokio::test]
async fn missing_or_garbage_tokens_are_unauthenticated() {
    let s = TestServer::start().await;
    let (status, body) = s.call(Method::GET, "/api/v1/me", None, None).await;
    assert_problem(status, &body, 401, "unauthenticated");
    for token in [
        "garbage",
        "hpo_",
        &format!("hpo_{}", "A".repeat(43)),
        &"x".repeat(5000),
        "Bearer Bearer",
    ] {
        let (status, body) = s.get("/api/v1/me", token).await;
        assert_problem(status, &body, 401, "unauthenticated");
    }
    let resp = s
        .client
        .get(s.url("/api/v1/me"))
        .header("authorization", "Basic YWxpY2U6cHc=")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers().get("www-authenticate").unwrap(), "Bearer");
    s.stop().await;
}

#[tokio::test]
async fn unknown_paths_methods_and_ids_are_problems() {
    let s = TestServer::start().await;
    let (_, admin, _) = s.signed_in("alice", "admin").await;
    let (status, body) = s.get("/api/v1/nope", &admin).await;
    assert_problem(status, &body, 404, "not_found");
    let (status, body) = s
        .call(Method::DELETE, "/api/v1/users", Some(&admin), None)
        .await;
    assert_problem(status, &body, 405, "method_not_allowed");
    for id in [
        "not-an-id",
        "..%2F..%2Fetc",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let (status, body) = s.get(&format!("/api/v1/users/{id}"), &admin).await;
        assert_problem(status, &body, 404, "not_found");
    }
    s.stop().await;
}

#[tokio::test]
async fn security_headers_health_metrics_and_openapi() {
    let s = TestServer::start().await;
    let resp = s
        .client
        .get(s.url("/healthz"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert_eq!(
        h.get("strict-transport-security").unwrap(),
        "max-age=63072000; includeSubDomains"
    );
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(h.get("cache-control").unwrap(), "no-store");
    assert_eq!(h.get("x-request-id").unwrap(), "req-123");

    let resp = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let metrics = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "hippo_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );

    let doc: Value = s
        .client
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me/mfa/totp", "post"),
        ("/api/v1/me/mfa/totp/confirm", "post"),
        ("/api/v1/me/password", "post"),
        ("/api/v1/me/sessions", "get"),
        ("/api/v1/me/sessions/{id}", "delete"),
        ("/api/v1/users", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}/deactivate", "post"),
        ("/api/v1/users/{id}/reactivate", "post"),
        ("/api/v1/users/{id}/password-reset", "post"),
        ("/api/v1/users/{id}/mfa-reset", "post"),
        ("/api/v1/auth/session", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/v1/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from OpenAPI"
        );
    }
    // Every documented path is served (nothing documented that 404s).
    for path in paths.keys() {
        let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
        let resp = s
            .client
            .request(Method::OPTIONS, s.url(&concrete))
            .send()
            .await
            .unwrap();
        assert_ne!(
            resp.status(),
            StatusCode::NOT_FOUND,
            "{path} documented but not routed"
        );
    }
    s.stop().await;
}
