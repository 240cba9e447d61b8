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
    /// Swapped when the master key is rotated (here or by another process).
    master: std::sync::RwLock<std::sync::Arc<MasterKey>>,
    /// Where the master key lives, to reload it after a rotation.
    key_file: Option<std::path::PathBuf>,
    directory: DataKey,
    username_index: IndexKey,
    /// Blind indexes of patients' phone numbers and record numbers.
    phone_index: IndexKey,
    mrn_index: IndexKey,
    /// Names what is routed on a shared cluster bus (NATS subjects).
    cluster_route: IndexKey,
    /// Seals cluster notifications (derived from the directory key, so
    /// every node of a deployment has it).
    cluster: DataKey,
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
        let phone_index = IndexKey::derive(&directory, "patient-phone");
        let mrn_index = IndexKey::derive(&directory, "patient-mrn");
        let cluster_route = IndexKey::derive(&directory, "cluster-route");
        let cluster = directory
            .derive("cluster-events")
            .map_err(ServiceError::from)?;
        Ok(Self {
            master: std::sync::RwLock::new(std::sync::Arc::new(master)),
            key_file: None,
            directory,
            username_index,
            phone_index,
            mrn_index,
            cluster_route,
            cluster,
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

    /// An opaque, keyed name for `value` on a shared cluster bus: the same
    /// on every node of this deployment, meaningless to anyone else.
    pub(crate) fn cluster_route(&self, value: &str) -> String {
        self.cluster_route.index(value)
    }

    /// The key cluster notifications are sealed with.
    pub(crate) fn cluster_key(&self) -> &DataKey {
        &self.cluster
    }

    /// The master key's key-check value.
    pub fn check_value(&self) -> String {
        self.master().check_value()
    }

    /// Names the master key file, so a rotation by another process (the
    /// CLI, another node) can be picked up without a restart.
    #[must_use]
    pub fn with_key_file(mut self, path: std::path::PathBuf) -> Self {
        self.key_file = Some(path);
        self
    }

    pub(crate) fn master(&self) -> std::sync::Arc<MasterKey> {
        self.master
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_master(&self, key: MasterKey) {
        *self
            .master
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(key);
    }

    /// Replaces the master key: every data key is unwrapped with the current
    /// key and wrapped with `new` in one transaction that also records
    /// `event` (`key.rotate`). Data keys themselves do not change, so every
    /// ciphertext stays readable. Returns how many data keys were rewrapped.
    pub async fn rotate(
        &self,
        store: &dyn Store,
        new: MasterKey,
        event: NewAuditEvent,
    ) -> Result<usize> {
        let current = self.master();
        let current_check = current.check_value();
        let new_check = new.check_value();
        let rows = store.list_data_keys().await?;
        let mut tx = store.begin_write().await?;
        if tx.get_meta_for_update(META_KEY_CHECK).await?.as_deref() != Some(&current_check) {
            return Err(ServiceError::public(
                hippo_core::ErrorCode::Conflict,
                "the master key was rotated meanwhile; start again",
            ));
        }
        for row in &rows {
            if row.purpose == "destroyed" {
                // Erased: nothing to rewrap, nothing to open ever again.
                continue;
            }
            if row.master_key_check != current_check {
                return Err(ServiceError::Internal(format!(
                    "data key {} is not wrapped by the current master key",
                    row.id
                )));
            }
            let key = current.unwrap_key(&row.id, &row.wrapped)?;
            tx.rewrap_data_key(&row.id, &new.wrap(&row.id, &key)?, &new_check)
                .await?;
        }
        tx.put_meta(META_KEY_CHECK, &new_check).await?;
        tx.append_audit(&event.detail_field("data_keys", rows.len()))
            .await?;
        tx.commit().await?;
        self.set_master(new);
        Ok(rows.len())
    }

    /// Makes sure new data keys get wrapped by the master key the data
    /// expects: after a rotation elsewhere, reloads the key file (or the
    /// rotation's `.new` file while it is being swapped in).
    pub(crate) async fn ensure_current(&self, store: &dyn Store) -> Result<()> {
        let stored = store.get_meta(META_KEY_CHECK).await?;
        if stored.as_deref() == Some(&self.check_value()) {
            return Ok(());
        }
        let Some(path) = &self.key_file else {
            return Err(ServiceError::public(
                hippo_core::ErrorCode::Unavailable,
                "the master key was rotated; restart hippo with the new key",
            ));
        };
        for candidate in [path.clone(), crate::keyring::pending_key_file(path)] {
            if let Ok((key, _)) = MasterKey::load_or_create(&candidate, false)
                && Some(key.check_value()) == stored
            {
                tracing::info!("master key rotated elsewhere; loaded the new key");
                self.set_master(key);
                return Ok(());
            }
        }
        Err(ServiceError::public(
            hippo_core::ErrorCode::Unavailable,
            "the master key was rotated but the new key file cannot be read; retry shortly",
        ))
    }

    /// Inside the transaction that stores `row`: the data still expects the
    /// master key that wrapped it (a rotation may have committed since).
    pub(crate) async fn check_wrapping(
        &self,
        tx: &mut dyn hippo_store::WriteTx,
        row: &DataKeyRow,
    ) -> Result<()> {
        if tx.get_meta_for_update(META_KEY_CHECK).await?.as_deref() == Some(&row.master_key_check) {
            Ok(())
        } else {
            Err(ServiceError::public(
                hippo_core::ErrorCode::Unavailable,
                "the master key is being rotated; retry",
            ))
        }
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
            wrapped: self.master().wrap(id.as_str(), &key)?,
            master_key_check: self.master().check_value(),
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

    /// Seals bytes with the directory key (e.g. a webhook body).
    pub(crate) fn seal_directory_bytes(&self, aad: &Aad, bytes: &[u8]) -> Result<Vec<u8>> {
        Ok(self.directory.seal(aad, bytes)?)
    }

    pub(crate) fn open_directory_bytes(
        &self,
        aad: &Aad,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        Ok(self.directory.open(aad, sealed)?)
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
        Ok(self.master().unwrap_key(&row.id, &row.wrapped)?)
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
        let key = std::sync::Arc::new(self.master().unwrap_key(&row.id, &row.wrapped)?);
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(row.id, key.clone());
        Ok(key)
    }

    /// Drops a destroyed data key from memory.
    pub(crate) fn forget(&self, id: &str) {
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }

    pub(crate) fn username_index(&self, normalised_username: &str) -> String {
        self.username_index.index(normalised_username)
    }

    /// Blind index of an E.164 phone number.
    pub(crate) fn phone_index(&self, e164: &str) -> String {
        self.phone_index.index(e164)
    }

    /// Blind index of a medical record number.
    pub(crate) fn mrn_index(&self, mrn: &str) -> String {
        self.mrn_index.index(mrn)
    }
}

/// Where `hippo keys rotate` writes the new master key before swapping it in.
pub fn pending_key_file(path: &std::path::Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    std::path::PathBuf::from(name)
}
