//! The request bodies and answers of the REST calls this crate wraps, as
//! the OpenAPI document (`/api/v1/openapi.json`) describes them. Views the
//! stream shares (messages, conversations) are `hippo-protocol`'s; these
//! are the rest, mirrored here because their server-side types live in
//! the HTTP layer. Answers ignore fields they do not know, so a newer
//! server still parses.

use hippo_protocol::{ConversationResponse, MessageResponse};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// A token, key or password: redacted in `Debug`, wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s.to_owned())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Serialize)]
pub(crate) struct LoginRequest<'a> {
    pub username: &'a str,
    pub password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_code: Option<&'a str>,
}

/// The answer to a sign-in.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginResponse {
    /// The bearer token (for [`crate::Client::with_token`]).
    pub token: Option<Secret>,
    pub expires_at: String,
    pub idle_timeout_secs: u64,
    #[serde(default)]
    pub max_upload_bytes: Option<u64>,
    pub user: User,
    /// The token reaches only the MFA enrolment calls until TOTP is set up.
    pub mfa_enrollment_required: bool,
    /// The token reaches only `POST /api/v1/me/password` until it is changed.
    #[serde(default)]
    pub password_change_required: bool,
}

/// An account as `GET /api/v1/me` and the admin calls show it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// `admin`, `clinician`, `staff`, `auditor` or `service`.
    pub role: String,
    /// `active` or `deactivated`.
    pub status: String,
    pub mfa_enabled: bool,
    #[serde(default)]
    pub must_change_password: bool,
    pub created_at: String,
}

/// `POST /api/v1/users` (role `admin`).
#[derive(Debug, Clone, Serialize)]
pub struct NewUser {
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub role: String,
    pub password: Secret,
}

/// A page of `GET /api/v1/users`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserList {
    pub users: Vec<User>,
    /// For the next page (`?cursor=`); `None` on the last.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/conversations`.
#[derive(Debug, Clone, Serialize)]
pub struct NewConversation {
    /// `direct` (exactly one other member) or `group`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The other members; the caller always is one.
    pub member_ids: Vec<String>,
}

impl NewConversation {
    /// A group of the caller and `member_ids`, untitled.
    pub fn group(member_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            kind: "group".into(),
            title: None,
            member_ids: member_ids.into_iter().map(Into::into).collect(),
        }
    }

    /// The caller and one other person.
    pub fn direct(other: impl Into<String>) -> Self {
        Self {
            kind: "direct".into(),
            title: None,
            member_ids: vec![other.into()],
        }
    }
}

/// A page of `GET /api/v1/conversations`.
#[derive(Debug, Clone, Deserialize)]
pub struct ConversationList {
    pub conversations: Vec<ConversationResponse>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/conversations/{id}/messages`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewMessage {
    pub body: String,
    /// Idempotency key: the same value again returns the first message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `normal` (default) or `urgent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment_ids: Option<Vec<String>>,
}

impl NewMessage {
    /// A message of `body` only.
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            ..Self::default()
        }
    }
}

/// A page of `GET /api/v1/conversations/{id}/messages`, oldest first.
#[derive(Debug, Clone, Deserialize)]
pub struct MessagePage {
    pub messages: Vec<MessageResponse>,
    /// Pass as `after_seq` to continue.
    pub next_after_seq: i64,
}

/// `POST /api/v1/users/{id}/api-keys` (role `admin`, for a `service`
/// account).
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewApiKey {
    pub name: String,
    /// Such as `90d` (the default) or `365d` (at most 366 days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
    /// Addresses or CIDR networks uses may come from; empty: any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_ips: Vec<String>,
    /// SHA-256 of the client certificate every use must present (mTLS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert_sha256: Option<String>,
}

impl NewApiKey {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A new key: the only time `key` is shown.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedApiKey {
    pub id: String,
    pub name: String,
    /// `hpk_…`: the bearer token of the service account.
    pub key: Secret,
    pub expires_at: String,
    pub api_key: ApiKey,
}

/// An API key as administrators see it (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiKey {
    /// Audit records of its uses carry it as `session_id`.
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// `active`, `expired` or `revoked`.
    pub state: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    pub client_cert_sha256: Option<String>,
    pub created_by: Option<String>,
}

/// `GET /api/v1/users/{id}/api-keys`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiKeyList {
    pub api_keys: Vec<ApiKey>,
}
