//! A fake Cloud API: a stand-in for Meta's servers on plain HTTP at
//! 127.0.0.1, for end-to-end tests. It follows the documented request,
//! response, error and webhook formats (the same shapes as the reference
//! samples) and posts signed webhooks to the server under test, retrying
//! until it answers 200 as Meta does.
//!
//! Endpoints (all need `Authorization: Bearer <access_token>`, else HTTP 401
//! with code 190):
//! - `POST /{version}/{phone_number_id}/messages` — validates and accepts
//!   sends (see [`FakeFailure`] and the crate docs for the error mapping);
//! - `GET /{version}/{waba_id}/message_templates` — 2 per page (or
//!   `?limit=`), `paging.cursors` and a full `paging.next` URL;
//! - `GET /{version}/{media_id}` — media info for registered media;
//! - `GET /whatsapp_business/attachments/?mid=...` — the media bytes.

mod server;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::signature::{encode_hex, sign};

/// How long webhook delivery keeps retrying before giving up.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(60);
/// Pause between webhook delivery attempts.
const DELIVERY_RETRY: Duration = Duration::from_millis(100);
/// One delivery attempt's own timeout.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The `href` Meta puts in webhook errors.
const ERROR_HREF: &str =
    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/";
/// The display name used for inbound messages that do not give one.
const DEFAULT_PROFILE_NAME: &str = "Fake Patient";

/// The fake's identity and secrets.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub phone_number_id: String,
    pub business_account_id: String,
    pub access_token: String,
    pub app_secret: String,
    pub display_phone_number: String,
}

impl Default for FakeConfig {
    /// The ids of Meta's documentation examples (as in the samples).
    fn default() -> Self {
        Self {
            phone_number_id: "106540352242922".into(),
            business_account_id: "102290129340398".into(),
            access_token: "fake-access-token".into(),
            app_secret: "fake-app-secret".into(),
            display_phone_number: "15550783881".into(),
        }
    }
}

/// A failure to inject into the next send.
#[derive(Debug, Clone)]
pub enum FakeFailure {
    /// A Graph error envelope with this code, at the HTTP status Meta uses
    /// for it: 429 for 131056; 401 for 0 and 190; 403 for 10 and 200-299;
    /// 500 for 1 and 131000; 503 for 2, 131016, 131057 and 133004; 400 for
    /// everything else (130429 included).
    Code(i64),
    /// HTTP 500 with code 1, HTTP 503 with code 2 ("Service temporarily
    /// unavailable"); any other status with an empty body.
    ServerError(u16),
    /// Accept the request but answer only after this long (then HTTP 504,
    /// empty body, nothing sent): for client timeout tests.
    Hang(Duration),
}

/// A send the fake accepted.
#[derive(Debug, Clone)]
pub struct SentRecord {
    pub wamid: String,
    /// The `to` digits as received.
    pub to: String,
    /// The request JSON as received.
    pub body: Value,
    pub callback_data: Option<String>,
}

