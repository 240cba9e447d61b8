//! The control endpoints of `hippo dev fake-whatsapp`, served beside the
//! fake Cloud API on its port, under `/_fake/`. They play the patient's
//! phone and Meta's dashboard; each needs `Authorization: Bearer <access
//! token>` (the token hippo sends), answers JSON, and errors as
//! `{"error": "…"}`:
//!
//! - `GET /_fake` — the fake's ids, base URL and webhook state;
//! - `GET /_fake/sent` — every send accepted so far (`wamid`, `to`,
//!   `message_id`: hippo's message id from `biz_opaque_callback_data`,
//!   `type`, `template`, `request`: the request as received);
//! - `POST /_fake/status` `{message_id | wamid, status, error_code?,
//!   error_title?}` — a signed status webhook (`sent`, `delivered`, `read`,
//!   `failed`) to hippo; 200 `{wamid, webhook_status}` once hippo answered
//!   200, 502 with hippo's last status when it gave up (Meta's retries: up
//!   to 60 s), 202 while it still retries after 5 s;
//! - `POST /_fake/inbound` `{from, text, profile_name?}` — a signed inbound
//!   text from the patient's phone (E.164); 200 `{wamid}` once hippo took
//!   it, 202 while the fake still retries after 5 s;
//! - `POST /_fake/templates` `{name, language, body, category?, status?}` —
//!   adds or replaces a template (`{{1}}`… are its parameters);
//! - `PUT /_fake/webhook` `{url, ca_pem?}` — where webhooks go (and the
//!   PEM certificate to trust there); runs Meta's verification handshake
//!   with the verify token and answers `{url, verified, detail}`.

use anyhow::{Context, Result};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use hippo_whatsapp::FakeCloudApi;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

/// Templates the fake serves from the start: (name, body), en_US, UTILITY,
/// APPROVED. `hello_world` is the one Meta gives every test number.
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    ("hello_world", "Hello World"),
    (
        "appointment_reminder",
        "Hi, you have an appointment on {{1}} at {{2}}. Reply here to change it.",
    ),
];

/// Pause between attempts to reach hippo's webhook at start.
const CONNECT_RETRY: Duration = Duration::from_secs(1);
/// One handshake request's timeout (also the webhook client's).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a control request waits for hippo to take its webhook before
/// answering 202 (the delivery goes on).
const CONTROL_WAIT: Duration = Duration::from_secs(5);

/// The certificate to trust at the webhook endpoint.
#[derive(Debug, Clone)]
pub enum CaSource {
    /// A PEM file, read when the fake first connects (hippo may not have
    /// generated it yet).
    File(PathBuf),
    Pem(Vec<u8>),
}

/// Where webhooks go.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub ca: Option<CaSource>,
}

impl Target {
    pub fn describe(&self) -> String {
        match &self.ca {
            Some(CaSource::File(path)) => format!("{} (trusting {})", self.url, path.display()),
            Some(CaSource::Pem(_)) => format!("{} (trusting the PEM given)", self.url),
            None => self.url.clone(),
        }
    }
}

/// The control side's state: the fake (set once it runs), the tokens, and
/// the webhook's state.
pub struct Control {
    fake: OnceLock<Arc<FakeCloudApi>>,
    access_token: String,
    verify_token: String,
    webhook: Mutex<Webhook>,
}

#[derive(Default)]
struct Webhook {
    url: Option<String>,
    verified: bool,
    connecting: Option<tokio::task::AbortHandle>,
}

/// What the verification handshake found.
enum Handshake {
    Verified,
    Refused(String),
}

impl Control {
    pub fn new(access_token: String, verify_token: String) -> Self {
        Self {
            fake: OnceLock::new(),
            access_token,
            verify_token,
            webhook: Mutex::new(Webhook::default()),
        }
    }

    pub fn attach(&self, fake: Arc<FakeCloudApi>) {
        let _ = self.fake.set(fake);
    }

