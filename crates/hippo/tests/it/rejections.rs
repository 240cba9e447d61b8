//! Issue 19, finding 5: every refusal is a problem document, including the
//! ones the framework writes before a handler runs. The list of operations
//! comes from the served OpenAPI document, so a new route is covered the
//! day it is added.

use crate::support::{TestServer, assert_problem};
use hippo_whatsapp::{FakeCloudApi, FakeConfig};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Over every JSON limit (64 KiB) and Meta's webhook limit (3 MiB) alike.
const OVERSIZED: usize = 4 * 1024 * 1024;

/// `path` with every `{param}` replaced by an id that names nothing.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(&uuid::Uuid::now_v7().to_string());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
}

async fn send(
    s: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Answer {
    let resp = s
        .client
        .request(method, s.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = resp.text().await.unwrap();
    Answer {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// A server with every route live (the WhatsApp channel too) and its
/// administrator's token.
async fn server() -> (TestServer, FakeCloudApi, String) {
    let fake = FakeCloudApi::start(FakeConfig::default()).await;
    let s = TestServer::builder().whatsapp(&fake).start().await;
    let (_, admin, _) = s.signed_in("alice", "admin").await;
    (s, fake, admin)
}

/// A JSON document of `len` bytes (one long string), so nothing but its
/// size is wrong with it.
fn big_json(len: usize) -> Vec<u8> {
    let mut body = b"{\"text\":\"".to_vec();
    body.resize(len - 2, b'a');
    body.extend_from_slice(b"\"}");
    body
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem_on_every_route_that_takes_one() {
    let (s, _fake, admin) = server().await;
    let (_, doc) = s.get("/api/v1/openapi.json", &admin).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            let Some(json_type) = content.keys().find(|k| k.ends_with("json")) else {
                // Uploads have their own, larger limit (it::files).
                continue;
            };
            let method: Method = method.to_uppercase().parse().unwrap();
            let answer = send(
                &s,
                method.clone(),
                &concrete(path),
                &admin,
                json_type,
                big_json(OVERSIZED),
            )
            .await;
            let what = format!("{method} {path}");
            assert_eq!(answer.status, 413, "{what}: {:?}", answer.body);
            if path.starts_with("/fhir/") {
                assert!(
                    answer.content_type.starts_with("application/fhir+json"),
                    "{what}: {}",
                    answer.content_type
                );
                assert_eq!(answer.body["resourceType"], "OperationOutcome", "{what}");
            } else {
                assert_eq!(answer.content_type, "application/problem+json", "{what}");
                assert_problem(answer.status, &answer.body, 413, "payload_too_large");
            }
            checked += 1;
        }
    }
    // The webhook, the FHIR write and the API's own JSON operations.
    assert!(checked > 20, "only {checked} operations take a JSON body");
    s.stop().await;
}

#[tokio::test]
async fn malformed_bodies_types_and_upgrades_are_problems_too() {
    let (s, _fake, admin) = server().await;
    let cases: [(&str, &str, &str, &[u8], u16, &str); 4] = [
        (
            "JSON syntax",
            "/api/v1/conversations",
            "application/json",
            b"{\"kind\": ",
            400,
            "validation_failed",
        ),
        (
            "not JSON at all",
            "/api/v1/conversations",
            "text/plain",
            b"kind=group",
            415,
            "unsupported_media_type",
        ),
        (
            "an array for an object",
            "/api/v1/conversations",
            "application/json",
            b"[\"group\", \"Ward 4\"]",
            422,
            "validation_failed",
        ),
        (
            "Meta's webhook, too large",
            "/webhooks/whatsapp",
            "application/json",
            &big_json(OVERSIZED),
            413,
            "payload_too_large",
        ),
    ];
    for (what, path, content_type, body, status, code) in cases {
        let answer = send(&s, Method::POST, path, &admin, content_type, body.to_vec()).await;
        assert_eq!(answer.content_type, "application/problem+json", "{what}");
        assert_problem(answer.status, &answer.body, status, code);
        let detail = answer.body["detail"].as_str().unwrap_or_default();
        assert!(
            !detail.contains("Ward 4"),
            "{what}: the detail quotes the body"
        );
    }

    // A plain GET where the stream wants a WebSocket upgrade.
    let answer = send(
        &s,
        Method::GET,
        "/api/v1/stream",
        &admin,
        "text/plain",
        vec![],
    )
    .await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
    assert_eq!(answer.content_type, "application/problem+json");
    assert_eq!(answer.body["status"], answer.status.as_u16());

    // FHIR clients get OperationOutcomes, for unknown paths as well.
    let answer = send(
        &s,
        Method::GET,
        "/fhir/r4/Nope",
        &admin,
        "text/plain",
        vec![],
    )
    .await;
    assert_eq!(answer.status, 404);
    assert!(answer.content_type.starts_with("application/fhir+json"));
    assert_eq!(answer.body["resourceType"], "OperationOutcome");
    s.stop().await;
}
