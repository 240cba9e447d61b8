//! Stable error codes: the `code` member of every problem+json answer.
//! Clients match on these slugs; never rename one.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidCredentials,
    MfaRequired,
    MfaEnrollmentRequired,
    PasswordChangeRequired,
    AccountLocked,
    AccountDeactivated,
    Unauthenticated,
    SessionExpired,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    ValidationFailed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    OutsideServiceWindow,
    TemplateNotApproved,
    NotOptedIn,
    ChannelPolicy,
    ChannelNotConfigured,
    InvalidSignature,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::MfaRequired => "mfa_required",
            ErrorCode::MfaEnrollmentRequired => "mfa_enrollment_required",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::AccountLocked => "account_locked",
            ErrorCode::AccountDeactivated => "account_deactivated",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::SessionExpired => "session_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::OutsideServiceWindow => "outside_service_window",
            ErrorCode::TemplateNotApproved => "template_not_approved",
            ErrorCode::NotOptedIn => "not_opted_in",
            ErrorCode::ChannelPolicy => "channel_policy",
            ErrorCode::ChannelNotConfigured => "channel_not_configured",
            ErrorCode::InvalidSignature => "invalid_signature",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
