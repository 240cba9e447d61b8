//! API keys of service accounts. A key is a session of kind
//! [`hippo_core::SessionKind::ApiKey`] (same id, its token hash in
//! `sessions`, ended when revoked, never idle) plus this row: its name and
//! the restrictions checked on every use.

use crate::Result;
use async_trait::async_trait;
use hippo_core::{Session, SessionId, UserId};

/// What a key adds to its session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// The key's session id.
    pub id: SessionId,
    pub user_id: UserId,
    /// The administrator's label ("ERP bridge, production").
    pub name: String,
    /// Networks (CIDR text, e.g. `10.0.0.0/8`, `203.0.113.7/32`) a use may
    /// come from; empty: any.
    pub allowed_ips: Vec<String>,
    /// SHA-256 (lower-case hex) of the client certificate a use must
    /// present under mutual TLS; `None`: any or none.
    pub client_cert_sha256: Option<String>,
    /// The administrator who created it (`None`: the operator's CLI).
    pub created_by: Option<UserId>,
}

/// A key with its session: created, expiry, last use, revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyWithSession {
    pub key: ApiKeyRow,
    pub session: Session,
}

/// Reads of API keys (part of every [`crate::Store`]).
#[async_trait]
pub trait ApiKeyStore {
    async fn get_api_key(&self, id: &SessionId) -> Result<Option<ApiKeyWithSession>>;

    /// A user's keys, revoked and expired ones included, oldest first.
    async fn list_api_keys(&self, user: &UserId) -> Result<Vec<ApiKeyWithSession>>;
}

/// Writes of API keys (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait ApiKeyWriteTx {
    /// Inserts the key's session (kind `api_key`, with `token_hash`) and
    /// its row.
    async fn insert_api_key(
        &mut self,
        key: &ApiKeyRow,
        session: &Session,
        token_hash: &str,
    ) -> Result<()>;
}
