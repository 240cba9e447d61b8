//! Retention and legal holds. Each conversation keeps messages for its own
//! retention period or the organisation default (none: until erased); a
//! purge removes what is older, with its earlier versions and the files no
//! longer shared anywhere, and writes a disposal record (`retention.purge`)
//! with counts. A legal hold (administrators) blocks every purge of its
//! conversation. Audit records are never purged.
//!
//! Erasure (administrators, on request): a conversation's content is
//! destroyed for good and its data key overwritten (crypto-shredding), so
//! no surviving copy of its ciphertext can be opened; a tombstone and the
//! audit records stay. A legal hold blocks it too.

use super::Governance;
use crate::{Actor, Principal, Result, ServiceError};
use hippo_core::{AuditAction, ConversationId, ErrorCode, NewAuditEvent, Outcome, Timestamp};
use std::time::Duration;

/// The shortest retention a conversation may be given.
pub const MIN_RETENTION: Duration = Duration::from_secs(3600);

/// Uploads not shared by any message are deleted this long after upload.
pub const UNSHARED_FILE_TTL: Duration = Duration::from_secs(24 * 3600);

/// What one retention run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Conversations that lost messages.
    pub conversations: usize,
    pub messages: i64,
    pub files: usize,
    /// Conversations skipped because of a legal hold.
    pub held: usize,
    /// Uploads deleted because no message shared them within a day.
    pub unshared_files: usize,
}

/// What [`Governance::shred_backup_keys`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShredReport {
    /// Key files rewritten, and keys removed from them.
    pub files: usize,
    pub keys: usize,
    /// Recorded key files no longer where they were written.
    pub missing: usize,
    /// Key files that could not be read or rewritten (logged).
    pub failed: usize,
}

/// Parses a retention such as `30d`; `None` (null) means the default.
pub fn parse_retention(value: Option<&str>) -> Result<Option<i64>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let d = hippo_core::units::parse_duration(v).map_err(ServiceError::validation)?;
    if d < MIN_RETENTION {
        return Err(ServiceError::validation(
            "retention must be at least 1h (or null for the default)",
        ));
    }
    i64::try_from(d.as_secs())
        .map(Some)
        .map_err(|_| ServiceError::validation("retention is too long"))
}

impl Governance {
    async fn require_admin_for(
        &self,
        actor: &Actor,
        action: AuditAction,
        conversation: &str,
    ) -> Result<ConversationId> {
        let resource = || Some(("conversation", conversation.chars().take(64).collect()));
        if let Err(e) = actor.require_full() {
            return Err(self.core.deny(actor, action, resource(), e).await);
        }
        if !actor.user.role.can_manage_users() {
            return Err(self
                .core
                .deny(actor, action, resource(), ServiceError::forbidden())
                .await);
        }
        let found = match ConversationId::parse(conversation) {
            Some(id) => self.core.store.conversation_policy(&id).await?,
            None => None,
        };
        match found {
            Some(p) => Ok(p.conversation_id),
            None => Err(ServiceError::not_found()),
        }
    }