/// The fake Cloud API server; stops when dropped.
pub struct FakeCloudApi {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

pub(crate) struct Inner {
    config: FakeConfig,
    base_url: String,
    port: u16,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    target: Option<(String, reqwest::Client)>,
    auto_sent: bool,
    templates: Vec<FakeTemplate>,
    failures: VecDeque<FakeFailure>,
    rate_limit: Option<u32>,
    recent_sends: VecDeque<Instant>,
    sent: Vec<SentRecord>,
    attempts: usize,
    media: HashMap<String, FakeMedia>,
    seq: u64,
    deliveries: Vec<tokio::task::AbortHandle>,
}

#[derive(Clone)]
struct FakeTemplate {
    id: u64,
    name: String,
    language: String,
    category: String,
    status: String,
    body_text: String,
}

#[derive(Clone)]
struct FakeMedia {
    bytes: Vec<u8>,
    mime_type: String,
}

impl FakeCloudApi {
    /// Binds 127.0.0.1:0 and serves until dropped.
    #[expect(
        clippy::expect_used,
        reason = "test fake: no loopback port means the test machine is broken"
    )]
    pub async fn start(config: FakeConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the fake Cloud API");
        Self::start_on(listener, config, axum::Router::new())
            .expect("local address of the fake Cloud API")
    }

    /// Serves on `listener` until dropped, with `extra` routes beside the
    /// Cloud API's (they win where both match): for `hippo dev
    /// fake-whatsapp`, which adds its control endpoints. The base URL names
    /// the listener's address.
    pub fn start_on(
        listener: tokio::net::TcpListener,
        config: FakeConfig,
        extra: axum::Router,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            config,
            base_url: format!("http://{addr}"),
            port: addr.port(),
            state: Mutex::new(State {
                auto_sent: true,
                ..State::default()
            }),
        });
        let app = extra.merge(server::router(Arc::clone(&inner)));
        let server = tokio::spawn(async move {
            if axum::serve(listener, app).await.is_err() {
                tracing::warn!("fake Cloud API server stopped");
            }
        });
        Ok(Self {
            inner,
            addr,
            server,
        })
    }

    /// "http://127.0.0.1:PORT" (use as api_base).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn config(&self) -> &FakeConfig {
        &self.inner.config
    }

    /// Where to POST webhooks (e.g. "https://127.0.0.1:PORT/webhooks/whatsapp")
    /// and the client to use. Delivery retries until a 200 (every 100 ms,
    /// for up to 60 s), like Meta does; one background task per delivery.
    pub fn set_webhook_target(&self, url: String, client: reqwest::Client) {
        self.inner.state().target = Some((url, client));
    }

    /// When on (default on), every accepted send is followed by a signed
    /// `sent` status webhook (with biz_opaque_callback_data echoed) posted
    /// to the target, if one is set. It may arrive before the send's HTTP
    /// response has been read, as with Meta.
    pub fn set_auto_sent(&self, on: bool) {
        self.inner.state().auto_sent = on;
    }

    /// Adds (or replaces, by name and language) a template served by
    /// `GET /{version}/{waba}/message_templates`, 2 per page with
    /// paging.cursors.after + paging.next.
    pub fn add_template(
        &self,
        name: &str,
        language: &str,
        category: &str,
        status: &str,
        body_text: &str,
    ) {
        let mut state = self.inner.state();
        let id = 1_252_715_608_684_590 + state.next_seq();
        let template = FakeTemplate {
            id,
            name: name.to_owned(),
            language: language.to_owned(),
            category: category.to_owned(),
            status: status.to_owned(),
            body_text: body_text.to_owned(),
        };
        match state
            .templates
            .iter_mut()
            .find(|t| t.name == name && t.language == language)
        {
            Some(existing) => {
                *existing = FakeTemplate {
                    id: existing.id,
                    ..template
                }
            }
            None => state.templates.push(template),
        }
    }

    /// The next `n` sends fail this way (queue; each call appends).
    pub fn fail_next(&self, n: usize, failure: FakeFailure) {
        let mut state = self.inner.state();
        state.failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Accept sends but only up to `per_second` in any 1 s window; over that
    /// answer 130429 (throughput limit) as Meta does. None = unlimited.
    pub fn set_rate_limit(&self, per_second: Option<u32>) {
        self.inner.state().rate_limit = per_second;
    }

    /// Every send accepted so far, in arrival order.
    pub fn sent(&self) -> Vec<SentRecord> {
        self.inner.state().sent.clone()
    }

    /// Count of send requests received (accepted or not).
    pub fn send_attempts(&self) -> usize {
        self.inner.state().attempts
    }

    /// Posts a signed status webhook for a wamid (status
    /// "sent"|"delivered"|"read"|"failed"; `error` = (code, title, details)
    /// for failed — a failed status without one carries 131026 "Receiver is
    /// incapable of receiving this message") and waits until it is answered
    /// 200 (or 60 s): returns the HTTP status of the final attempt (0 when
    /// no target is set or the connection failed).
    pub async fn post_status(
        &self,
        wamid: &str,
        status: &str,
        error: Option<(i64, &str, &str)>,
    ) -> u16 {
        let value = self.inner.status_value(wamid, status, error);
        let body = self.envelope(json!({ "statuses": [value] }));
        self.inner.deliver(body).await
    }

    /// Posts a signed inbound text from `from` (E.164 with or without '+',
    /// sent as digits) with profile name; returns the new wamid once the
    /// target answered 200 (or delivery gave up after 60 s).
    pub async fn post_inbound_text(&self, from: &str, profile_name: &str, body: &str) -> String {
        let wamid = self.inner.next_wamid("in");
        let message = json!({
            "from": digits(from),
            "id": wamid,
            "timestamp": unix_now().to_string(),
            "type": "text",
            "text": { "body": body },
        });
        self.post_inbound(from, profile_name, message).await;
        wamid
    }

    /// Registers media bytes (served by GET /{version}/{media_id} →
    /// {messaging_product,url,mime_type,sha256,file_size,id} and GET of that
    /// url — both require the Bearer token), posts a signed inbound image
    /// message with caption (profile name "Fake Patient"); returns the wamid.
    pub async fn post_inbound_image(
        &self,
        from: &str,
        bytes: Vec<u8>,
        mime_type: &str,
        caption: Option<&str>,
    ) -> String {
        let wamid = self.inner.next_wamid("in");
        let digest = base64(sha256(&bytes).as_ref());
        let media_id = {
            let mut state = self.inner.state();
            let media_id = (1_003_383_421_387_256 + state.next_seq()).to_string();
            state.media.insert(
                media_id.clone(),
                FakeMedia {
                    bytes,
                    mime_type: mime_type.to_owned(),
                },
            );
            media_id
        };
        let mut image = json!({
            "mime_type": mime_type,
            "sha256": digest,
            "id": media_id,
            "url": self.inner.media_url(&media_id),
        });
        if let Some(caption) = caption {
            image["caption"] = json!(caption);
        }
        let message = json!({
            "from": digits(from),
            "id": wamid,
            "timestamp": unix_now().to_string(),
            "type": "image",
            "image": image,
        });
        self.post_inbound(from, DEFAULT_PROFILE_NAME, message).await;
        wamid
    }

    /// Posts arbitrary bytes with the given signature header value (None =
    /// no header) once; returns the HTTP status and body text ((0, "") when
    /// no target is set or the connection failed).
    pub async fn post_raw(&self, body: Vec<u8>, signature: Option<String>) -> (u16, String) {
        let Some(target) = self.inner.target() else {
            return (0, String::new());
        };
        post_once(&target, body, signature).await
    }

    /// Wraps a `value` object in the standard envelope (object,
    /// entry[id=WABA], changes[field="messages"], metadata) — for tests
    /// that craft their own events. `messaging_product` and `metadata` are
    /// added when the value lacks them. The bytes are what the fake posts:
    /// non-ASCII escaped as `\uXXXX`.
    pub fn envelope(&self, value: Value) -> Vec<u8> {
        self.inner.envelope(value)
    }

    async fn post_inbound(&self, from: &str, profile_name: &str, message: Value) {
        let value = json!({
            "contacts": [{ "profile": { "name": profile_name }, "wa_id": digits(from) }],
            "messages": [message],
        });
        let body = self.envelope(value);
        let status = self.inner.deliver(body).await;
        if status != 200 {
            tracing::warn!(status, "fake Cloud API: inbound webhook not acknowledged");
        }
    }
}

