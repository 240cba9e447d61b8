//! Domain types and rules of hippo: identifiers, roles, validated values,
//! time, error codes and audit vocabulary.
//!
//! This crate does no I/O: no tokio, no database, no HTTP. Everything here is
//! plain data and pure functions, so every other crate can depend on it.

pub mod audit;
pub mod call;
pub mod conversation;
pub mod error;
pub mod filetype;
pub mod ids;
pub mod patient;
pub mod role;
pub mod search;
pub mod session;
pub mod time;
pub mod units;
pub mod user;

pub use audit::{AuditAction, NewAuditEvent, Outcome, RequestMeta};
pub use call::{
    Call, CallEndReason, CallMedia, CallRefusal, CallState, CallTopology, Participant,
    ParticipantState, Step,
};
pub use conversation::{
    AttachmentInfo, Conversation, ConversationKind, Member, Message, MessageBody, Priority,
};
pub use error::ErrorCode;
pub use ids::{
    AttachmentId, CallId, ConversationId, DataKeyId, MessageId, PatientId, SessionId, UserId,
    WebhookId,
};
pub use patient::{Channel, ChannelState, ChannelStatus, Patient, PhiMode, PhoneNumber};
pub use role::Role;
pub use session::{Session, SessionKind, SessionScope, SessionState};
pub use time::{Clock, FakeClock, SystemClock, Timestamp};
pub use user::{DisplayName, User, UserStatus, Username};
