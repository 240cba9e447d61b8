//! The keys a running hippo holds: the master key and the data keys it
//! unwrapped at start. Opening the keyring checks the master key against the
//! key-check value stored with the data and refuses a mismatch.

use crate::error::{Result, ServiceError};
use hippo_core::{AuditAction, DataKeyId, NewAuditEvent, Outcome, Timestamp};
use hippo_crypto::{Aad, DataKey, IndexKey, MasterKey};
use hippo_store::{DataKeyRow, Store};

const META_KEY_CHECK: &str = "master_key_check";
const PURPOSE_DIRECTORY: &str = "directory";

/// Keys in memory for the life of the process.
pub struct Keyring {
    master: MasterKey,
    directory: DataKey,
    username_index: IndexKey,
    /// Unwrapped per-conversation data keys, by key id.
    cache: std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<DataKey>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(<redacted>)")
    }
}

/// Why the keyring could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "the master key does not match this data (key-check mismatch); use the master key this data was created with"
    )]
    Mismatch,
    #[error("stored data key {0} cannot be unwrapped with this master key")]
    Unwrap(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl Keyring {
    /// Opens the keyring for `store`, initialising a fresh store (key-check
    /// value, directory data key, `system.init` audit record) in one
    /// transaction.
    pub async fn open(
        store: &dyn Store,
        master: MasterKey,
        now: Timestamp,
    ) -> Result<Self, KeyringError> {
        let check = master.check_value();
        match store
            .get_meta(META_KEY_CHECK)
            .await
            .map_err(ServiceError::from)?
        {
            Some(stored) if hippo_crypto::constant_time_eq(stored.as_bytes(), check.as_bytes()) => {
            }
            Some(_) => return Err(KeyringError::Mismatch),
            None => Self::initialise(store, &master, now).await?,
        }
        let keys = store.list_data_keys().await.map_err(ServiceError::from)?;
        let row = keys
            .iter()
            .find(|k| k.purpose == PURPOSE_DIRECTORY)
            .ok_or_else(|| ServiceError::Internal("directory data key missing".into()))?;
        let directory = master
            .unwrap_key(&row.id, &row.wrapped)
            .map_err(|_| KeyringError::Unwrap(row.id.clone()))?;
        let username_index = IndexKey::derive(&directory, "username");
        Ok(Self {
            master,
            directory,
            username_index,
            cache: std::sync::RwLock::new(std::collections::HashMap::new()),
        })
    }

    async fn initialise(store: &dyn Store, master: &MasterKey, now: Timestamp) -> Result<()> {
        let mut tx = store.begin_write().await?;
        let key = DataKey::generate()?;
        let id = DataKeyId::generate();
        tx.insert_data_key(&DataKeyRow {
            id: id.to_string(),
            purpose: PURPOSE_DIRECTORY.into(),
            wrapped: master.wrap(id.as_str(), &key)?,
            master_key_check: master.check_value(),
            created_at: now,
        })
        .await?;
        tx.put_meta(META_KEY_CHECK, &master.check_value()).await?;
        tx.append_audit(&NewAuditEvent::new(
            now,
            AuditAction::SystemInit,
            Outcome::Success,
        ))
        .await?;
        match tx.commit().await {
            Ok(()) => Ok(()),
            // Another process initialised the same store first: fine, as
            // long as it used the same master key (checked by the caller).
            Err(hippo_store::StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The master key's key-check value.
    pub fn check_value(&self) -> String {
        self.master.check_value()
    }

    pub(crate) fn seal_user_field(
        &self,
        column: &str,
        user_id: &str,
        text: &str,
    ) -> Result<Vec<u8>> {
        Ok(self
            .directory
            .seal_str(&Aad::field("users", column, user_id), text)?)
    }

    pub(crate) fn open_user_field(
        &self,
        column: &str,
        user_id: &str,
        sealed: &[u8],
    ) -> Result<String> {
        Ok(self
            .directory
            .open_str(&Aad::field("users", column, user_id), sealed)?)
    }

    pub(crate) fn seal_user_secret(
        &self,
        column: &str,
        user_id: &str,
        secret: &[u8],
    ) -> Result<Vec<u8>> {
        Ok(self
            .directory
            .seal(&Aad::field("users", column, user_id), secret)?)
    }

    pub(crate) fn open_user_secret(
        &self,
        column: &str,
        user_id: &str,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        Ok(self
            .directory
            .open(&Aad::field("users", column, user_id), sealed)?)
    }

    fn new_data_key(
        &self,
        purpose: &str,
        now: Timestamp,
    ) -> Result<(DataKeyRow, std::sync::Arc<DataKey>)> {
        let key = DataKey::generate()?;
        let id = DataKeyId::generate();
        let row = DataKeyRow {
            id: id.to_string(),
            purpose: purpose.into(),
            wrapped: self.master.wrap(id.as_str(), &key)?,
            master_key_check: self.master.check_value(),
            created_at: now,
        };
        Ok((row, std::sync::Arc::new(key)))
    }

    /// Seals a sensitive text field of a non-conversation table (e.g. a
    /// break-glass reason) with the directory key, bound to its row.
    pub(crate) fn seal_directory_field(
        &self,
        table: &str,
        column: &str,
        row_id: &str,
        text: &str,
    ) -> Result<Vec<u8>> {
        Ok(self
            .directory
            .seal_str(&Aad::field(table, column, row_id), text)?)
    }

    pub(crate) fn open_directory_field(
        &self,
        table: &str,
        column: &str,
        row_id: &str,
        sealed: &[u8],
    ) -> Result<String> {
        Ok(self
            .directory
            .open_str(&Aad::field(table, column, row_id), sealed)?)
    }

    /// A fresh data key for one attachment. Not cached: there is one per
    /// file, and a download unwraps it again ([`Keyring::unwrap_data_key`]).
    pub(crate) fn new_attachment_key(
        &self,
        now: Timestamp,
    ) -> Result<(DataKeyRow, std::sync::Arc<DataKey>)> {
        self.new_data_key("attachment", now)
    }

    /// The data key `id`, unwrapped now and not cached.
    pub(crate) async fn unwrap_data_key(&self, store: &dyn Store, id: &str) -> Result<DataKey> {
        let row = store
            .get_data_key(id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("data key {id} missing")))?;
        Ok(self.master.unwrap_key(&row.id, &row.wrapped)?)
    }

    /// A fresh data key for a new conversation: the row to store and the key.
    pub(crate) fn new_conversation_key(
        &self,
        now: Timestamp,
    ) -> Result<(DataKeyRow, std::sync::Arc<DataKey>)> {
        let (row, key) = self.new_data_key("conversation", now)?;
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(row.id.clone(), key.clone());
        Ok((row, key))
    }

    /// The data key `id`, unwrapped once and cached.
    pub(crate) async fn data_key(
        &self,
        store: &dyn Store,
        id: &str,
    ) -> Result<std::sync::Arc<DataKey>> {
        if let Some(k) = self
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
        {
            return Ok(k.clone());
        }
        let row = store
            .get_data_key(id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("data key {id} missing")))?;
        let key = std::sync::Arc::new(self.master.unwrap_key(&row.id, &row.wrapped)?);
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(row.id, key.clone());
        Ok(key)
    }

    pub(crate) fn username_index(&self, normalised_username: &str) -> String {
        self.username_index.index(normalised_username)
    }
}