impl Drop for FakeCloudApi {
    fn drop(&mut self) {
        self.server.abort();
        for delivery in self.inner.state().deliveries.drain(..) {
            delivery.abort();
        }
    }
}

impl State {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn target(&self) -> Option<(String, reqwest::Client)> {
        self.state().target.clone()
    }

    /// "wamid." + base64("hippo-fake:{port}:{tag}:{seq}"): unique per fake
    /// instance and sequence number.
    fn next_wamid(&self, tag: &str) -> String {
        let seq = self.state().next_seq();
        format!(
            "wamid.{}",
            base64(format!("hippo-fake:{}:{tag}:{seq}", self.port).as_bytes())
        )
    }

    fn media_url(&self, media_id: &str) -> String {
        let hash = &encode_hex(sha256(media_id.as_bytes()).as_ref())[..16];
        format!(
            "{}/whatsapp_business/attachments/?mid={media_id}&ext={}&hash={hash}",
            self.base_url,
            unix_now() + 300
        )
    }

    fn envelope(&self, value: Value) -> Vec<u8> {
        let mut value = value;
        if let Value::Object(map) = &mut value {
            map.entry("messaging_product")
                .or_insert_with(|| json!("whatsapp"));
            map.entry("metadata").or_insert_with(|| {
                json!({
                    "display_phone_number": self.config.display_phone_number,
                    "phone_number_id": self.config.phone_number_id,
                })
            });
        }
        let envelope = json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": self.config.business_account_id,
                "changes": [{ "value": value, "field": "messages" }],
            }],
        });
        escape_non_ascii(&envelope.to_string()).into_bytes()
    }

    /// A `statuses[]` item shaped like Meta's, with what the fake knows of
    /// the send (recipient, callback data, pricing category).
    fn status_value(&self, wamid: &str, status: &str, error: Option<(i64, &str, &str)>) -> Value {
        let (record, category) = {
            let state = self.state();
            let record = state.sent.iter().find(|r| r.wamid == wamid).cloned();
            let category = record.as_ref().map(|r| state.pricing_category(&r.body));
            (record, category)
        };
        let now = unix_now();
        let mut value = json!({
            "id": wamid,
            "status": status,
            "timestamp": now.to_string(),
        });
        if let Some(record) = &record {
            value["recipient_id"] = json!(record.to);
            if let Some(data) = &record.callback_data {
                value["biz_opaque_callback_data"] = json!(data);
            }
        }
        if let (Some(category), "sent" | "delivered") = (category, status) {
            let free = category == "service";
            let mut conversation = json!({
                "id": encode_hex(&sha256(wamid.as_bytes()).as_ref()[..16]),
                "origin": { "type": category },
            });
            if status == "sent" {
                conversation["expiration_timestamp"] = json!((now + 86_400).to_string());
            }
            value["conversation"] = conversation;
            value["pricing"] = json!({
                "billable": !free,
                "pricing_model": "PMP",
                "category": category,
                "type": if free { "free_customer_service" } else { "regular" },
            });
        }
        if status == "failed" {
            let (code, title, details) = error.unwrap_or((
                131_026,
                "Receiver is incapable of receiving this message",
                "Message Undeliverable.",
            ));
            value["errors"] = json!([{
                "code": code,
                "title": title,
                "message": title,
                "error_data": { "details": details },
                "href": ERROR_HREF,
            }]);
        }
        value
    }

    /// Posts a signed webhook until it is answered 200 or the deadline
    /// passes; returns the final status (0: no target / no connection).
    async fn deliver(&self, body: Vec<u8>) -> u16 {
        let Some(target) = self.target() else {
            return 0;
        };
        deliver_to(target, self.config.app_secret.clone(), body).await
    }

    /// Like [`Inner::deliver`] in a background task (for auto `sent`).
    fn deliver_in_background(&self, body: Vec<u8>) {
        let Some(target) = self.target() else {
            return;
        };
        let secret = self.config.app_secret.clone();
        let task = tokio::spawn(async move {
            deliver_to(target, secret, body).await;
        });
        let mut state = self.state();
        state.deliveries.retain(|d| !d.is_finished());
        state.deliveries.push(task.abort_handle());
    }
}

