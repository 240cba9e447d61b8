//! Errors of the use cases. A [`ServiceError::Public`] carries a stable
//! contract code and a detail safe to show; an internal error is logged by
//! the HTTP layer and answered with a generic 500.

use hippo_core::ErrorCode;
use hippo_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{code}: {detail}")]
    Public {
        code: ErrorCode,
        detail: String,
        /// Seconds a client should wait (rate limits).
        retry_after: Option<u64>,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl ServiceError {
    pub fn public(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::Public {
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn validation(detail: impl Into<String>) -> Self {
        Self::public(ErrorCode::ValidationFailed, detail)
    }

    pub fn not_found() -> Self {
        Self::public(ErrorCode::NotFound, "no such resource")
    }

    pub fn forbidden() -> Self {
        Self::public(ErrorCode::Forbidden, "your role does not allow this")
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Public { code, .. } => *code,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => {
                Self::public(ErrorCode::Conflict, "conflicts with existing data")
            }
            StoreError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "storage unavailable");
                Self::public(
                    ErrorCode::Unavailable,
                    "storage is temporarily unavailable; retry",
                )
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<hippo_crypto::CryptoError> for ServiceError {
    fn from(_: hippo_crypto::CryptoError) -> Self {
        Self::Internal("cryptographic operation failed".into())
    }
}