    fn webhook(&self) -> MutexGuard<'_, Webhook> {
        self.webhook.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Points the fake at `target` and retries the handshake every second
    /// until hippo answers it, printing each new reason it did not (a
    /// later `PUT /_fake/webhook` replaces this).
    pub fn connect_in_background(self: &Arc<Self>, target: Target) {
        let control = Arc::clone(self);
        let task = tokio::spawn(async move {
            let mut last_note = String::new();
            let mut note = |text: String| {
                if text != last_note {
                    println!("webhook: {text}");
                    last_note = text;
                }
            };
            loop {
                match control.point_at(&target).await {
                    Ok(Handshake::Verified) => {
                        println!("webhook verified: {}", target.url);
                        return;
                    }
                    Ok(Handshake::Refused(why)) => note(why),
                    Err(e) => note(format!("{e:#}")),
                }
                tokio::time::sleep(CONNECT_RETRY).await;
            }
        });
        self.replace_connecting(Some(task.abort_handle()));
    }

    pub fn stop(&self) {
        self.replace_connecting(None);
    }

    fn replace_connecting(&self, task: Option<tokio::task::AbortHandle>) {
        let old = std::mem::replace(&mut self.webhook().connecting, task);
        if let Some(old) = old {
            old.abort();
        }
    }

    /// Sets the fake's webhook target (once the certificate can be read)
    /// and runs the verification handshake once.
    async fn point_at(&self, target: &Target) -> Result<Handshake> {
        let pem =
            match &target.ca {
                None => None,
                Some(CaSource::Pem(pem)) => Some(pem.clone()),
                Some(CaSource::File(path)) => Some(std::fs::read(path).with_context(|| {
                    format!("waiting for hippo's certificate {}", path.display())
                })?),
            };
        let client = webhook_client(pem.as_deref())?;
        let fake = self.fake.get().context("the fake is starting")?;
        let changed = self.webhook().url.as_deref() != Some(target.url.as_str());
        if changed {
            fake.set_webhook_target(target.url.clone(), client.clone());
            let mut webhook = self.webhook();
            webhook.url = Some(target.url.clone());
            webhook.verified = false;
        }
        let outcome = handshake(&client, &target.url, &self.verify_token).await?;
        self.webhook().verified = matches!(outcome, Handshake::Verified);
        Ok(outcome)
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        aws_lc_rs::constant_time::verify_slices_are_equal(
            given.as_bytes(),
            self.access_token.as_bytes(),
        )
        .is_ok()
    }

    /// The fake, once the caller is authorized and a webhook is set when
    /// `need_webhook`.
    fn fake_for(
        &self,
        headers: &HeaderMap,
        need_webhook: bool,
    ) -> Result<&Arc<FakeCloudApi>, Refusal> {
        if !self.authorized(headers) {
            return Err(Refusal(
                StatusCode::UNAUTHORIZED,
                "Authorization: Bearer <the fake's access token> is required",
            ));
        }
        let Some(fake) = self.fake.get() else {
            return Err(Refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "the fake is starting",
            ));
        };
        if need_webhook && self.webhook().url.is_none() {
            return Err(Refusal(
                StatusCode::CONFLICT,
                "no webhook target yet: PUT /_fake/webhook {\"url\": \"https://HOST:PORT/webhooks/whatsapp\"}",
            ));
        }
        Ok(fake)
    }
}

/// A client for posting webhooks: trusting only `pem` when given, else the
/// system's roots.
fn webhook_client(pem: Option<&[u8]>) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder().timeout(REQUEST_TIMEOUT);
    if let Some(pem) = pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .context("the webhook certificate is not PEM")?;
        anyhow::ensure!(
            !certs.is_empty(),
            "the webhook certificate file holds no certificate"
        );
        builder = builder.tls_certs_only(certs);
    }
    builder.build().context("cannot build the webhook client")
}

