//! Response shapes shared by several resources.

use crate::routes::enums;
use hippo_core::{Session, User};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// A user account as clients see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// `admin`, `clinician`, `staff`, `auditor` or `service`.
    #[schema(value_type = enums::Role)]
    pub role: String,
    /// `active` or `deactivated`.
    #[schema(value_type = enums::UserStatus)]
    pub status: String,
    pub mfa_enabled: bool,
    /// The user must change their password at next sign-in.
    pub must_change_password: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&User> for UserResponse {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().to_owned(),
            status: u.status.as_str().to_owned(),
            mfa_enabled: u.mfa_enabled,
            must_change_password: u.must_change_password,
            created_at: u.created_at.to_rfc3339(),
        }
    }
}

/// One session of the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_seen_at: String,
    /// Absolute end of the session.
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// When it ends if idle from now on.
    #[schema(format = DateTime)]
    pub idle_expires_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// This is the session making the request.
    pub current: bool,
}

impl SessionResponse {
    pub fn new(s: &Session, idle: Duration, current: bool) -> Self {
        Self {
            id: s.id.to_string(),
            created_at: s.created_at.to_rfc3339(),
            last_seen_at: s.last_seen_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            idle_expires_at: s.idle_deadline(idle).to_rfc3339(),
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
            current,
        }
    }
}

/// A conversation as its members see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationResponse {
    pub id: String,
    /// `direct` or `group`.
    #[schema(value_type = enums::ConversationKind)]
    pub kind: String,
    pub title: Option<String>,
    pub member_ids: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Highest message `seq` so far.
    pub last_seq: i64,
}

impl From<&hippo_core::Conversation> for ConversationResponse {
    fn from(c: &hippo_core::Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            kind: c.kind.as_str().to_owned(),
            title: c.title.clone(),
            member_ids: c.member_ids.iter().map(ToString::to_string).collect(),
            created_at: c.created_at.to_rfc3339(),
            last_seq: c.last_seq,
        }
    }
}

/// An uploaded file as clients see it; the bytes are at
/// `GET /api/v1/attachments/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentResponse {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
}

impl From<&hippo_core::AttachmentInfo> for AttachmentResponse {
    fn from(a: &hippo_core::AttachmentInfo) -> Self {
        Self {
            id: a.id.to_string(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
        }
    }
}

/// A message. A recalled message has `deleted: true` and no body.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    pub id: String,
    pub conversation_id: String,
    /// 1, 2, 3… within the conversation, no gaps.
    pub seq: i64,
    pub sender_id: String,
    pub body: Option<String>,
    /// `normal` or `urgent`.
    #[schema(value_type = enums::Priority)]
    pub priority: String,
    pub attachments: Vec<AttachmentResponse>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub edited_at: Option<String>,
    pub deleted: bool,
    pub client_id: Option<String>,
    /// `hippo` or `whatsapp`.
    #[schema(value_type = enums::Channel)]
    pub channel: String,
    /// For WhatsApp messages: where delivery stands.
    pub channel_status: Option<ChannelStatusResponse>,
}

/// Delivery state of a WhatsApp message: `queued`, `sent`, `delivered`,
/// `read` or `failed` (outbound), `received` (from the patient).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelStatusResponse {
    #[schema(value_type = enums::ChannelState)]
    pub state: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_title: Option<String>,
}

impl From<&hippo_core::Message> for MessageResponse {
    fn from(m: &hippo_core::Message) -> Self {
        Self {
            id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            seq: m.seq,
            sender_id: m.sender_id.to_string(),
            body: m.body.clone(),
            priority: m.priority.as_str().to_owned(),
            attachments: m.attachments.iter().map(AttachmentResponse::from).collect(),
            created_at: m.created_at.to_rfc3339(),
            edited_at: m.edited_at.map(|t| t.to_rfc3339()),
            deleted: m.deleted,
            client_id: m.client_id.clone(),
            channel: m.channel.as_str().to_owned(),
            channel_status: m.channel_status.as_ref().map(|c| ChannelStatusResponse {
                state: c.state.as_str().to_owned(),
                updated_at: c.updated_at.to_rfc3339(),
                error_code: c.error_code,
                error_title: c.error_title.clone(),
            }),
        }
    }
}
