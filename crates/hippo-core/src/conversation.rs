//! Conversations and messages as the rest of the system sees them
//! (decrypted), and the validated values they are made of.

use crate::{AttachmentId, Channel, ChannelStatus, ConversationId, MessageId, Timestamp, UserId};

/// Largest message body, in bytes of UTF-8.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most members a group conversation may have.
pub const MAX_MEMBERS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationKind {
    /// Exactly two people.
    Direct,
    /// Any number of members, with an optional title.
    Group,
    /// A patient's: everything sent to and received from one patient over
    /// WhatsApp; its members are the care team.
    Patient,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Direct => "direct",
            ConversationKind::Group => "group",
            ConversationKind::Patient => "patient",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "direct" => Some(ConversationKind::Direct),
            "group" => Some(ConversationKind::Group),
            "patient" => Some(ConversationKind::Patient),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Normal,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "normal" => Some(Priority::Normal),
            "urgent" => Some(Priority::Urgent),
            _ => None,
        }
    }
}

/// A message body: not blank, at most [`MAX_BODY_BYTES`], no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.trim().is_empty() {
            return Err("body must not be empty".into());
        }
        if input.len() > MAX_BODY_BYTES {
            return Err(format!("body must be at most {MAX_BODY_BYTES} bytes"));
        }
        if input.contains('\0') {
            return Err("body must not contain NUL characters".into());
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A conversation, decrypted, with its current members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub member_ids: Vec<UserId>,
    /// The members with their names and roles, in `member_ids` order.
    pub members: Vec<Member>,
    pub created_at: Timestamp,
    /// The highest message `seq` so far (0 when empty).
    pub last_seq: i64,
    /// For the viewer: messages after their read mark that others sent
    /// (`None` where the view is not one person's, e.g. a broadcast).
    pub unread_count: Option<i64>,
    /// When the newest message was sent (`None`: none yet, or not looked
    /// up for this view).
    pub last_message_at: Option<Timestamp>,
}

/// A person as conversations and the directory show them: minimum
/// necessary (no status, no MFA, no sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: UserId,
    pub display_name: String,
    pub role: crate::Role,
}

/// A message, decrypted. A recalled message keeps its place (`seq`) with no
/// body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub seq: i64,
    /// The user who sent it; for a message a patient sent over WhatsApp,
    /// the patient's id.
    pub sender_id: UserId,
    pub body: Option<String>,
    pub priority: Priority,
    pub client_id: Option<String>,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub deleted: bool,
    /// Files shared with the message, in the order the sender gave them.
    pub attachments: Vec<AttachmentInfo>,
    pub channel: Channel,
    /// Delivery state of a WhatsApp message; `None` for hippo messages.
    pub channel_status: Option<ChannelStatus>,
}

/// What members see of a shared file (the bytes come from its own endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub id: AttachmentId,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert!(MessageBody::parse("BP 120/80, stable").is_ok());
        assert!(MessageBody::parse("   ").is_err());
        assert!(MessageBody::parse("a\0b").is_err());
        assert!(MessageBody::parse(&"x".repeat(MAX_BODY_BYTES + 1)).is_err());
        assert!(MessageBody::parse(&"x".repeat(MAX_BODY_BYTES)).is_ok());
    }

    #[test]
    fn kinds_and_priorities_round_trip() {
        for k in [
            ConversationKind::Direct,
            ConversationKind::Group,
            ConversationKind::Patient,
        ] {
            assert_eq!(ConversationKind::parse(k.as_str()), Some(k));
        }
        for p in [Priority::Normal, Priority::Urgent] {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert_eq!(Priority::parse("URGENT"), None);
    }
}