/// Meta's verification handshake: `GET url?hub.mode=subscribe&
/// hub.verify_token=…&hub.challenge=…`, which must echo the challenge.
async fn handshake(client: &reqwest::Client, url: &str, verify_token: &str) -> Result<Handshake> {
    let mut bytes = [0u8; 8];
    aws_lc_rs::rand::fill(&mut bytes).context("no randomness for the challenge")?;
    let challenge: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut request_url =
        reqwest::Url::parse(url).with_context(|| format!("{url} is not a URL"))?;
    request_url
        .query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.verify_token", verify_token)
        .append_pair("hub.challenge", &challenge);
    let response = match client.get(request_url).send().await {
        Ok(response) => response,
        Err(e) => {
            let mut cause: &dyn std::error::Error = &e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            return Ok(Handshake::Refused(format!(
                "hippo is not reachable yet at {url}: {cause}"
            )));
        }
    };
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    Ok(match status.as_u16() {
        200 if body == challenge => Handshake::Verified,
        200 => Handshake::Refused(format!("{url} answered 200 without the challenge: is it hippo?")),
        403 => Handshake::Refused(
            "hippo refused the verify token: start it with the HIPPO_WHATSAPP_VERIFY_TOKEN printed above".to_owned(),
        ),
        503 => Handshake::Refused(
            "hippo's WhatsApp channel is off: start it with the HIPPO_WHATSAPP_* settings printed above".to_owned(),
        ),
        other => Handshake::Refused(format!("{url} answered {other} to the handshake")),
    })
}

/// A control request refused before it did anything.
struct Refusal(StatusCode, &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

fn error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({ "error": detail }))).into_response()
}

pub fn router(control: Arc<Control>) -> Router {
    Router::new()
        .route("/_fake", get(info))
        .route("/_fake/sent", get(sent))
        .route("/_fake/status", post(status))
        .route("/_fake/inbound", post(inbound))
        .route("/_fake/templates", post(template))
        .route("/_fake/webhook", put(webhook))
        .with_state(control)
}

/// `GET /_fake`
async fn info(State(control): State<Arc<Control>>, headers: HeaderMap) -> Response {
    let fake = match control.fake_for(&headers, false) {
        Ok(fake) => fake,
        Err(refusal) => return refusal.into_response(),
    };
    let config = fake.config();
    let webhook = control.webhook();
    Json(json!({
        "base_url": fake.base_url(),
        "phone_number_id": config.phone_number_id,
        "business_account_id": config.business_account_id,
        "webhook": { "url": webhook.url, "verified": webhook.verified },
        "sent": fake.sent().len(),
    }))
    .into_response()
}

/// `GET /_fake/sent`
async fn sent(State(control): State<Arc<Control>>, headers: HeaderMap) -> Response {
    let fake = match control.fake_for(&headers, false) {
        Ok(fake) => fake,
        Err(refusal) => return refusal.into_response(),
    };
    let sent: Vec<Value> = fake
        .sent()
        .into_iter()
        .map(|record| {
            json!({
                "wamid": record.wamid,
                "to": record.to,
                "message_id": record.callback_data,
                "type": record.body["type"],
                "template": record.body.pointer("/template/name"),
                "request": record.body,
            })
        })
        .collect();
    Json(json!({ "sent": sent })).into_response()
}

#[derive(Deserialize)]
struct StatusRequest {
    wamid: Option<String>,
    message_id: Option<String>,
    status: String,
    error_code: Option<i64>,
    error_title: Option<String>,
}

/// `POST /_fake/status`
async fn status(
    State(control): State<Arc<Control>>,
    headers: HeaderMap,
    Json(request): Json<StatusRequest>,
) -> Response {
    let fake = match control.fake_for(&headers, true) {
        Ok(fake) => fake,
        Err(refusal) => return refusal.into_response(),
    };
    if !["sent", "delivered", "read", "failed"].contains(&request.status.as_str()) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "status must be sent, delivered, read or failed",
        );
    }
    let wamid = match (&request.wamid, &request.message_id) {
        (Some(wamid), _) => wamid.clone(),
        (None, Some(id)) => {
            let found = fake
                .sent()
                .into_iter()
                .rev()
                .find(|r| r.callback_data.as_deref() == Some(id.as_str()));
            match found {
                Some(record) => record.wamid,
                None => {
                    return error(
                        StatusCode::NOT_FOUND,
                        "no send carries this message_id (yet: hippo sends from its outbox)",
                    );
                }
            }
        }
        (None, None) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "give the message_id (hippo's) or the wamid",
            );
        }
    };
    let title = request
        .error_title
        .unwrap_or_else(|| "Message undeliverable".to_owned());
    let (fake, id) = (Arc::clone(fake), wamid.clone());
    let delivery = tokio::spawn(async move {
        let failure = request
            .error_code
            .map(|code| (code, title.as_str(), title.as_str()));
        fake.post_status(&id, &request.status, failure).await
    });
    match tokio::time::timeout(CONTROL_WAIT, delivery).await {
        Ok(Ok(200)) => Json(json!({ "wamid": wamid, "webhook_status": 200 })).into_response(),
        Ok(Ok(answer)) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "wamid": wamid, "webhook_status": answer,
                         "error": "hippo did not take the webhook (0: not reachable)" })),
        )
            .into_response(),
        Ok(Err(_)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the delivery task failed",
        ),
        Err(_) => still_delivering(json!({ "wamid": wamid })),
    }
}

