//! The Cloud API client: send messages, list templates, fetch inbound media.
//!
//! One `CloudApi` is bound to one phone number and WABA (multi-tenant
//! callers keep one per number). Every call carries the Bearer token, has a
//! per-request timeout and follows no redirects. Logs name the operation,
//! API version, HTTP status and duration only: never recipients, bodies,
//! ids or tokens.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::{ApiError, ErrorClass};
use crate::wire::{list, opt_i64, opt_str, placeholder_count};

pub const DEFAULT_API_BASE: &str = "https://graph.facebook.com";
pub const DEFAULT_API_VERSION: &str = "v25.0";

/// The most template pages [`CloudApi::list_templates`] follows.
const MAX_TEMPLATE_PAGES: usize = 100;
/// The largest JSON answer read from the Graph API.
const MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;
/// The most of an error body read from a media download.
const MAX_ERROR_BYTES: u64 = 64 * 1024;

/// Where and as whom to call the Cloud API.
#[derive(Clone)]
pub struct CloudApiConfig {
    /// e.g. `https://graph.facebook.com` or `http://127.0.0.1:PORT`; a
    /// trailing slash is tolerated.
    pub api_base: String,
    /// e.g. "v25.0".
    pub api_version: String,
    pub phone_number_id: String,
    pub business_account_id: String,
    /// A System User token (never logged; `Debug` redacts it).
    pub access_token: Zeroizing<String>,
    /// Per request, including reading the body.
    pub timeout: Duration,
}

impl fmt::Debug for CloudApiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudApiConfig")
            .field("api_base", &self.api_base)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("business_account_id", &self.business_account_id)
            .field("access_token", &"[redacted]")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A message to send. `Debug` hides the recipient, body and parameters.
#[derive(Clone, PartialEq, Eq)]
pub enum OutboundMessage {
    /// Free-form text (only inside the 24 h customer-service window).
    /// `to` is E.164 with a leading `+`; the digits are sent.
    Text {
        to: String,
        body: String,
        callback_data: Option<String>,
    },
    /// An approved template with positional BODY parameters (header and
    /// button parameters are out of scope for v1).
    Template {
        to: String,
        name: String,
        language: String,
        body_parameters: Vec<String>,
        callback_data: Option<String>,
    },
}

impl fmt::Debug for OutboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text {
                body,
                callback_data,
                ..
            } => f
                .debug_struct("Text")
                .field("to", &"[redacted]")
                .field("body_chars", &body.chars().count())
                .field("callback_data", callback_data)
                .finish(),
            Self::Template {
                name,
                language,
                body_parameters,
                callback_data,
                ..
            } => f
                .debug_struct("Template")
                .field("to", &"[redacted]")
                .field("name", name)
                .field("language", language)
                .field("body_parameters", &body_parameters.len())
                .field("callback_data", callback_data)
                .finish(),
        }
    }
}

impl OutboundMessage {
    /// The request JSON as Meta expects it.
    fn request_body(&self) -> Value {
        let (to, callback_data, mut body) = match self {
            Self::Text {
                to,
                body,
                callback_data,
            } => (
                to,
                callback_data,
                json!({
                    "type": "text",
                    "text": {"preview_url": false, "body": body},
                }),
            ),
            Self::Template {
                to,
                name,
                language,
                body_parameters,
                callback_data,
            } => {
                let mut template = json!({"name": name, "language": {"code": language}});
                if !body_parameters.is_empty() {
                    let parameters: Vec<Value> = body_parameters
                        .iter()
                        .map(|text| json!({"type": "text", "text": text}))
                        .collect();
                    template["components"] = json!([{"type": "body", "parameters": parameters}]);
                }
                (
                    to,
                    callback_data,
                    json!({"type": "template", "template": template}),
                )
            }
        };
        body["messaging_product"] = json!("whatsapp");
        body["recipient_type"] = json!("individual");
        body["to"] = json!(to.strip_prefix('+').unwrap_or(to));
        if let Some(data) = callback_data {
            body["biz_opaque_callback_data"] = json!(data);
        }
        body
    }
}

/// Meta took the message (HTTP 200). Delivery is reported later by webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub wamid: String,
    /// `accepted`, `held_for_quality_assessment` or `paused` (templates,
    /// v24.0+); `None` when Meta sent none (free-form text).
    pub message_status: Option<String>,
}

