//! Attachments: rows of uploaded files (the bytes are in the blob store),
//! their sharing by messages, and removing those no message shares.

use super::{DbRow, DbStore, Tx, col, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{AttachmentId, ConversationId, MessageId, Timestamp, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;
use sqlx::Row;

fn attachment_from_row(r: &DbRow) -> Result<AttachmentRow> {
    Ok(AttachmentRow {
        id: AttachmentId::from_stored(col(r, "id")?),
        uploader_id: UserId::from_stored(col(r, "uploader_id")?),
        data_key_id: col(r, "data_key_id")?,
        filename_enc: col(r, "filename_enc")?,
        content_type: col(r, "content_type")?,
        size: col(r, "size")?,
        sha256_enc: col(r, "sha256_enc")?,
        chunk_size: col(r, "chunk_size")?,
        created_at: ts(col(r, "created_at")?),
    })
}

impl Tx {
    /// Deletes those of `linked` no message shares any more, with
    /// their data keys; returns their ids (blobs are the caller's).
    pub(super) async fn remove_unshared_attachments(
        &mut self,
        linked: Vec<String>,
    ) -> Result<Vec<AttachmentId>> {
        let mut files = Vec::new();
        for attachment in linked {
            // Only whether a row exists: PostgreSQL's `1` is an INT4, which
            // does not decode as i64.
            let still_shared = sqlx::query(
                "SELECT 1 FROM message_attachments WHERE attachment_id = $1 UNION ALL \
                 SELECT 1 FROM held_attachments WHERE attachment_id = $1 LIMIT 1",
            )
            .bind(&attachment)
            .fetch_optional(&mut *self.tx)
            .await
            .db()?;
            if still_shared.is_some() {
                continue;
            }
            let key: Option<String> =
                sqlx::query_scalar("DELETE FROM attachments WHERE id = $1 RETURNING data_key_id")
                    .bind(&attachment)
                    .fetch_optional(&mut *self.tx)
                    .await
                    .db()?;
            if let Some(key) = key {
                sqlx::query("DELETE FROM data_keys WHERE id = $1")
                    .bind(&key)
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                files.push(AttachmentId::from_stored(attachment));
            }
        }
        Ok(files)
    }
}

#[async_trait]
impl AttachmentStore for DbStore {
    async fn get_attachment(&self, id: &AttachmentId) -> Result<Option<AttachmentRow>> {
        let row = sqlx::query(select_attachments!("", "WHERE a.id = $1"))
            .bind(id.as_str())
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(attachment_from_row).transpose()
    }

    async fn attachment_shared_with(&self, id: &AttachmentId, user: &UserId) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM message_attachments ma JOIN conversation_members cm \
             ON cm.conversation_id = ma.conversation_id \
             WHERE ma.attachment_id = $1 AND cm.user_id = $2 LIMIT 1",
        )
        .bind(id.as_str())
        .bind(user.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        Ok(row.is_some())
    }

    async fn attachment_conversations(&self, id: &AttachmentId) -> Result<Vec<ConversationId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT conversation_id FROM message_attachments WHERE attachment_id = $1 \
             ORDER BY conversation_id",
        )
        .bind(id.as_str())
        .fetch_all(self.reader())
        .await
        .db()?;
        Ok(ids.into_iter().map(ConversationId::from_stored).collect())
    }

    async fn list_message_attachments(
        &self,
        c: &ConversationId,
        after_seq: i64,
        up_to_seq: i64,
    ) -> Result<Vec<MessageAttachmentRow>> {
        let rows = sqlx::query(select_attachments!(
            "ma.message_id, ma.seq, ",
            "JOIN message_attachments ma ON ma.attachment_id = a.id \
             WHERE ma.conversation_id = $1 AND ma.seq > $2 AND ma.seq <= $3 \
             ORDER BY ma.seq, ma.position"
        ))
        .bind(c.as_str())
        .bind(after_seq)
        .bind(up_to_seq)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter()
            .map(|r| {
                Ok(MessageAttachmentRow {
                    message_id: MessageId::from_stored(r.try_get("message_id").db()?),
                    seq: r.try_get("seq").db()?,
                    attachment: attachment_from_row(r)?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl AttachmentWriteTx for Tx {
    async fn insert_attachment(&mut self, a: &AttachmentRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO attachments (id, uploader_id, data_key_id, filename_enc, content_type, \
             size, \
             sha256_enc, chunk_size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(a.id.as_str())
        .bind(a.uploader_id.as_str())
        .bind(&a.data_key_id)
        .bind(&a.filename_enc)
        .bind(&a.content_type)
        .bind(a.size)
        .bind(&a.sha256_enc)
        .bind(a.chunk_size)
        .bind(a.created_at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn link_attachment(
        &mut self,
        m: &MessageRow,
        attachment: &AttachmentId,
        position: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO message_attachments (message_id, attachment_id, conversation_id, seq, \
             position) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(m.id.as_str())
        .bind(attachment.as_str())
        .bind(m.conversation_id.as_str())
        .bind(m.seq)
        .bind(position)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn remove_attachments_with_keys(&mut self, ids: &[String]) -> Result<Vec<AttachmentId>> {
        let mut files = Vec::new();
        for id in ids {
            let found: Vec<String> =
                sqlx::query_scalar("SELECT id FROM attachments WHERE data_key_id = $1")
                    .bind(id)
                    .fetch_all(&mut *self.tx)
                    .await
                    .db()?;
            for attachment in found {
                for sql in [
                    "DELETE FROM message_attachments WHERE attachment_id = $1",
                    "DELETE FROM held_attachments WHERE attachment_id = $1",
                    "DELETE FROM attachments WHERE id = $1",
                ] {
                    sqlx::query(sql)
                        .bind(&attachment)
                        .execute(&mut *self.tx)
                        .await
                        .db()?;
                }
                files.push(AttachmentId::from_stored(attachment));
            }
            sqlx::query(
                "DELETE FROM data_keys WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM \
                 conversations WHERE data_key_id = $1)",
            )
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .db()?;
        }
        Ok(files)
    }

    async fn purge_unshared_attachments(&mut self, before: Timestamp) -> Result<Vec<AttachmentId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT a.id FROM attachments a WHERE a.created_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id) AND NOT EXISTS \
             (SELECT 1 FROM held_attachments h WHERE h.attachment_id = a.id) ORDER BY a.id \
             LIMIT 10000",
        )
        .bind(before.as_millis())
        .fetch_all(&mut *self.tx)
        .await
        .db()?;
        self.remove_unshared_attachments(ids).await
    }
}
