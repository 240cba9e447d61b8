//! The one place errors become HTTP responses: RFC 9457 problem details
//! (`application/problem+json`) with the contract's stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hippo_core::ErrorCode;
use hippo_service::ServiceError;
use serde::Serialize;

/// A problem details body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
}

/// The HTTP status for each code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidCredentials
        | ErrorCode::MfaRequired
        | ErrorCode::Unauthenticated
        | ErrorCode::SessionExpired
        | ErrorCode::InvalidSignature => StatusCode::UNAUTHORIZED,
        ErrorCode::MfaEnrollmentRequired
        | ErrorCode::PasswordChangeRequired
        | ErrorCode::AccountDeactivated
        | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::AccountLocked => StatusCode::LOCKED,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::ValidationFailed
        | ErrorCode::OutsideServiceWindow
        | ErrorCode::TemplateNotApproved
        | ErrorCode::NotOptedIn
        | ErrorCode::ChannelPolicy => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ChannelNotConfigured | ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn title_of(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidCredentials => "Invalid credentials",
        ErrorCode::MfaRequired => "Second factor required",
        ErrorCode::MfaEnrollmentRequired => "MFA enrollment required",
        ErrorCode::PasswordChangeRequired => "Password change required",
        ErrorCode::AccountLocked => "Account locked",
        ErrorCode::AccountDeactivated => "Account deactivated",
        ErrorCode::Unauthenticated => "Not signed in",
        ErrorCode::SessionExpired => "Session expired",
        ErrorCode::Forbidden => "Forbidden",
        ErrorCode::NotFound => "Not found",
        ErrorCode::MethodNotAllowed => "Method not allowed",
        ErrorCode::ValidationFailed => "Invalid request",
        ErrorCode::Conflict => "Conflict",
        ErrorCode::PayloadTooLarge => "Payload too large",
        ErrorCode::UnsupportedMediaType => "Unsupported media type",
        ErrorCode::RateLimited => "Too many requests",
        ErrorCode::OutsideServiceWindow => "Outside the service window",
        ErrorCode::TemplateNotApproved => "Template not approved",
        ErrorCode::NotOptedIn => "Not opted in",
        ErrorCode::ChannelPolicy => "Refused by channel policy",
        ErrorCode::ChannelNotConfigured => "Channel not configured",
        ErrorCode::InvalidSignature => "Invalid signature",
        ErrorCode::Unavailable => "Service unavailable",
        ErrorCode::Internal => "Internal error",
    }
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Overrides the code's usual status (400 for malformed JSON).
    pub status: Option<StatusCode>,
    pub detail: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            status: None,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// The same error with another status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Public {
                code,
                detail,
                retry_after,
            } => Self {
                code,
                status: None,
                detail,
                retry_after,
            },
            ServiceError::Internal(msg) => {
                // Internals are logged, never sent.
                tracing::error!(error = %msg, "internal error");
                Self::new(
                    ErrorCode::Internal,
                    "an internal error occurred; it has been logged",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| status_of(self.code));
        let body = Problem {
            kind: format!("https://hippo.invalid/problems/{}", self.code.as_str()),
            title: title_of(self.code).to_owned(),
            status: status.as_u16(),
            detail: self.detail,
            code: self.code.as_str().to_owned(),
        };
        let mut resp = (status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