/// One approved-or-not template, from `GET /{waba}/message_templates`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub language: String,
    /// As Meta sends it: `UTILITY`, `MARKETING`, `AUTHENTICATION`.
    pub category: String,
    /// As Meta sends it: `APPROVED`, `PAUSED`, `REJECTED`...
    pub status: String,
    /// Distinct placeholders (`{{1}}` or `{{name}}`) in the BODY text only:
    /// header and button parameters are out of scope for v1.
    pub parameter_count: u32,
    pub body_text: Option<String>,
}

/// `GET /{media_id}`: where to download inbound media (URL valid ~5 min).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: String,
    /// Hex SHA-256 of the file, as this endpoint gives it.
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
    pub id: String,
}

/// A client for one phone number / WABA.
pub struct CloudApi {
    http: reqwest::Client,
    config: CloudApiConfig,
}

impl fmt::Debug for CloudApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudApi")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CloudApi {
    /// A client with its own connection pool, no redirects and the
    /// configured timeout.
    pub fn new(config: CloudApiConfig) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .user_agent(concat!("hippo-whatsapp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| ApiError::local("http client setup failed", None, ErrorClass::Auth))?;
        Ok(Self { http, config })
    }

    /// For tests/private CAs: a client built by the caller. The config's
    /// timeout is still applied to every request.
    pub fn with_client(config: CloudApiConfig, http: reqwest::Client) -> Self {
        Self { http, config }
    }

    pub fn config(&self) -> &CloudApiConfig {
        &self.config
    }

    /// POST /{version}/{phone_number_id}/messages
    pub async fn send(&self, message: &OutboundMessage) -> Result<Accepted, ApiError> {
        let url = self.graph_url(&[&self.config.phone_number_id, "messages"])?;
        let request = self
            .request(Method::POST, url)
            .json(&message.request_body());
        let answer: SendResponse = self.call_json("send", request).await?;
        let first = answer.messages.into_iter().flatten().next();
        match first {
            Some(SendMessage {
                id: Some(wamid),
                message_status,
            }) if !wamid.is_empty() => Ok(Accepted {
                wamid,
                message_status,
            }),
            _ => Err(unexpected_response()),
        }
    }

    /// GET /{version}/{business_account_id}/message_templates, following
    /// paging.next / cursors.after until done (cap at 100 pages; more is an
    /// error rather than a silently short list). A `next` URL on another
    /// origin than `api_base` is not followed with the token: the cursor is
    /// used against `api_base` instead.
    pub async fn list_templates(&self) -> Result<Vec<Template>, ApiError> {
        let first = self.graph_url(&[&self.config.business_account_id, "message_templates"])?;
        let mut url = first.clone();
        let mut templates = Vec::new();
        for _ in 0..MAX_TEMPLATE_PAGES {
            let request = self.request(Method::GET, url);
            let page: TemplatePage = self.call_json("list_templates", request).await?;
            templates.extend(
                page.data
                    .into_iter()
                    .flatten()
                    .filter_map(RawTemplate::parse),
            );
            match self.next_page(&first, page.paging) {
                Some(next) => url = next,
                None => return Ok(templates),
            }
        }
        Err(ApiError::local(
            "template list exceeds 100 pages",
            None,
            ErrorClass::Permanent,
        ))
    }

    /// GET /{version}/{media_id} -> MediaInfo
    pub async fn media_info(&self, media_id: &str) -> Result<MediaInfo, ApiError> {
        if media_id.is_empty()
            || !media_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ApiError::local(
                "invalid media id",
                None,
                ErrorClass::Permanent,
            ));
        }
        let url = self.graph_url(&[media_id])?;
        let request = self.request(Method::GET, url);
        let raw: RawMediaInfo = self.call_json("media_info", request).await?;
        match (raw.url, raw.mime_type) {
            (Some(url), Some(mime_type)) => Ok(MediaInfo {
                url,
                mime_type,
                sha256: raw.sha256,
                file_size: raw.file_size.and_then(|n| u64::try_from(n).ok()),
                id: raw.id.unwrap_or_else(|| media_id.to_owned()),
            }),
            _ => Err(unexpected_response()),
        }
    }

    /// GET url with the same Bearer header; refuses bodies larger than
    /// max_bytes (ApiError, permanent); returns bytes.
    ///
    /// The token is only sent over HTTPS or to `api_base`'s own origin; any
    /// other URL is refused (permanent).
    pub async fn download_media(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, ApiError> {
        let url = Url::parse(url)
            .ok()
            .filter(|u| u.scheme() == "https" || self.is_api_origin(u))
            .ok_or_else(|| ApiError::local("refused media URL", None, ErrorClass::Permanent))?;
        let started = Instant::now();
        let mut response = self
            .request(Method::GET, url)
            .send()
            .await
            .map_err(|e| ApiError::transport(&e))?;
        let status = response.status().as_u16();
        self.log("download_media", status, started);
        if !response.status().is_success() {
            let body = read_capped(&mut response, MAX_ERROR_BYTES)
                .await
                .unwrap_or_default();
            return Err(ApiError::from_response(status, &body));
        }
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large(status));
        }
        match read_capped(&mut response, max_bytes).await {
            Ok(bytes) => Ok(bytes),
            Err(ReadError::TooLarge) => Err(too_large(status)),
            Err(ReadError::Transport(e)) => Err(ApiError::transport(&e)),
        }
    }

    // --- helpers -----------------------------------------------------------

    fn api_base(&self) -> Result<Url, ApiError> {
        let base = self.config.api_base.trim_end_matches('/');
        Url::parse(base).map_err(|_| ApiError::local("invalid api_base", None, ErrorClass::Auth))
    }

    /// `{api_base}/{api_version}/{segments...}`, each segment escaped.
    fn graph_url(&self, segments: &[&str]) -> Result<Url, ApiError> {
        let mut url = self.api_base()?;
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| ApiError::local("invalid api_base", None, ErrorClass::Auth))?;
            path.pop_if_empty();
            path.push(&self.config.api_version);
            path.extend(segments);
        }
        Ok(url)
    }

    fn is_api_origin(&self, url: &Url) -> bool {
        self.api_base()
            .is_ok_and(|base| base.origin() == url.origin())
    }

    fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(self.config.access_token.as_str())
            .timeout(self.config.timeout)
    }

    /// Sends, reads a bounded body, maps non-2xx to [`ApiError`] and parses
    /// the JSON answer.
    async fn call_json<T: serde::de::DeserializeOwned>(
        &self,
        op: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        let started = Instant::now();
        let mut response = request.send().await.map_err(|e| ApiError::transport(&e))?;
        let status = response.status().as_u16();
        let body = match read_capped(&mut response, MAX_JSON_BYTES).await {
            Ok(body) => body,
            Err(ReadError::TooLarge) => return Err(unexpected_response()),
            Err(ReadError::Transport(e)) => return Err(ApiError::transport(&e)),
        };
        self.log(op, status, started);
        if !response.status().is_success() {
            return Err(ApiError::from_response(status, &body));
        }
        serde_json::from_slice(&body).map_err(|_| unexpected_response())
    }

    fn log(&self, op: &'static str, status: u16, started: Instant) {
        tracing::debug!(
            op,
            api_version = %self.config.api_version,
            status,
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "whatsapp cloud api call"
        );
    }

    /// The URL of the next template page, or `None` when this was the last.
    fn next_page(&self, first: &Url, paging: Option<Paging>) -> Option<Url> {
        let paging = paging?;
        let next = paging.next?;
        if let Ok(url) = Url::parse(&next)
            && self.is_api_origin(&url)
        {
            return Some(url);
        }
        let after = paging.cursors?.after?;
        let mut url = first.clone();
        url.query_pairs_mut().append_pair("after", &after);
        Some(url)
    }
}

