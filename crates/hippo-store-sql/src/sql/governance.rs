//! Governance: break-glass grants and their review, security alerts,
//! retention and legal holds, purges and erasure (crypto-shredding).

use super::{DbRow, DbStore, Tx, col, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{ConversationId, Timestamp, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;

const SELECT_BREAK_GLASS: &str = "SELECT id, conversation_id, user_id, reason_enc, opened_at, \
     expires_at, \
    reviewed_at, reviewed_by, review_note_enc FROM break_glass ";

fn break_glass_from_row(r: &DbRow) -> Result<BreakGlassRow> {
    Ok(BreakGlassRow {
        id: col(r, "id")?,
        conversation_id: ConversationId::from_stored(col(r, "conversation_id")?),
        user_id: UserId::from_stored(col(r, "user_id")?),
        reason_enc: col(r, "reason_enc")?,
        opened_at: ts(col(r, "opened_at")?),
        expires_at: ts(col(r, "expires_at")?),
        reviewed_at: col::<Option<i64>>(r, "reviewed_at")?.map(ts),
        reviewed_by: col::<Option<String>>(r, "reviewed_by")?.map(UserId::from_stored),
        review_note_enc: col(r, "review_note_enc")?,
    })
}

fn policy_from_row(r: &DbRow) -> Result<ConversationPolicy> {
    Ok(ConversationPolicy {
        conversation_id: ConversationId::from_stored(col(r, "id")?),
        retention_secs: col(r, "retention_secs")?,
        legal_hold_since: col::<Option<i64>>(r, "legal_hold_since")?.map(ts),
        legal_hold_reason_enc: col(r, "legal_hold_reason_enc")?,
        erased_at: col::<Option<i64>>(r, "erased_at")?.map(ts),
    })
}

#[async_trait]
impl GovernanceStore for DbStore {
    async fn active_break_glass(
        &self,
        c: &ConversationId,
        user: &UserId,
        now: Timestamp,
    ) -> Result<Option<BreakGlassRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_BREAK_GLASS} WHERE conversation_id = $1 AND user_id = $2 AND expires_at > $3 \
             ORDER BY expires_at DESC LIMIT 1"
        )))
        .bind(c.as_str())
        .bind(user.as_str())
        .bind(now.as_millis())
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(break_glass_from_row).transpose()
    }

    async fn get_break_glass(&self, id: &str) -> Result<Option<BreakGlassRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_BREAK_GLASS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(break_glass_from_row).transpose()
    }

    async fn list_break_glass(&self, pending_only: bool) -> Result<Vec<BreakGlassRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_BREAK_GLASS} WHERE ($1 = 0 OR reviewed_at IS NULL) ORDER BY opened_at, id"
        )))
        .bind(i64::from(pending_only))
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(break_glass_from_row).collect()
    }

    async fn conversation_policy(&self, id: &ConversationId) -> Result<Option<ConversationPolicy>> {
        let row = sqlx::query(
            "SELECT id, retention_secs, legal_hold_since, legal_hold_reason_enc, erased_at FROM \
             conversations WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(policy_from_row).transpose()
    }

    async fn list_conversation_policies(&self) -> Result<Vec<ConversationPolicy>> {
        let rows = sqlx::query(
            "SELECT id, retention_secs, legal_hold_since, legal_hold_reason_enc, erased_at FROM \
             conversations \
             WHERE erased_at IS NULL ORDER BY id",
        )
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(policy_from_row).collect()
    }

    async fn list_alerts(&self, since: Option<Timestamp>, limit: i64) -> Result<Vec<AlertRow>> {
        let rows = sqlx::query(
            "SELECT id, at, kind, severity, detail, reviewed_at, reviewed_by FROM security_alerts \
             WHERE ($1 IS NULL OR at >= $1) ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(since.map(Timestamp::as_millis))
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn list_open_alerts(&self, limit: i64) -> Result<Vec<AlertRow>> {
        let rows = sqlx::query(
            "SELECT id, at, kind, severity, detail, reviewed_at, reviewed_by FROM security_alerts \
             WHERE reviewed_at IS NULL ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn get_alert(&self, id: &str) -> Result<Option<AlertRow>> {
        let row = sqlx::query(
            "SELECT id, at, kind, severity, detail, reviewed_at, reviewed_by FROM security_alerts \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(alert_from_row).transpose()
    }
}

#[async_trait]
impl GovernanceWriteTx for Tx {
    async fn insert_break_glass(&mut self, b: &BreakGlassRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO break_glass (id, conversation_id, user_id, reason_enc, opened_at, \
             expires_at, \
             reviewed_at, reviewed_by, review_note_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9)",
        )
        .bind(&b.id)
        .bind(b.conversation_id.as_str())
        .bind(b.user_id.as_str())
        .bind(&b.reason_enc)
        .bind(b.opened_at.as_millis())
        .bind(b.expires_at.as_millis())
        .bind(b.reviewed_at.map(Timestamp::as_millis))
        .bind(b.reviewed_by.as_ref().map(UserId::as_str))
        .bind(&b.review_note_enc)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn review_break_glass(
        &mut self,
        id: &str,
        by: &UserId,
        note_enc: &[u8],
        at: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE break_glass SET reviewed_at = $2, reviewed_by = $3, review_note_enc = $4 \
             WHERE id = $1 AND reviewed_at IS NULL",
        )
        .bind(id)
        .bind(at.as_millis())
        .bind(by.as_str())
        .bind(note_enc)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn review_alert(&mut self, id: &str, at: Timestamp, by: &UserId) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE security_alerts SET reviewed_at = $1, reviewed_by = $2 \
             WHERE id = $3 AND reviewed_at IS NULL",
        )
        .bind(at.as_millis())
        .bind(by.as_str())
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_alert(&mut self, a: &AlertRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO security_alerts (id, at, kind, severity, detail) VALUES ($1, $2, \
             $3, $4, $5)",
        )
        .bind(&a.id)
        .bind(a.at.as_millis())
        .bind(&a.kind)
        .bind(&a.severity)
        .bind(&a.detail)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn set_retention(&mut self, id: &ConversationId, secs: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE conversations SET retention_secs = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(secs)
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }

    async fn set_legal_hold(
        &mut self,
        id: &ConversationId,
        hold: Option<(Timestamp, &[u8])>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE conversations SET legal_hold_since = $2, legal_hold_reason_enc = $3 WHERE id = \
             $1",
        )
        .bind(id.as_str())
        .bind(hold.map(|(t, _)| t.as_millis()))
        .bind(hold.map(|(_, r)| r.to_vec()))
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn purge_messages_before(
        &mut self,
        id: &ConversationId,
        before: Timestamp,
    ) -> Result<PurgeResult> {
        let before = before.as_millis();
        let linked: Vec<String> = sqlx::query_scalar(
            "SELECT ma.attachment_id FROM message_attachments ma JOIN messages m \
             ON m.id = ma.message_id WHERE m.conversation_id = $1 AND m.created_at < $2 \
             UNION SELECT h.attachment_id FROM held_attachments h JOIN messages m \
             ON m.id = h.message_id WHERE m.conversation_id = $1 AND m.created_at < $2",
        )
        .bind(id.as_str())
        .bind(before)
        .fetch_all(&mut *self.tx)
        .await
        .db()?;
        for table in [
            "message_attachments",
            "held_attachments",
            "message_versions",
            "whatsapp_outbox",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE message_id IN \
                 (SELECT id FROM messages WHERE conversation_id = $1 AND created_at < $2)"
            )))
            .bind(id.as_str())
            .bind(before)
            .execute(&mut *self.tx)
            .await
            .db()?;
        }
        let done =
            sqlx::query("DELETE FROM messages WHERE conversation_id = $1 AND created_at < $2")
                .bind(id.as_str())
                .bind(before)
                .execute(&mut *self.tx)
                .await
                .db()?;
        Ok(PurgeResult {
            messages: i64::try_from(done.rows_affected()).unwrap_or(i64::MAX),
            files: self.remove_unshared_attachments(linked).await?,
        })
    }

    async fn erase_conversation(
        &mut self,
        id: &ConversationId,
        data_key_id: &str,
        reason_enc: &[u8],
        at: Timestamp,
    ) -> Result<PurgeResult> {
        // Its members go: cached memberships are stale.
        super::ops::bump_access(self).await?;
        // Everything with a created_at before the end of time.
        let result = self
            .purge_messages_before(id, Timestamp::from_millis(i64::MAX))
            .await?;
        for sql in [
            "DELETE FROM read_marks WHERE conversation_id = $1",
            "DELETE FROM conversation_members WHERE conversation_id = $1",
            // A new direct conversation may then start for the pair.
            "DELETE FROM direct_pairs WHERE conversation_id = $1",
        ] {
            sqlx::query(sql)
                .bind(id.as_str())
                .execute(&mut *self.tx)
                .await
                .db()?;
        }
        sqlx::query(
            "UPDATE conversations SET title_enc = NULL, erased_at = $2, erase_reason_enc = $3 \
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(at.as_millis())
        .bind(reason_enc)
        .execute(&mut *self.tx)
        .await
        .db()?;
        // The wrapped key is overwritten: nothing sealed with it can be
        // opened again, wherever a copy of the ciphertext survives.
        sqlx::query("UPDATE data_keys SET wrapped = $2, purpose = 'destroyed' WHERE id = $1")
            .bind(data_key_id)
            .bind(Vec::<u8>::new())
            .execute(&mut *self.tx)
            .await
            .db()?;
        // Open emergency access ends with it.
        sqlx::query(
            "UPDATE break_glass SET expires_at = $2 WHERE conversation_id = $1 AND expires_at > $2",
        )
        .bind(id.as_str())
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(result)
    }
}

fn alert_from_row(r: &DbRow) -> Result<AlertRow> {
    Ok(AlertRow {
        id: col(r, "id")?,
        at: ts(col(r, "at")?),
        kind: col(r, "kind")?,
        severity: col(r, "severity")?,
        detail: col(r, "detail")?,
        reviewed_at: col::<Option<i64>>(r, "reviewed_at")?.map(ts),
        reviewed_by: col::<Option<String>>(r, "reviewed_by")?.map(UserId::from_stored),
    })
}
