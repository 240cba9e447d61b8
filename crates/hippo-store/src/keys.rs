//! Data keys wrapped by the master key: creation, rotation (rewrapping), and
//! putting them back after a restore.

use crate::Result;
use async_trait::async_trait;
use hippo_core::{ConversationId, Timestamp};

/// A data key wrapped by the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyRow {
    pub id: String,
    /// What the key protects, e.g. `directory`.
    pub purpose: String,
    pub wrapped: Vec<u8>,
    /// Key-check value of the master key that wrapped it.
    pub master_key_check: String,
    pub created_at: Timestamp,
}

/// Reads of keys (part of every [`crate::Store`]).
#[async_trait]
pub trait KeyStore {
    async fn list_data_keys(&self) -> Result<Vec<DataKeyRow>>;

    async fn get_data_key(&self, id: &str) -> Result<Option<DataKeyRow>>;

    /// Of `ids`, the data keys that exist and have not been destroyed.
    async fn live_data_key_ids(&self, ids: &[String]) -> Result<Vec<String>>;
}

/// Writes of keys (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait KeyWriteTx {
    async fn insert_data_key(&mut self, key: &DataKeyRow) -> Result<()>;
    /// Replaces a data key's wrapping (master key rotation).
    async fn rewrap_data_key(
        &mut self,
        id: &str,
        wrapped: &[u8],
        master_key_check: &str,
    ) -> Result<()>;
    /// After a restore: puts the wrapped bytes of `keys` back; every data
    /// key still left blank by the export (destroyed since the backup) is
    /// marked destroyed, and its id returned.
    async fn restore_data_keys(&mut self, keys: &[DataKeyRow]) -> Result<Vec<String>>;
    /// Conversations not yet erased whose data key is one of `ids`.
    async fn conversations_with_keys(&mut self, ids: &[String]) -> Result<Vec<ConversationId>>;
}
