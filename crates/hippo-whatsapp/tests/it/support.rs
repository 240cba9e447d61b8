//! Test helpers: a client bound to the fake, and a webhook receiver that
//! checks signatures like hippo must.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hippo_whatsapp::{
    CloudApi, CloudApiConfig, FakeCloudApi, FakeConfig, WebhookEvent, parse_webhook,
    verify_signature,
};

pub async fn fake() -> FakeCloudApi {
    FakeCloudApi::start(FakeConfig::default()).await
}

pub fn config_for(fake: &FakeCloudApi) -> CloudApiConfig {
    CloudApiConfig {
        api_base: format!("{}/", fake.base_url()),
        api_version: hippo_whatsapp::DEFAULT_API_VERSION.into(),
        phone_number_id: fake.config().phone_number_id.clone(),
        business_account_id: fake.config().business_account_id.clone(),
        access_token: zeroize::Zeroizing::new(fake.config().access_token.clone()),
        timeout: Duration::from_secs(10),
    }
}

pub fn api_for(fake: &FakeCloudApi) -> CloudApi {
    CloudApi::new(config_for(fake)).unwrap()
}

/// What the receiver saw.
#[derive(Default)]
pub struct Seen {
    pub hits: usize,
    pub bodies: Vec<Vec<u8>>,
    pub events: Vec<WebhookEvent>,
    /// Answer 500 to this many signed requests before accepting.
    pub fail_first: usize,
}

/// A webhook endpoint: 401 without a valid signature, else parses and 200.
pub struct Receiver {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    pub async fn start(secret: &str) -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let secret: Arc<str> = secret.into();
        let app = axum::Router::new()
            .route("/webhooks/whatsapp", axum::routing::post(receive))
            .with_state((secret, Arc::clone(&seen)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/webhooks/whatsapp",
            listener.local_addr().unwrap()
        );
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, seen, server }
    }

    /// Starts a receiver and points the fake at it.
    pub async fn attach(fake: &FakeCloudApi) -> Self {
        let receiver = Self::start(&fake.config().app_secret).await;
        fake.set_webhook_target(receiver.url.clone(), reqwest::Client::new());
        receiver
    }

    pub fn events(&self) -> Vec<WebhookEvent> {
        self.seen.lock().unwrap().events.clone()
    }

    /// Waits (up to 5 s) until `count` events have arrived.
    pub async fn wait_for_events(&self, count: usize) -> Vec<WebhookEvent> {
        for _ in 0..500 {
            let events = self.events();
            if events.len() >= count {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {count} webhook events, got {:?}", self.events());
    }
}

async fn receive(
    State((secret, seen)): State<(Arc<str>, Arc<Mutex<Seen>>)>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let mut seen = seen.lock().unwrap();
    seen.hits += 1;
    if !verify_signature(secret.as_bytes(), signature, &body) {
        return (StatusCode::UNAUTHORIZED, "bad signature");
    }
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/json",
        "webhooks are JSON"
    );
    if seen.fail_first > 0 {
        seen.fail_first -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "try later");
    }
    let events = match parse_webhook(&body) {
        Ok(events) => events,
        Err(_) => return (StatusCode::BAD_REQUEST, "unparseable"),
    };
    seen.bodies.push(body.to_vec());
    seen.events.extend(events);
    (StatusCode::OK, "ok")
}