fn unexpected_response() -> ApiError {
    ApiError::local("unexpected response", Some(200), ErrorClass::Permanent)
}

fn too_large(status: u16) -> ApiError {
    ApiError::local("media too large", Some(status), ErrorClass::Permanent)
}

enum ReadError {
    TooLarge,
    Transport(reqwest::Error),
}

/// Reads the body chunk by chunk, stopping as soon as it passes `max` bytes.
async fn read_capped(response: &mut reqwest::Response, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        let total = u64::try_from(out.len() + chunk.len()).unwrap_or(u64::MAX);
        if total > max {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

// --- wire models ------------------------------------------------------------

#[derive(Deserialize)]
struct SendResponse {
    #[serde(default, deserialize_with = "list")]
    messages: Vec<Option<SendMessage>>,
}

#[derive(Deserialize)]
struct SendMessage {
    #[serde(default, deserialize_with = "opt_str")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    message_status: Option<String>,
}

#[derive(Deserialize)]
struct TemplatePage {
    #[serde(default, deserialize_with = "list")]
    data: Vec<Option<RawTemplate>>,
    #[serde(default, deserialize_with = "crate::wire::opt")]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default, deserialize_with = "opt_str")]
    next: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::opt")]
    cursors: Option<Cursors>,
}

#[derive(Deserialize)]
struct Cursors {
    #[serde(default, deserialize_with = "opt_str")]
    after: Option<String>,
}

#[derive(Deserialize)]
struct RawTemplate {
    #[serde(default, deserialize_with = "opt_str")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    language: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    category: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    status: Option<String>,
    #[serde(default, deserialize_with = "list")]
    components: Vec<Option<RawComponent>>,
}

#[derive(Deserialize)]
struct RawComponent {
    #[serde(default, rename = "type", deserialize_with = "opt_str")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    text: Option<String>,
}

impl RawTemplate {
    fn parse(self) -> Option<Template> {
        let body_text = self
            .components
            .into_iter()
            .flatten()
            .find(|c| {
                c.kind
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case("BODY"))
            })
            .and_then(|c| c.text);
        Some(Template {
            name: self.name?,
            language: self.language?,
            category: self.category.unwrap_or_default(),
            status: self.status.unwrap_or_default(),
            parameter_count: body_text.as_deref().map_or(0, placeholder_count),
            body_text,
        })
    }
}

#[derive(Deserialize)]
struct RawMediaInfo {
    #[serde(default, deserialize_with = "opt_str")]
    url: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    mime_type: Option<String>,
    #[serde(default, deserialize_with = "opt_str")]
    sha256: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    file_size: Option<i64>,
    #[serde(default, deserialize_with = "opt_str")]
    id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base: &str) -> CloudApiConfig {
        CloudApiConfig {
            api_base: base.into(),
            api_version: DEFAULT_API_VERSION.into(),
            phone_number_id: "106540352242922".into(),
            business_account_id: "102290129340398".into(),
            access_token: Zeroizing::new("secret-token".into()),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn debug_redacts_the_token() {
        let text = format!("{:?}", config(DEFAULT_API_BASE));
        assert!(!text.contains("secret-token"));
        assert!(text.contains("[redacted]"));
        let api = CloudApi::new(config(DEFAULT_API_BASE)).unwrap();
        assert!(!format!("{api:?}").contains("secret-token"));
    }

    #[test]
    fn urls_tolerate_a_trailing_slash_and_escape_segments() {
        let api = CloudApi::new(config("http://127.0.0.1:9/")).unwrap();
        assert_eq!(
            api.graph_url(&["106540352242922", "messages"])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/v25.0/106540352242922/messages"
        );
        assert_eq!(
            api.graph_url(&["a/b?c"]).unwrap().as_str(),
            "http://127.0.0.1:9/v25.0/a%2Fb%3Fc"
        );
        let api = CloudApi::new(config("https://graph.facebook.com")).unwrap();
        assert_eq!(
            api.graph_url(&["1"]).unwrap().as_str(),
            "https://graph.facebook.com/v25.0/1"
        );
    }

    #[test]
    fn debug_hides_recipient_and_content() {
        let text = OutboundMessage::Text {
            to: "+16505551234".into(),
            body: "lab results".into(),
            callback_data: Some("m1".into()),
        };
        let template = OutboundMessage::Template {
            to: "+16505551234".into(),
            name: "notice".into(),
            language: "en_US".into(),
            body_parameters: vec!["Dr. Secret".into()],
            callback_data: None,
        };
        for shown in [format!("{text:?}"), format!("{template:?}")] {
            assert!(!shown.contains("1650"), "{shown}");
            assert!(
                !shown.contains("lab results") && !shown.contains("Secret"),
                "{shown}"
            );
        }
        assert!(format!("{template:?}").contains("notice"));
    }

    #[test]
    fn template_body_omits_empty_components_and_callback() {
        let body = OutboundMessage::Template {
            to: "+16505551234".into(),
            name: "hello".into(),
            language: "en_US".into(),
            body_parameters: vec![],
            callback_data: None,
        }
        .request_body();
        assert_eq!(
            body,
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "template",
                "template": {"name": "hello", "language": {"code": "en_US"}}
            })
        );
    }

    #[test]
    fn next_page_prefers_same_origin_next_then_cursor() {
        let api = CloudApi::new(config("http://127.0.0.1:9")).unwrap();
        let first = api.graph_url(&["w", "message_templates"]).unwrap();
        let page = |next: &str, after: Option<&str>| Paging {
            next: Some(next.into()),
            cursors: Some(Cursors {
                after: after.map(str::to_owned),
            }),
        };
        let same = "http://127.0.0.1:9/v25.0/w/message_templates?after=X";
        assert_eq!(
            api.next_page(&first, Some(page(same, None)))
                .unwrap()
                .as_str(),
            same
        );
        let foreign = "https://evil.example/v25.0/w/message_templates?after=X";
        assert_eq!(
            api.next_page(&first, Some(page(foreign, Some("a b"))))
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/v25.0/w/message_templates?after=a+b"
        );
        assert!(api.next_page(&first, Some(page(foreign, None))).is_none());
        assert!(api.next_page(&first, None).is_none());
    }
}
