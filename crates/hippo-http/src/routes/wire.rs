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

pub use hippo_protocol::{
    AttachmentResponse, ChannelStatusResponse, ConversationResponse, MemberResponse,
    MessageResponse,
};
