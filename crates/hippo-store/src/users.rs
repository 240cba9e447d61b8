//! User accounts: the account row and its sign-in counters (failed logins,
//! the last TOTP step).

use crate::Result;
use async_trait::async_trait;
use hippo_core::{Role, Timestamp, UserId, UserStatus};

/// A user account row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: UserId,
    /// Keyed blind index (HMAC) of the normalised username: unique lookups
    /// without the username in clear.
    pub username_index: String,
    pub username_enc: Vec<u8>,
    pub display_name_enc: Vec<u8>,
    pub role: Role,
    pub status: UserStatus,
    /// argon2id PHC string.
    pub password_hash: String,
    pub must_change_password: bool,
    pub mfa_enabled: bool,
    /// Confirmed TOTP secret.
    pub mfa_secret_enc: Option<Vec<u8>>,
    /// Secret handed out by enrollment, not yet confirmed with a code.
    pub mfa_pending_secret_enc: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    /// The unspent MFA recovery codes: a sealed JSON array of their
    /// SHA-256 hashes (hex). `None` before enrolment and after a reset.
    /// Written only by `set_recovery_codes` and `swap_recovery_codes`
    /// (never by `update_user`, whose whole-row write could otherwise put
    /// back a code a concurrent sign-in just spent).
    pub mfa_recovery_enc: Option<Vec<u8>>,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Reads of users (part of every [`crate::Store`]).
#[async_trait]
pub trait UserStore {
    async fn get_user(&self, id: &UserId) -> Result<Option<UserRow>>;
    async fn get_user_by_index(&self, username_index: &str) -> Result<Option<UserRow>>;
    async fn list_users(&self) -> Result<Vec<UserRow>>;
}

/// Writes of users (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait UserWriteTx {
    /// The user as seen inside this transaction.
    async fn get_user(&mut self, id: &UserId) -> Result<Option<UserRow>>;
    /// [`crate::StoreError::Conflict`] when the username is taken.
    async fn insert_user(&mut self, user: &UserRow) -> Result<()>;
    /// Replaces every mutable field of the user.
    async fn update_user(&mut self, user: &UserRow) -> Result<()>;
    /// Adds one failed login and returns the new count.
    async fn increment_failed_logins(&mut self, id: &UserId, at: Timestamp) -> Result<i64>;
    /// Stores `step` as the last accepted TOTP step if it is newer than the
    /// stored one. False means the code was already used (a replay).
    async fn claim_totp_step(&mut self, id: &UserId, step: i64) -> Result<bool>;
    /// Sets (or with `None` removes) the sealed recovery codes.
    async fn set_recovery_codes(&mut self, id: &UserId, codes: Option<&[u8]>) -> Result<()>;
    /// Replaces the sealed recovery codes only if they are still `current`
    /// (compare and swap): of two sign-ins spending the same code at once,
    /// exactly one gets `true`.
    async fn swap_recovery_codes(
        &mut self,
        id: &UserId,
        current: &[u8],
        next: Option<&[u8]>,
    ) -> Result<bool>;
}