impl State {
    /// `pricing.category` for a send: the template's category in lower case,
    /// `service` for free-form messages.
    fn pricing_category(&self, request: &Value) -> String {
        let template = &request["template"];
        let name = template["name"].as_str();
        let language = template["language"]["code"].as_str();
        self.templates
            .iter()
            .find(|t| Some(t.name.as_str()) == name && Some(t.language.as_str()) == language)
            .map_or_else(|| "service".to_owned(), |t| t.category.to_lowercase())
    }
}

async fn deliver_to(target: (String, reqwest::Client), secret: String, body: Vec<u8>) -> u16 {
    let signature = sign(secret.as_bytes(), &body);
    let started = Instant::now();
    loop {
        let (status, _) = post_once(&target, body.clone(), Some(signature.clone())).await;
        if status == 200 || started.elapsed() >= DELIVERY_DEADLINE {
            return status;
        }
        tokio::time::sleep(DELIVERY_RETRY).await;
    }
}

async fn post_once(
    (url, client): &(String, reqwest::Client),
    body: Vec<u8>,
    signature: Option<String>,
) -> (u16, String) {
    let mut request = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("X-Hub-Signature-256", signature);
    }
    let attempt = async {
        let response = request.send().await.ok()?;
        let status = response.status().as_u16();
        Some((status, response.text().await.unwrap_or_default()))
    };
    tokio::time::timeout(ATTEMPT_TIMEOUT, attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or((0, String::new()))
}

#[expect(
    clippy::disallowed_methods,
    reason = "a fake of Meta's servers stamps webhooks with the wall clock, as Meta does"
)]
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn sha256(bytes: &[u8]) -> aws_lc_rs::digest::Digest {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
}

/// "+1 650..." → "1650...": the digits only.
fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Meta's webhook bodies escape every non-ASCII character as `\uXXXX`
/// (UTF-16 units, surrogate pairs beyond the BMP). In serde_json's output
/// non-ASCII only occurs inside strings, so escaping it in place is valid.
fn escape_non_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut units = [0u16; 2];
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let index =
            |shift: u32| char::from(ALPHABET[usize::try_from((n >> shift) & 63).unwrap_or(0)]);
        out.push(index(18));
        out.push(index(12));
        out.push(if chunk.len() > 1 { index(6) } else { '=' });
        out.push(if chunk.len() > 2 { index(0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn non_ascii_is_escaped_like_meta() {
        let json = json!({"body": "café 😀 \"q\""}).to_string();
        let escaped = escape_non_ascii(&json);
        assert_eq!(escaped, r#"{"body":"caf\u00e9 \ud83d\ude00 \"q\""}"#);
        let back: Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["body"], "café 😀 \"q\"");
    }

    #[test]
    fn digits_strips_formatting() {
        assert_eq!(digits("+1 650-555-1234"), "16505551234");
    }
}