    /// Places a legal hold (administrators): nothing in the conversation is
    /// purged until it is cleared. The reason is stored sealed.
    pub async fn set_legal_hold(
        &self,
        actor: &Actor,
        conversation: &str,
        reason: &str,
    ) -> Result<()> {
        let id = self
            .require_admin_for(actor, AuditAction::LegalHoldSet, conversation)
            .await?;
        let reason = reason.trim();
        if reason.chars().count() < 3 || reason.chars().count() > 500 {
            return Err(ServiceError::validation(
                "reason must be 3 to 500 characters",
            ));
        }
        let now = self.core.clock.now();
        let sealed = self.core.keys.seal_directory_field(
            "conversations",
            "legal_hold_reason",
            id.as_str(),
            reason,
        )?;
        let mut tx = self.core.store.begin_write().await?;
        tx.set_legal_hold(&id, Some((now, &sealed))).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::LegalHoldSet, Outcome::Success)
                .resource("conversation", id.as_str()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Clears a legal hold (administrators). Recalls made during the hold
    /// take effect now: what the hold kept behind their tombstones is
    /// destroyed, and the audit record says how many versions.
    pub async fn clear_legal_hold(&self, actor: &Actor, conversation: &str) -> Result<()> {
        let id = self
            .require_admin_for(actor, AuditAction::LegalHoldClear, conversation)
            .await?;
        let held = self
            .core
            .store
            .conversation_policy(&id)
            .await?
            .is_some_and(|p| p.legal_hold_since.is_some());
        if !held {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "this conversation is not on legal hold",
            ));
        }
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        tx.set_legal_hold(&id, None).await?;
        let destroyed = tx.destroy_recalled_versions(&id).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::LegalHoldClear, Outcome::Success)
                .resource("conversation", id.as_str())
                .detail(serde_json::json!({ "recalled_versions_destroyed": destroyed })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Erases a conversation (administrators). Refused while on legal hold.
    pub async fn erase_conversation(
        &self,
        actor: &Actor,
        conversation: &str,
        reason: &str,
    ) -> Result<()> {
        let id = self
            .require_admin_for(actor, AuditAction::ConversationErase, conversation)
            .await?;
        let reason = reason.trim();
        if reason.chars().count() < 3 || reason.chars().count() > 500 {
            return Err(ServiceError::validation(
                "reason must be 3 to 500 characters",
            ));
        }
        let policy = self
            .core
            .store
            .conversation_policy(&id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        if policy.erased_at.is_some() {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "this conversation was already erased",
            ));
        }
        if policy.legal_hold_since.is_some() {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "this conversation is on legal hold; clear the hold first",
            ));
        }
        let row = self
            .core
            .store
            .get_conversation(&id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let now = self.core.clock.now();
        let sealed = self.core.keys.seal_directory_field(
            "conversations",
            "erase_reason",
            id.as_str(),
            reason,
        )?;
        let mut tx = self.core.store.begin_write().await?;
        let erased = tx
            .erase_conversation(&id, &row.data_key_id, &sealed, now)
            .await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::ConversationErase, Outcome::Success)
                .resource("conversation", id.as_str())
                .detail(serde_json::json!({
                    "messages": erased.messages,
                    "files": erased.files.len(),
                    "data_key": row.data_key_id,
                })),
        )
        .await?;
        tx.commit().await?;
        self.core.keys.forget(&row.data_key_id);
        self.delete_blobs(&erased.files).await;
        // The erasure reaches every backup taken before it: its key files
        // lose this conversation's key (and those of its files).
        match self.shred_backup_keys().await {
            Ok(report) => tracing::info!(
                conversation = %id,
                key_files = report.files,
                keys = report.keys,
                "erased conversation's keys removed from backup key files"
            ),
            Err(e) => tracing::error!(
                conversation = %id,
                error = %e,
                "cannot remove erased keys from backup key files; retried at the next start or scheduled backup"
            ),
        }
        Ok(())
    }

    /// Records where a backup's key file was written, so that erasure
    /// reaches it.
    pub async fn register_backup_key_file(
        &self,
        path: &std::path::Path,
        backup_id: &str,
    ) -> Result<()> {
        let path = std::path::absolute(path)
            .map_err(|e| ServiceError::Internal(format!("backup key file path: {e}")))?;
        let mut tx = self.core.store.begin_write().await?;
        tx.insert_backup_key_file(&hippo_store::BackupKeyFileRow {
            path: path.display().to_string(),
            backup_id: backup_id.to_owned(),
            created_at: self.core.clock.now(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets a key file whose backup was disposed of.
    pub async fn forget_backup_key_file(&self, path: &std::path::Path) -> Result<()> {
        let path = std::path::absolute(path)
            .map_err(|e| ServiceError::Internal(format!("backup key file path: {e}")))?;
        let mut tx = self.core.store.begin_write().await?;
        tx.delete_backup_key_file(&path.display().to_string())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes, from every recorded backup key file, the data keys that no
    /// longer exist here (erased conversations, disposed files): what they
    /// protected can no longer be restored from those backups. Idempotent;
    /// runs after each erasure, at start and with every backup.
    pub async fn shred_backup_keys(&self) -> Result<ShredReport> {
        let mut report = ShredReport::default();
        // After a rotation elsewhere, the key files are under the new key.
        self.core
            .keys
            .ensure_current(self.core.store.as_ref())
            .await?;
        let master = self.core.keys.master();
        let blocking =
            |e: tokio::task::JoinError| ServiceError::Internal(format!("key file task: {e}"));
        for row in self.core.store.list_backup_key_files().await? {
            let path = std::path::PathBuf::from(&row.path);
            if !path.exists() {
                tracing::warn!(
                    backup_id = %row.backup_id,
                    "a recorded backup key file is not where it was written; erasure cannot reach it here"
                );
                report.missing += 1;
                continue;
            }
            // Locked from reading to writing, and the live keys read only
            // after the lock: a concurrent rewrite cannot put a key back.
            let opened = {
                let (path, master) = (path.clone(), master.clone());
                tokio::task::spawn_blocking(move || {
                    let lock = crate::backup_keys::lock_dir_of(&path)?;
                    let file = crate::backup_keys::KeyFile::read(&path, &master)?;
                    Ok::<_, crate::backup_keys::KeyFileError>((lock, file))
                })
                .await
                .map_err(blocking)?
            };
            let (lock, mut file) = match opened {
                Ok(x) => x,
                Err(e) => {
                    tracing::error!(error = %e, "a backup key file cannot be read; erasure cannot reach it");
                    report.failed += 1;
                    continue;
                }
            };
            let ids: Vec<String> = file.keys.iter().map(|k| k.id.clone()).collect();
            let live: std::collections::HashSet<String> = self
                .core
                .store
                .live_data_key_ids(&ids)
                .await?
                .into_iter()
                .collect();
            let removed = file.shred_all_but(&live, self.core.clock.now());
            if removed == 0 {
                drop(lock);
                continue;
            }
            let written = {
                let master = master.clone();
                tokio::task::spawn_blocking(move || {
                    let written = file.write(&path, &master);
                    drop(lock);
                    written
                })
                .await
                .map_err(blocking)?
            };
            match written {
                Ok(()) => {
                    report.files += 1;
                    report.keys += removed;
                }
                Err(e) => {
                    tracing::error!(error = %e, "a backup key file cannot be rewritten; erasure cannot reach it");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// After a restore from a backup taken before some erasures: every
    /// conversation whose data key is in `destroyed` is erased here too
    /// (tombstone, audit record) and every file whose key is gone removed.
    /// Returns (conversations, files).
    pub async fn apply_erasures_after_restore(
        &self,
        destroyed: &[String],
    ) -> Result<(usize, usize)> {
        if destroyed.is_empty() {
            return Ok((0, 0));
        }
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let conversations = tx.conversations_with_keys(destroyed).await?;
        let mut files = Vec::new();
        for id in &conversations {
            let row = self
                .core
                .store
                .get_conversation(id)
                .await?
                .ok_or_else(ServiceError::not_found)?;
            let reason = self.core.keys.seal_directory_field(
                "conversations",
                "erase_reason",
                id.as_str(),
                "erased after the restored backup was taken",
            )?;
            let erased = tx
                .erase_conversation(id, &row.data_key_id, &reason, now)
                .await?;
            tx.append_audit(
                &NewAuditEvent::new(now, AuditAction::ConversationErase, Outcome::Success)
                    .resource("conversation", id.as_str())
                    .detail(serde_json::json!({
                        "after_restore": true,
                        "messages": erased.messages,
                        "files": erased.files.len(),
                    })),
            )
            .await?;
            files.extend(erased.files);
        }
        files.extend(tx.remove_attachments_with_keys(destroyed).await?);
        tx.commit().await?;
        self.delete_blobs(&files).await;
        Ok((conversations.len(), files.len()))
    }

    /// Deletes the blobs of files whose rows a committed transaction
    /// removed. The rows (and keys) are gone already, so a blob that cannot
    /// be deleted is unreadable ciphertext: logged, not fatal.
    async fn delete_blobs(&self, files: &[hippo_core::AttachmentId]) {
        for file in files {
            if let Err(e) = self.core.blobs.delete(file.as_str()).await {
                tracing::error!(attachment = %file, error = %e, "a disposed file's blob could not be deleted");
            }
        }
    }

    /// Applies retention now: every conversation without a legal hold loses
    /// the messages (and files) older than its retention.
    pub async fn run_retention(&self, by: Principal<'_>) -> Result<RetentionReport> {
        let now = self.core.clock.now();
        let default = self
            .core
            .config
            .retention
            .and_then(|d| i64::try_from(d.as_secs()).ok());
        let mut report = RetentionReport::default();
        for policy in self.core.store.list_conversation_policies().await? {
            let Some(secs) = policy.retention_secs.or(default) else {
                continue;
            };
            if policy.legal_hold_since.is_some() {
                report.held += 1;
                continue;
            }
            let before =
                Timestamp::from_millis(now.as_millis().saturating_sub(secs.saturating_mul(1000)));
            let mut tx = self.core.store.begin_write().await?;
            let purged = tx
                .purge_messages_before(&policy.conversation_id, before)
                .await?;
            if purged.messages == 0 {
                continue; // dropping the transaction changes nothing
            }
            let detail = serde_json::json!({
                "conversation_id": policy.conversation_id.as_str(),
                "messages": purged.messages,
                "files": purged.files.len(),
                "before": before.to_rfc3339(),
                "retention_secs": secs,
            });
            tx.append_audit(
                &by.event(now, AuditAction::RetentionPurge, Outcome::Success)
                    .resource("conversation", policy.conversation_id.as_str())
                    .detail(by.with_via(detail)),
            )
            .await?;
            tx.commit().await?;
            self.delete_blobs(&purged.files).await;
            report.conversations += 1;
            report.messages += purged.messages;
            report.files += purged.files.len();
        }
        report.unshared_files = self.purge_unshared_files(now, by).await?;
        Ok(report)
    }

    /// Deletes uploads no message has shared for [`UNSHARED_FILE_TTL`].
    async fn purge_unshared_files(&self, now: Timestamp, by: Principal<'_>) -> Result<usize> {
        let mut tx = self.core.store.begin_write().await?;
        let files = tx
            .purge_unshared_attachments(now.minus(UNSHARED_FILE_TTL))
            .await?;
        if files.is_empty() {
            return Ok(0);
        }
        let detail = serde_json::json!({
            "unshared_files": files.len(),
            "ttl_secs": UNSHARED_FILE_TTL.as_secs(),
        });
        tx.append_audit(
            &by.event(now, AuditAction::RetentionPurge, Outcome::Success)
                .detail(by.with_via(detail)),
        )
        .await?;
        tx.commit().await?;
        self.delete_blobs(&files).await;
        Ok(files.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_values() {
        assert_eq!(parse_retention(None).unwrap(), None);
        assert_eq!(parse_retention(Some("")).unwrap(), None);
        assert_eq!(parse_retention(Some("30d")).unwrap(), Some(30 * 86_400));
        assert!(parse_retention(Some("5m")).is_err());
        assert!(parse_retention(Some("forever")).is_err());
    }
}
