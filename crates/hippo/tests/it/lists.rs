//! What integrators rely on across endpoints: every list pages with
//! `limit` and `cursor`, and browser apps of allowed origins pass CORS
//! while every other origin gets no CORS headers.

use crate::support::{TestServer, assert_problem};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every id of a paged list, page by page (`key` names the array).
async fn walk(s: &TestServer, path: &str, key: &str, token: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let sep = if path.contains('?') { '&' } else { '?' };
    for _ in 0..100 {
        let url = match &cursor {
            None => format!("{path}{sep}limit={limit}"),
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
        };
        let (status, page) = s.get(&url, token).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        let items = page[key].as_array().unwrap();
        assert!(items.len() <= limit);
        ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
    panic!("{path} did not end");
}

#[tokio::test]
async fn every_list_pages_with_limit_and_cursor() {
    let s = TestServer::start().await;
    let admin = s.admin().await.token;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    for n in 0..7 {
        s.create_user(&format!("nurse{n}"), "clinician").await;
    }
    let mut convs = Vec::new();
    for n in 0..5 {
        convs.push(s.group(&ana, [&ben], &format!("ward {n}")).await);
    }
    for n in 0..3 {
        let (status, body) = s
            .post(
                "/api/v1/patients",
                Some(&ana.token),
                json!({ "display_name": format!("Patient {n}"), "phone": format!("+1650555010{n}"), "whatsapp_opt_in": false }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    // Conversations: all of them, once each, in pages of two.
    let (_, whole) = s.get("/api/v1/conversations", &ana.token).await;
    let all: Vec<String> = whole["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 8, "five groups and three patients");
    assert!(whole["next_cursor"].is_null());
    let paged = walk(&s, "/api/v1/conversations", "conversations", &ana.token, 2).await;
    assert_eq!(paged, all, "pages follow each other in the list's order");
    assert!(convs.iter().all(|c| paged.contains(c)));

    let users = walk(&s, "/api/v1/users", "users", &admin, 3).await;
    assert_eq!(users.len(), 10);
    let unique: std::collections::BTreeSet<_> = users.iter().collect();
    assert_eq!(unique.len(), users.len(), "no account twice");
    let patients = walk(&s, "/api/v1/patients", "patients", &ana.token, 2).await;
    assert_eq!(patients.len(), 3);
    let nurses = walk(&s, "/api/v1/directory?q=nurse", "users", &ana.token, 3).await;
    assert_eq!(nurses.len(), 7);

    // Bad paging parameters are the caller's mistake.
    for path in [
        "/api/v1/conversations?limit=0",
        "/api/v1/conversations?limit=5000",
        "/api/v1/conversations?limit=x",
        "/api/v1/conversations?cursor=%21%21",
        "/api/v1/users?cursor=nope",
        "/api/v1/directory?q=nurse&cursor=-1",
        "/api/v1/webhooks/00000000-0000-7000-8000-000000000000/deliveries?limit=x",
        "/api/v1/calls/ice-servers?ttl_seconds=soon",
        "/api/v1/whatsapp/outbox?state=1&state=2",
    ] {
        let token = if path.contains("users") || path.contains("webhooks") {
            &admin
        } else {
            &ana.token
        };
        let (status, body) = s.get(path, token).await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    s.stop().await;
}

async fn raw(
    s: &TestServer,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = s.client.request(method, s.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn allowed_origins_pass_cors_and_others_get_no_cors_headers() {
    let s = TestServer::start_with(|a| {
        a.cors_origins = Some("https://ehr.example.org, https://portal.example.org:8443".into());
    })
    .await;
    let ana = s.clinician("ana").await;
    let preflight = raw(
        &s,
        Method::OPTIONS,
        "/api/v1/conversations",
        &[
            ("origin", "https://ehr.example.org"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization, content-type",
            ),
        ],
    )
    .await;
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "https://ehr.example.org");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    assert!(
        h.get("access-control-allow-credentials").is_none(),
        "no cookies cross-origin"
    );

    let auth = format!("Bearer {}", ana.token);
    let actual = raw(
        &s,
        Method::GET,
        "/api/v1/me",
        &[
            ("origin", "https://portal.example.org:8443"),
            ("authorization", &auth),
        ],
    )
    .await;
    assert_eq!(actual.status(), StatusCode::OK);
    assert_eq!(
        actual.headers()["access-control-allow-origin"],
        "https://portal.example.org:8443"
    );

    for origin in [
        "https://evil.example",
        "https://ehr.example.org.evil.example",
        "null",
    ] {
        let other = raw(
            &s,
            Method::OPTIONS,
            "/api/v1/conversations",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;
        assert!(
            other.headers().get("access-control-allow-origin").is_none(),
            "{origin} must get no CORS headers"
        );
        let other = raw(
            &s,
            Method::GET,
            "/api/v1/me",
            &[("origin", origin), ("authorization", &auth)],
        )
        .await;
        assert!(other.headers().get("access-control-allow-origin").is_none());
    }
    s.stop().await;

    // No setting: same origin only.
    let s = TestServer::start().await;
    let resp = raw(
        &s,
        Method::OPTIONS,
        "/api/v1/conversations",
        &[
            ("origin", "https://ehr.example.org"),
            ("access-control-request-method", "POST"),
        ],
    )
    .await;
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    s.stop().await;
}
