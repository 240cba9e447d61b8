//! The integrations rows of the completeness table: API keys of a service
//! account and outgoing webhooks, with a key to revoke and a dead delivery
//! to redeliver made first.

use super::cases::{Case, Expect, case};
use crate::support::TestServer;
use hippo_store::prelude::*;
use reqwest::Method;
use serde_json::json;

/// A port nothing listens on: deliveries to it fail at once.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub(super) async fn cases(s: &TestServer, admin: &str, ana: &str, conv_sender: &str) -> Vec<Case> {
    use Expect::{Exempt, Records};
    let (g, p, d) = (Method::GET, Method::POST, Method::DELETE);
    let service = s.create_user("erp", "service").await;
    let (_, key) = s
        .post(
            &format!("/api/v1/users/{service}/api-keys"),
            Some(admin),
            json!({ "name": "to revoke" }),
        )
        .await;
    let key_id = key["id"].as_str().unwrap().to_owned();

    // An endpoint whose first delivery failed, then marked dead.
    let url = format!("http://127.0.0.1:{}/hooks", closed_port());
    let (_, hook) = s
        .post(
            "/api/v1/webhooks",
            Some(admin),
            json!({ "url": url, "events": ["message.created"] }),
        )
        .await;
    let hook = hook["id"].as_str().unwrap().to_owned();
    s.send_json(
        conv_sender,
        &conv_id(s, conv_sender).await,
        json!({ "body": "hook me" }),
    )
    .await;
    let hook_id = hippo_core::WebhookId::parse(&hook).unwrap();
    let dead = loop {
        let got = s
            .hippo
            .store()
            .list_webhook_deliveries(&hook_id, None, 1)
            .await
            .unwrap();
        if let Some(d) = got.into_iter().next()
            && d.attempts >= 1
            && d.lease_until.is_none()
        {
            break d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let mut tx = s.hippo.store().begin_write().await.unwrap();
    tx.finish_webhook_attempt(
        &WebhookAttemptRow {
            delivery_seq: dead.seq,
            attempt: dead.attempts + 1,
            at: dead.next_attempt_at,
            status: None,
            error: Some("could not connect".into()),
            duration_ms: 1,
        },
        DeliveryState::Dead,
        dead.next_attempt_at,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    vec![
        case(
            p.clone(),
            "/api/v1/users/{id}/api-keys",
            format!("/api/v1/users/{service}/api-keys"),
            admin,
            Some(json!({ "name": "ERP bridge", "allowed_ips": ["127.0.0.1"] })),
            Records("api_key.create"),
            Some(ana),
        ),
        case(
            g.clone(),
            "/api/v1/users/{id}/api-keys",
            format!("/api/v1/users/{service}/api-keys"),
            admin,
            None,
            Exempt("key names and dates for administrators, never a key; refusals are recorded"),
            Some(ana),
        ),
        case(
            d.clone(),
            "/api/v1/api-keys/{id}",
            format!("/api/v1/api-keys/{key_id}"),
            admin,
            None,
            Records("api_key.revoke"),
            Some(ana),
        ),
        case(
            p.clone(),
            "/api/v1/webhooks",
            "/api/v1/webhooks",
            admin,
            Some(json!({ "url": "https://93.184.215.14/hooks", "events": ["whatsapp.status"] })),
            Records("webhook.create"),
            Some(ana),
        ),
        case(
            g.clone(),
            "/api/v1/webhooks",
            "/api/v1/webhooks",
            admin,
            None,
            Exempt("receiver configuration, no PHI; refusals are recorded"),
            Some(ana),
        ),
        case(
            g.clone(),
            "/api/v1/webhooks/{id}",
            format!("/api/v1/webhooks/{hook}"),
            admin,
            None,
            Exempt("receiver configuration, no PHI; refusals are recorded"),
            Some(ana),
        ),
        case(
            g.clone(),
            "/api/v1/webhooks/{id}/deliveries",
            format!("/api/v1/webhooks/{hook}/deliveries"),
            admin,
            None,
            Exempt("ids and states only, never content; refusals are recorded"),
            Some(ana),
        ),
        case(
            p.clone(),
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            format!(
                "/api/v1/webhooks/{hook}/deliveries/{}/redeliver",
                dead.event_id
            ),
            admin,
            None,
            Records("webhook.redeliver"),
            Some(ana),
        ),
        case(
            d.clone(),
            "/api/v1/webhooks/{id}",
            format!("/api/v1/webhooks/{hook}"),
            admin,
            None,
            Records("webhook.delete"),
            Some(ana),
        ),
    ]
}

/// A conversation of the sender's (the first it lists).
async fn conv_id(s: &TestServer, token: &str) -> String {
    let (_, list) = s.get("/api/v1/conversations", token).await;
    list["conversations"][0]["id"].as_str().unwrap().to_owned()
}