/// 202: hippo has not answered 200 within [`CONTROL_WAIT`]; the delivery
/// goes on in the background (for up to 60 s, as Meta retries).
fn still_delivering(mut body: Value) -> Response {
    body["webhook_status"] = Value::Null;
    body["detail"] =
        json!("hippo has not taken the webhook yet; the fake keeps retrying for up to 60 s");
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

#[derive(Deserialize)]
struct InboundRequest {
    from: String,
    text: String,
    profile_name: Option<String>,
}

/// `POST /_fake/inbound`
async fn inbound(
    State(control): State<Arc<Control>>,
    headers: HeaderMap,
    Json(request): Json<InboundRequest>,
) -> Response {
    let fake = match control.fake_for(&headers, true) {
        Ok(fake) => fake,
        Err(refusal) => return refusal.into_response(),
    };
    if !request.from.chars().any(|c| c.is_ascii_digit()) || request.text.is_empty() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "from (the patient's phone, E.164) and text are required",
        );
    }
    let fake = Arc::clone(fake);
    let delivery = tokio::spawn(async move {
        let name = request.profile_name.as_deref().unwrap_or("Fake Patient");
        fake.post_inbound_text(&request.from, name, &request.text)
            .await
    });
    match tokio::time::timeout(CONTROL_WAIT, delivery).await {
        Ok(Ok(wamid)) => Json(json!({ "wamid": wamid })).into_response(),
        Ok(Err(_)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the delivery task failed",
        ),
        Err(_) => still_delivering(json!({})),
    }
}

#[derive(Deserialize)]
struct TemplateRequest {
    name: String,
    language: String,
    body: String,
    category: Option<String>,
    status: Option<String>,
}

/// `POST /_fake/templates`
async fn template(
    State(control): State<Arc<Control>>,
    headers: HeaderMap,
    Json(request): Json<TemplateRequest>,
) -> Response {
    let fake = match control.fake_for(&headers, false) {
        Ok(fake) => fake,
        Err(refusal) => return refusal.into_response(),
    };
    if request.name.is_empty() || request.language.is_empty() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "name and language are required",
        );
    }
    let category = request.category.as_deref().unwrap_or("UTILITY");
    let status = request.status.as_deref().unwrap_or("APPROVED");
    fake.add_template(
        &request.name,
        &request.language,
        category,
        status,
        &request.body,
    );
    (
        StatusCode::CREATED,
        Json(json!({ "name": request.name, "language": request.language,
                     "category": category, "status": status })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct WebhookRequest {
    url: String,
    ca_pem: Option<String>,
}

/// `PUT /_fake/webhook`
async fn webhook(
    State(control): State<Arc<Control>>,
    headers: HeaderMap,
    Json(request): Json<WebhookRequest>,
) -> Response {
    if let Err(refusal) = control.fake_for(&headers, false) {
        return refusal.into_response();
    }
    control.stop();
    let target = Target {
        url: request.url.clone(),
        ca: request.ca_pem.map(|pem| CaSource::Pem(pem.into_bytes())),
    };
    // Always re-aim: the certificate may be new even if the URL is not.
    control.webhook().url = None;
    match control.point_at(&target).await {
        Ok(outcome) => {
            let (verified, detail) = match outcome {
                Handshake::Verified => {
                    (true, "hippo answered the verification handshake".to_owned())
                }
                Handshake::Refused(why) => (false, why),
            };
            println!("webhooks to: {} (verified: {verified})", target.describe());
            Json(json!({ "url": request.url, "verified": verified, "detail": detail }))
                .into_response()
        }
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, &format!("{e:#}")),
    }
}
