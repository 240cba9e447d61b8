//! The views frames carry, shared with the REST API (a message pushed on
//! the stream has exactly the shape `GET …/messages` returns).

use crate::enums;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A conversation as its members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationResponse {
    pub id: String,
    /// `direct`, `group` or `patient`.
    #[schema(value_type = enums::ConversationKind)]
    pub kind: String,
    pub title: Option<String>,
    pub member_ids: Vec<String>,
    /// The members with their names, in `member_ids` order.
    pub members: Vec<MemberResponse>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Highest message `seq` so far.
    pub last_seq: i64,
    /// Messages after the caller's read mark that others sent. In REST
    /// answers; absent from `conversation.updated` frames (which are the
    /// same for every member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<i64>,
    /// When the newest message was sent; in REST answers, `null` before
    /// the first message; absent from `conversation.updated` frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub last_message_at: Option<Option<String>>,
}

impl From<&hippo_core::Conversation> for ConversationResponse {
    fn from(c: &hippo_core::Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            kind: c.kind.as_str().to_owned(),
            title: c.title.clone(),
            member_ids: c.member_ids.iter().map(ToString::to_string).collect(),
            members: c.members.iter().map(MemberResponse::from).collect(),
            created_at: c.created_at.to_rfc3339(),
            last_seq: c.last_seq,
            unread_count: c.unread_count,
            // A per-viewer view (REST) says "none yet" as null.
            last_message_at: c
                .unread_count
                .map(|_| c.last_message_at.map(hippo_core::Timestamp::to_rfc3339)),
        }
    }
}

impl From<&hippo_core::Member> for MemberResponse {
    fn from(m: &hippo_core::Member) -> Self {
        Self {
            id: m.id.to_string(),
            display_name: m.display_name.clone(),
            role: m.role.as_str().to_owned(),
        }
    }
}

/// A person as other members and the directory show them: no status, no
/// MFA, no sessions (minimum necessary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberResponse {
    pub id: String,
    pub display_name: String,
    /// `admin`, `clinician`, `staff`, `auditor` or `service`.
    #[schema(value_type = enums::Role)]
    pub role: String,
}

/// An uploaded file as clients see it; the bytes are at
/// `GET /api/v1/attachments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelStatusResponse {
    #[schema(value_type = enums::ChannelState)]
    pub state: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// A voice or video call as its participants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallResponse {
    pub id: String,
    pub conversation_id: String,
    #[schema(value_type = enums::CallMedia)]
    pub media: String,
    #[schema(value_type = enums::CallState)]
    pub state: String,
    #[schema(value_type = enums::CallTopology)]
    pub topology: String,
    /// Media only through the TURN relay (`iceTransportPolicy: "relay"`),
    /// so no party learns another's address.
    pub relay_only: bool,
    pub started_by: String,
    #[schema(format = DateTime)]
    pub started_at: String,
    /// When a second participant joined.
    #[schema(format = DateTime)]
    pub answered_at: Option<String>,
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    #[schema(value_type = Option<enums::CallEndReason>)]
    pub end_reason: Option<String>,
    /// Answered time, once ended.
    pub duration_ms: Option<i64>,
    pub participants: Vec<CallParticipantResponse>,
}

/// One invited user of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallParticipantResponse {
    pub user_id: String,
    #[schema(value_type = enums::ParticipantState)]
    pub state: String,
    /// The session that joined: where `call.signal` frames for this
    /// participant go. Another session of yours here means "answered
    /// elsewhere".
    pub session_id: Option<String>,
    #[schema(format = DateTime)]
    pub joined_at: Option<String>,
    #[schema(format = DateTime)]
    pub left_at: Option<String>,
}

impl From<&hippo_core::Call> for CallResponse {
    fn from(c: &hippo_core::Call) -> Self {
        let time = |t: Option<hippo_core::Timestamp>| t.map(hippo_core::Timestamp::to_rfc3339);
        Self {
            id: c.id.to_string(),
            conversation_id: c.conversation_id.to_string(),
            media: c.media.as_str().to_owned(),
            state: c.state().as_str().to_owned(),
            topology: c.topology.as_str().to_owned(),
            relay_only: c.relay_only,
            started_by: c.started_by.to_string(),
            started_at: c.started_at.to_rfc3339(),
            answered_at: time(c.answered_at),
            ended_at: time(c.ended_at),
            end_reason: c.end_reason.map(|r| r.as_str().to_owned()),
            duration_ms: c.duration_ms(),
            participants: c
                .participants
                .iter()
                .map(|p| CallParticipantResponse {
                    user_id: p.user_id.to_string(),
                    state: p.state.as_str().to_owned(),
                    session_id: p.session_id.as_ref().map(ToString::to_string),
                    joined_at: time(p.joined_at),
                    left_at: time(p.left_at),
                })
                .collect(),
        }
    }
}

/// A session description in a `call.signal` frame, as
/// `RTCSessionDescription` has it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SdpPayload {
    #[serde(rename = "type")]
    #[schema(value_type = enums::SdpType)]
    pub kind: String,
    pub sdp: String,
}

/// An ICE candidate in a `call.signal` frame, as `RTCIceCandidateInit`
/// has it (an empty `candidate` ends the candidates).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CandidatePayload {
    pub candidate: String,
    #[serde(rename = "sdpMid", default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(
        rename = "sdpMLineIndex",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sdp_m_line_index: Option<u16>,
    #[serde(
        rename = "usernameFragment",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub username_fragment: Option<String>,
}

// Signals carry addresses and keys' fingerprints: never printed.
impl std::fmt::Debug for SdpPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SdpPayload({}, <{} bytes>)", self.kind, self.sdp.len())
    }
}

impl std::fmt::Debug for CandidatePayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CandidatePayload(<redacted>)")
    }
}
