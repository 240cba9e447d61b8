//! Outgoing webhooks through the real server and a real receiver: Standard
//! Webhooks signatures, bodies of ids only, order per conversation, retries
//! with backoff into a dead letter and a manual redeliver, receivers that
//! hang, endpoints scoped to a service account, and the URLs refused.

use crate::support::{TestServer, assert_problem};
use crate::webhook_receiver::Receiver;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn server() -> TestServer {
    TestServer::start_with(|a| {
        a.webhook_allowed_networks = Some("127.0.0.1/32".into());
        a.webhook_timeout = Some("1s".into());
    })
    .await
}

/// Registers `url` for `events`: (id, secret).
async fn register(s: &TestServer, admin: &str, url: &str, events: &[&str]) -> (String, String) {
    let (status, body) = s
        .post(
            "/api/v1/webhooks",
            Some(admin),
            json!({ "url": url, "events": events }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn deliveries(s: &TestServer, admin: &str, hook: &str) -> Vec<Value> {
    let (status, page) = s
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["deliveries"].as_array().unwrap().clone()
}

/// Waits until the oldest delivery of `hook` has had `attempts` attempts
/// and the last of them is settled (no lease held).
async fn settled(s: &TestServer, hook: &str, attempts: usize) {
    let id = hippo_core::WebhookId::parse(hook).unwrap();
    for _ in 0..500 {
        let all = s
            .hippo
            .store()
            .list_webhook_deliveries(&id, None, 100)
            .await
            .unwrap();
        if let Some(oldest) = all.last()
            && usize::try_from(oldest.attempts).unwrap() == attempts
            && oldest.lease_until.is_none()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the delivery's attempt {attempts} was never settled");
}

/// Waits until the deliveries of `hook` (newest first) satisfy `done`.
async fn until_all(
    s: &TestServer,
    admin: &str,
    hook: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..500 {
        let all = deliveries(s, admin, hook).await;
        if done(&all) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{:?}", deliveries(s, admin, hook).await);
}

/// Waits until the newest delivery of `hook` satisfies `done`.
async fn until_delivery(
    s: &TestServer,
    admin: &str,
    hook: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..500 {
        if let Some(d) = deliveries(s, admin, hook).await.into_iter().next()
            && done(&d)
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{:?}", deliveries(s, admin, hook).await);
}

#[tokio::test]
async fn deliveries_are_signed_in_order_and_carry_ids_not_content() {
    let s = server().await;
    let admin = s.admin().await.token;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let conv = s.group(&ana, [&ben], "ward").await;
    let rx = Receiver::start().await;
    let events = ["message.created", "message.updated", "message.deleted"];
    let (hook, secret) = register(&s, &admin, &rx.url, &events).await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    let mut ids = Vec::new();
    for n in 0..5 {
        let m = s
            .send(&ana, &conv, &format!("secret clinical text {n}"))
            .await;
        ids.push(m["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{}", ids[0]),
            Some(&ana.token),
            Some(json!({ "body": "edited clinical text" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{}", ids[1]),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let got = rx.wait_for(7).await;
    let kinds: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "message.created",
            "message.created",
            "message.created",
            "message.created",
            "message.created",
            "message.updated",
            "message.deleted"
        ],
        "in the conversation's order"
    );
    let seqs: Vec<i64> = got[..5]
        .iter()
        .map(|r| r.json()["data"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    let key = hippo_crypto::webhook::secret_bytes(&secret).unwrap();
    for r in &got {
        assert!(r.id.starts_with("msg_"), "{r:?}");
        let ts: i64 = r.timestamp.parse().unwrap();
        assert_eq!(
            r.signature,
            hippo_crypto::webhook::sign(&key, &r.id, ts, r.body.as_bytes()),
            "Standard Webhooks signature"
        );
        assert!(!r.body.contains("clinical"), "no content: {}", r.body);
        assert!(!r.body.contains("User ana"), "no names: {}", r.body);
    }
    let first = got[0].json();
    assert_eq!(first["data"]["conversation_id"], json!(conv));
    assert_eq!(first["data"]["message_id"], json!(ids[0]));
    assert_eq!(first["data"]["sender_id"], json!(ana.id));
    assert_eq!(first["data"]["channel"], json!("hippo"));
    // The history shows each delivery and its attempt (the last one's
    // settling may land just after the receiver answered).
    let history = until_all(&s, &admin, &hook, |all| {
        all.len() == 7 && all.iter().all(|d| d["state"] == json!("delivered"))
    })
    .await;
    assert_eq!(history[0]["attempts"][0]["status"], json!(204));
    assert_eq!(history[6]["id"], json!(got[0].id), "newest first");
    let (_, metrics) = s.get_text("/metrics", &admin).await;
    assert!(
        metrics.contains("hippo_webhooks_delivered_total 7"),
        "{metrics}"
    );
    // Pages.
    let (_, page) = s
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=3"),
            &admin,
        )
        .await;
    assert_eq!(page["deliveries"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = s
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=10&cursor={cursor}"),
            &admin,
        )
        .await;
    assert_eq!(rest["deliveries"].as_array().unwrap().len(), 4);
    assert!(rest["next_cursor"].is_null());
    let (status, body) = s
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?cursor=x"),
            &admin,
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    s.stop().await;
}

#[tokio::test]
async fn a_failing_receiver_is_retried_in_order_then_dead_then_redelivered() {
    let s = server().await;
    let admin_user = s.admin().await;
    let admin = admin_user.token.clone();
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let conv = s.group(&ana, [&ben], "ward").await;
    let rx = Receiver::start().await;
    let (hook, _) = register(&s, &admin, &rx.url, &["message.created"]).await;
    rx.answer(503);
    s.send(&ana, &conv, "one").await;
    s.send(&ana, &conv, "two").await;
    let all = until_all(&s, &admin, &hook, |all| {
        all.len() == 2 && all[1]["attempts"].as_array().unwrap().len() == 1
    })
    .await;
    // The second waits behind the first (order per conversation).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (second, first) = (&all[0], &all[1]);
    assert_eq!(first["attempts"][0]["status"], json!(503));
    assert_eq!(first["attempts"][0]["error"], json!("status 503"));
    assert_eq!(first["state"], json!("pending"));
    assert!(second["attempts"].as_array().unwrap().is_empty());
    assert_eq!(rx.received().len(), 1);

    // Through every retry (5 s … 10 h): dead, and the line moves on.
    for _ in 0..7 {
        // The last attempt settled (its retry time set) before the clock
        // moves past it; the receiver sees a request before it is settled.
        let n = rx.received().len();
        settled(&s, &hook, n).await;
        s.clock.advance(Duration::from_secs(12 * 3600)); // past the longest wait (10 h + 10 %)
        rx.wait_for(n + 1).await;
    }
    // The administrator signs in again (days went by).
    let admin = s.second_session(&admin_user).await;
    let all = until_all(&s, &admin, &hook, |all| all[1]["state"] == json!("dead")).await;
    assert_eq!(all[1]["attempts"].as_array().unwrap().len(), 8);
    let first_id = all[1]["id"].as_str().unwrap().to_owned();
    // Everything the receiver saw so far was the first event, same id.
    let got = rx.wait_for(9).await;
    assert!(got[..8].iter().all(|r| r.id == first_id));
    assert_ne!(got[8].id, first_id, "then the second");

    // Fixed receiver, manual redeliver: delivered with the same id.
    rx.answer(200);
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/deliveries/{first_id}/redeliver"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for _ in 0..500 {
        let all = deliveries(&s, &admin, &hook).await;
        if all.iter().all(|d| d["state"] == json!("delivered")) {
            break;
        }
        // The second's own retry (it failed while the receiver was down).
        s.clock.advance(Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = deliveries(&s, &admin, &hook).await;
    assert!(
        all.iter().all(|d| d["state"] == json!("delivered")),
        "{all:?}"
    );
    assert!(rx.received().iter().filter(|r| r.id == first_id).count() >= 9);
    // Redelivering what is not dead is a conflict.
    let (status, body) = s
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/deliveries/{first_id}/redeliver"),
            Some(&admin),
            None,
        )
        .await;
    assert_problem(status, &body, 409, "conflict");
    s.stop().await;
}

#[tokio::test]
async fn a_hanging_or_redirecting_receiver_fails_the_attempt_and_nothing_waits_for_it() {
    let s = server().await;
    let admin = s.admin().await.token;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let conv = s.group(&ana, [&ben], "ward").await;
    let hang = Receiver::start().await;
    hang.delay(Duration::from_secs(30));
    let moved = Receiver::start().await;
    moved.answer(302);
    let fine = Receiver::start().await;
    let (hung, _) = register(&s, &admin, &hang.url, &["message.created"]).await;
    let (redirected, _) = register(&s, &admin, &moved.url, &["message.created"]).await;
    register(&s, &admin, &fine.url, &["message.created"]).await;
    s.send(&ana, &conv, "hello").await;
    fine.wait_for(1).await;
    let d = until_delivery(&s, &admin, &hung, |d| {
        !d["attempts"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(d["attempts"][0]["error"], json!("timeout"), "{d}");
    assert_eq!(d["state"], json!("pending"));
    let d = until_delivery(&s, &admin, &redirected, |d| {
        !d["attempts"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        d["attempts"][0]["status"],
        json!(302),
        "a redirect is not followed"
    );
    assert_eq!(
        moved.received().len(),
        1,
        "the redirect target was never asked"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_scoped_endpoint_hears_only_its_service_accounts_conversations() {
    let s = server().await;
    let admin = s.admin().await.token;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let service = s.create_user("erp", "service").await;
    let ours = s.group(&ana, [&ben], "with erp").await;
    let (status, _) = s
        .post(
            &format!("/api/v1/conversations/{ours}/members"),
            Some(&ana.token),
            json!({ "user_id": service }),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let theirs = s.group(&ana, [&ben], "private").await;
    let rx = Receiver::start().await;
    let (status, body) = s
        .post(
            "/api/v1/webhooks",
            Some(&admin),
            json!({ "url": rx.url, "events": ["message.created"], "service_account_id": service }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    s.send(&ana, &theirs, "not for the ERP").await;
    s.send(&ana, &ours, "for the ERP").await;
    let got = rx.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 1);
    assert_eq!(got[0].json()["data"]["conversation_id"], json!(ours));
    // Scoping to anyone but a service account is refused.
    let (status, body) = s
        .post(
            "/api/v1/webhooks",
            Some(&admin),
            json!({ "url": rx.url, "events": ["message.created"], "service_account_id": ana.id }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    s.stop().await;
}

#[tokio::test]
async fn receivers_must_be_https_and_public_unless_the_operator_allows_a_network() {
    let s = TestServer::start().await;
    let admin = s.admin().await.token;
    let ana = s.clinician("ana").await;
    for (url, why) in [
        ("http://93.184.215.14/hooks", "https"),
        ("https://127.0.0.1/hooks", "private"),
        ("https://10.1.2.3/hooks", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://[::1]/hooks", "private"),
        ("https://user:pw@93.184.215.14/hooks", "credentials"),
        ("ftp://93.184.215.14/hooks", "https"),
    ] {
        let (status, body) = s
            .post(
                "/api/v1/webhooks",
                Some(&admin),
                json!({ "url": url, "events": ["message.created"] }),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert!(
            body["detail"].as_str().unwrap().contains(why),
            "{url}: {body}"
        );
    }
    for bad in [
        json!({ "url": "https://93.184.215.14/h", "events": [] }),
        json!({ "url": "https://93.184.215.14/h", "events": ["message.read.by.someone"] }),
        json!({ "url": "https://93.184.215.14/h", "events": ["message.created"], "secret": "plain" }),
    ] {
        let (status, body) = s.post("/api/v1/webhooks", Some(&admin), bad.clone()).await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    let (status, body) = s
        .post(
            "/api/v1/webhooks",
            Some(&ana.token),
            json!({ "url": "https://93.184.215.14/h", "events": ["message.created"] }),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    // An integrator's own secret is kept (and never shown again).
    let own = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let (status, body) = s
        .post(
            "/api/v1/webhooks",
            Some(&admin),
            json!({ "url": "https://93.184.215.14/h", "events": ["message.created"], "secret": own }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["secret"], json!(own));
    let (_, listed) = s.get("/api/v1/webhooks", &admin).await;
    assert!(!listed.to_string().contains("whsec_"), "{listed}");
    // Deleted: gone from the list, its history kept.
    let id = body["id"].as_str().unwrap();
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, listed) = s.get("/api/v1/webhooks", &admin).await;
    assert!(listed["webhooks"].as_array().unwrap().is_empty());
    let (status, _) = s
        .get(&format!("/api/v1/webhooks/{id}/deliveries"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    s.stop().await;
}
