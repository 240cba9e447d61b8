//! Conversations, their members, messages (with earlier versions and
//! recalls), per-conversation `seq` (taken under the conversation row's
//! lock) and the delivered/read watermarks receipts are made of.

use super::{BACKEND, DbRow, DbStore, Tx, col, corrupt, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{
    ChannelState, ConversationId, ConversationKind, MessageId, Priority, Timestamp, UserId,
};
use hippo_store::Result;
use hippo_store::prelude::*;
use sqlx::Row;

fn conversation_from_row(r: &DbRow) -> Result<ConversationRow> {
    Ok(ConversationRow {
        id: ConversationId::from_stored(col(r, "id")?),
        kind: ConversationKind::parse(&col::<String>(r, "kind")?)
            .ok_or_else(|| corrupt("conversations.kind"))?,
        title_enc: col(r, "title_enc")?,
        data_key_id: col(r, "data_key_id")?,
        created_by: UserId::from_stored(col(r, "created_by")?),
        created_at: ts(col(r, "created_at")?),
        updated_at: ts(col(r, "updated_at")?),
        last_seq: col(r, "last_seq")?,
    })
}

pub(super) fn message_from_row(r: &DbRow) -> Result<MessageRow> {
    Ok(MessageRow {
        id: MessageId::from_stored(col(r, "id")?),
        conversation_id: ConversationId::from_stored(col(r, "conversation_id")?),
        seq: col(r, "seq")?,
        sender_id: UserId::from_stored(col(r, "sender_id")?),
        body_enc: col(r, "body_enc")?,
        priority: Priority::parse(&col::<String>(r, "priority")?)
            .ok_or_else(|| corrupt("messages.priority"))?,
        client_id: col(r, "client_id")?,
        created_at: ts(col(r, "created_at")?),
        edited_at: col::<Option<i64>>(r, "edited_at")?.map(ts),
        deleted_at: col::<Option<i64>>(r, "deleted_at")?.map(ts),
        whatsapp: match col::<String>(r, "channel")?.as_str() {
            "hippo" => None,
            "whatsapp" => Some(WhatsappDelivery {
                state: ChannelState::parse(
                    &col::<Option<String>>(r, "channel_state")?.unwrap_or_default(),
                )
                .ok_or_else(|| corrupt("messages.channel_state"))?,
                updated_at: ts(col::<Option<i64>>(r, "channel_updated_at")?
                    .ok_or_else(|| corrupt("messages.channel_updated_at"))?),
                error_code: col(r, "channel_error_code")?,
                error_title: col(r, "channel_error_title")?,
                wamid: col(r, "wamid")?,
            }),
            _ => return Err(corrupt("messages.channel")),
        },
    })
}

#[async_trait]
impl ConversationStore for DbStore {
    async fn get_conversation(&self, id: &ConversationId) -> Result<Option<ConversationRow>> {
        let row = sqlx::query(select_conversations!("WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    async fn list_members(&self, c: &ConversationId) -> Result<Vec<UserId>> {
        let rows = sqlx::query(
            "SELECT user_id FROM conversation_members WHERE conversation_id = $1 ORDER BY \
             added_at, user_id",
        )
        .bind(c.as_str())
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map(UserId::from_stored).db())
            .collect()
    }

    async fn is_member(&self, c: &ConversationId, user: &UserId) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
        )
        .bind(c.as_str())
        .bind(user.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        Ok(row.is_some())
    }

    async fn list_conversations_for(&self, user: &UserId) -> Result<Vec<ConversationRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.kind, c.title_enc, c.data_key_id, c.created_by, c.created_at, \
             c.updated_at, \
             c.last_seq FROM conversations c JOIN conversation_members m ON m.conversation_id = \
             c.id \
             WHERE m.user_id = $1 ORDER BY c.updated_at DESC, c.id",
        )
        .bind(user.as_str())
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(conversation_from_row).collect()
    }

    async fn list_messages(
        &self,
        c: &ConversationId,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<MessageRow>> {
        let rows = sqlx::query(select_messages!(
            "WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ))
        .bind(c.as_str())
        .bind(after_seq)
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(message_from_row).collect()
    }

    async fn get_message(&self, id: &MessageId) -> Result<Option<MessageRow>> {
        let row = sqlx::query(select_messages!("WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn receipts(&self, c: &ConversationId, seq: i64) -> Result<Vec<ReceiptRow>> {
        let rows = sqlx::query(
            "SELECT user_id, kind, MIN(at) AS at FROM read_marks \
             WHERE conversation_id = $1 AND up_to_seq >= $2 GROUP BY user_id, kind ORDER BY \
             user_id",
        )
        .bind(c.as_str())
        .bind(seq)
        .fetch_all(self.reader())
        .await
        .db()?;
        let mut out: Vec<ReceiptRow> = Vec::new();
        for r in &rows {
            let user = UserId::from_stored(r.try_get("user_id").db()?);
            let kind: String = r.try_get("kind").db()?;
            let at = ts(r.try_get("at").db()?);
            let entry = match out.iter_mut().find(|x| x.user_id == user) {
                Some(e) => e,
                None => {
                    out.push(ReceiptRow {
                        user_id: user,
                        delivered_at: None,
                        read_at: None,
                    });
                    out.last_mut().ok_or_else(|| corrupt("receipts"))?
                }
            };
            if kind == MarkKind::Read.as_str() {
                entry.read_at = Some(at);
            } else {
                entry.delivered_at = Some(at);
            }
        }
        Ok(out)
    }

    async fn mark_of(&self, c: &ConversationId, user: &UserId, kind: MarkKind) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(up_to_seq), 0) FROM read_marks WHERE conversation_id = $1 AND \
             user_id = $2 AND kind = $3",
        )
        .bind(c.as_str())
        .bind(user.as_str())
        .bind(kind.as_str())
        .fetch_one(self.reader())
        .await
        .db()?;
        row.try_get(0).db()
    }

    async fn conversation_stats(
        &self,
        user: &UserId,
        only: Option<&ConversationId>,
    ) -> Result<Vec<ConversationStats>> {
        let rows = sqlx::query(
            "SELECT c.id AS conversation_id, \
             (SELECT COUNT(*) FROM messages x WHERE x.conversation_id = c.id \
             AND x.seq > COALESCE((SELECT MAX(r.up_to_seq) FROM read_marks r \
             WHERE r.conversation_id = c.id AND r.user_id = $1 AND r.kind = 'read'), 0) \
             AND x.sender_id <> $1 AND x.deleted_at IS NULL) AS unread, \
             (SELECT x.created_at FROM messages x WHERE x.conversation_id = c.id \
             ORDER BY x.seq DESC LIMIT 1) AS last_message_at \
             FROM conversations c \
             WHERE ($2 IS NULL AND c.id IN \
             (SELECT m.conversation_id FROM conversation_members m WHERE m.user_id = $1)) \
             OR c.id = $2",
        )
        .bind(user.as_str())
        .bind(only.map(ConversationId::as_str))
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter()
            .map(|r| {
                Ok(ConversationStats {
                    conversation_id: ConversationId::from_stored(col(r, "conversation_id")?),
                    unread: col(r, "unread")?,
                    last_message_at: col::<Option<i64>>(r, "last_message_at")?.map(ts),
                })
            })
            .collect()
    }

    async fn find_direct(&self, pair: &str) -> Result<Option<ConversationId>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT conversation_id FROM direct_pairs WHERE pair = $1")
                .bind(pair)
                .fetch_optional(self.reader())
                .await
                .db()?;
        Ok(id.map(ConversationId::from_stored))
    }
}

#[async_trait]
impl ConversationWriteTx for Tx {
    async fn claim_direct_pair(&mut self, pair: &str, c: &ConversationId) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO direct_pairs (pair, conversation_id) VALUES ($1, $2) \
             ON CONFLICT (pair) DO NOTHING",
        )
        .bind(pair)
        .bind(c.as_str())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_conversation(&mut self, c: &ConversationRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO conversations (id, kind, title_enc, data_key_id, created_by, created_at, \
             updated_at, last_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.id.as_str())
        .bind(c.kind.as_str())
        .bind(&c.title_enc)
        .bind(&c.data_key_id)
        .bind(c.created_by.as_str())
        .bind(c.created_at.as_millis())
        .bind(c.updated_at.as_millis())
        .bind(c.last_seq)
        .execute(&mut *self.tx)
        .await
        .db()?;
        self.new_conversations.push(c.id.clone());
        Ok(())
    }

    async fn update_conversation_title(
        &mut self,
        id: &ConversationId,
        title_enc: Option<&[u8]>,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query("UPDATE conversations SET title_enc = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_str())
            .bind(title_enc)
            .bind(at.as_millis())
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }

    async fn add_member(
        &mut self,
        c: &ConversationId,
        user: &UserId,
        at: Timestamp,
    ) -> Result<bool> {
        // A new member of a conversation others may hold cached changes
        // who hears its messages.
        if !self.new_conversations.contains(c) {
            super::ops::bump_access(self).await?;
        }
        let done = sqlx::query(
            "INSERT INTO conversation_members (conversation_id, user_id, added_at) VALUES ($1, $2, \
             $3) \
             ON CONFLICT (conversation_id, user_id) DO NOTHING",
        )
        .bind(c.as_str())
        .bind(user.as_str())
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_member(&mut self, c: &ConversationId, user: &UserId) -> Result<bool> {
        super::ops::bump_access(self).await?;
        let done = sqlx::query(
            "DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
        )
        .bind(c.as_str())
        .bind(user.as_str())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn next_seq(&mut self, c: &ConversationId, at: Timestamp) -> Result<i64> {
        let row = sqlx::query(
            "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $2 WHERE id = $1 \
             RETURNING last_seq",
        )
        .bind(c.as_str())
        .bind(at.as_millis())
        .fetch_one(&mut *self.tx)
        .await
        .db()?;
        row.try_get(0).db()
    }

    async fn find_by_client_id(
        &mut self,
        c: &ConversationId,
        sender: &UserId,
        client_id: &str,
    ) -> Result<Option<MessageRow>> {
        let row = sqlx::query(select_messages!(
            "WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3"
        ))
        .bind(c.as_str())
        .bind(sender.as_str())
        .bind(client_id)
        .fetch_optional(&mut *self.tx)
        .await
        .db()?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn insert_message(&mut self, m: &MessageRow) -> Result<()> {
        let wa = m.whatsapp.as_ref();
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, seq, sender_id, body_enc, priority, \
             client_id, \
             created_at, edited_at, deleted_at, channel, channel_state, channel_updated_at, \
             channel_error_code, channel_error_title, wamid) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(m.id.as_str())
        .bind(m.conversation_id.as_str())
        .bind(m.seq)
        .bind(m.sender_id.as_str())
        .bind(&m.body_enc)
        .bind(m.priority.as_str())
        .bind(&m.client_id)
        .bind(m.created_at.as_millis())
        .bind(m.edited_at.map(Timestamp::as_millis))
        .bind(m.deleted_at.map(Timestamp::as_millis))
        .bind(if wa.is_some() { "whatsapp" } else { "hippo" })
        .bind(wa.map(|w| w.state.as_str()))
        .bind(wa.map(|w| w.updated_at.as_millis()))
        .bind(wa.and_then(|w| w.error_code))
        .bind(wa.and_then(|w| w.error_title.clone()))
        .bind(wa.and_then(|w| w.wamid.clone()))
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn append_message(&mut self, m: &MessageRow, at: Timestamp) -> Result<Option<i64>> {
        // The idempotency check is the unique (conversation, sender,
        // client id) constraint itself: it sees a committed original even
        // when this statement's snapshot predates it (a concurrent retry
        // waited for the conversation row's lock).
        // `$3` is the seq on SQLite, the update time on PostgreSQL.
        let (sql, third) = if BACKEND == "postgres" {
            (
                "WITH s AS (UPDATE conversations SET last_seq = last_seq + 1, updated_at = $3 \
                 WHERE id = $2 RETURNING last_seq) \
                 INSERT INTO messages (id, conversation_id, seq, sender_id, body_enc, priority, \
                 client_id, created_at, edited_at, deleted_at, channel, channel_state, \
                 channel_updated_at, channel_error_code, channel_error_title, wamid) \
                 SELECT $1, $2, s.last_seq, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                 $15, $16 FROM s \
                 ON CONFLICT (conversation_id, sender_id, client_id) DO NOTHING RETURNING seq",
                at.as_millis(),
            )
        } else {
            (
                "INSERT INTO messages (id, conversation_id, seq, sender_id, body_enc, priority, \
                 client_id, created_at, edited_at, deleted_at, channel, channel_state, \
                 channel_updated_at, channel_error_code, channel_error_title, wamid) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 ON CONFLICT (conversation_id, sender_id, client_id) DO NOTHING RETURNING seq",
                // SQLite has one writer: the number taken first stays ours.
                self.next_seq(&m.conversation_id, at).await?,
            )
        };
        let wa = m.whatsapp.as_ref();
        sqlx::query_scalar::<_, i64>(sql)
            .bind(m.id.as_str())
            .bind(m.conversation_id.as_str())
            .bind(third)
            .bind(m.sender_id.as_str())
            .bind(&m.body_enc)
            .bind(m.priority.as_str())
            .bind(&m.client_id)
            .bind(m.created_at.as_millis())
            .bind(m.edited_at.map(Timestamp::as_millis))
            .bind(m.deleted_at.map(Timestamp::as_millis))
            .bind(if wa.is_some() { "whatsapp" } else { "hippo" })
            .bind(wa.map(|w| w.state.as_str()))
            .bind(wa.map(|w| w.updated_at.as_millis()))
            .bind(wa.and_then(|w| w.error_code))
            .bind(wa.and_then(|w| w.error_title.clone()))
            .bind(wa.and_then(|w| w.wamid.clone()))
            .fetch_optional(&mut *self.tx)
            .await
            .db()
    }

    async fn get_message_for_update(&mut self, id: &MessageId) -> Result<Option<MessageRow>> {
        // PostgreSQL: the row stays locked until commit, so an edit and a
        // recall of one message run one after the other (SQLite has one
        // writer at a time anyway).
        let sql = if BACKEND == "postgres" {
            select_messages!("WHERE id = $1 FOR UPDATE")
        } else {
            select_messages!("WHERE id = $1")
        };
        let row = sqlx::query(sql)
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .db()?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn edit_message(
        &mut self,
        id: &MessageId,
        version: i64,
        previous_enc: &[u8],
        body_enc: &[u8],
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO message_versions (message_id, version, body_enc, replaced_at) VALUES ($1, \
             $2, $3, $4)",
        )
        .bind(id.as_str())
        .bind(version)
        .bind(previous_enc)
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        sqlx::query("UPDATE messages SET body_enc = $2, edited_at = $3 WHERE id = $1")
            .bind(id.as_str())
            .bind(body_enc)
            .bind(at.as_millis())
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }

    async fn recall_message(
        &mut self,
        id: &MessageId,
        at: Timestamp,
        original: (i64, &[u8]),
    ) -> Result<bool> {
        sqlx::query(
            "INSERT INTO message_versions (message_id, version, body_enc, replaced_at) VALUES ($1, \
             $2, $3, $4)",
        )
        .bind(id.as_str())
        .bind(original.0)
        .bind(original.1)
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        // The hold, read under a share lock on PostgreSQL: a transaction
        // setting or clearing it is waited for (and waits for this one),
        // so the hold either precedes the recall or follows it. SQLite has
        // one writer at a time.
        let sql = if BACKEND == "postgres" {
            "SELECT c.legal_hold_since FROM conversations c JOIN messages m \
             ON m.conversation_id = c.id WHERE m.id = $1 FOR SHARE OF c"
        } else {
            "SELECT c.legal_hold_since FROM conversations c JOIN messages m \
             ON m.conversation_id = c.id WHERE m.id = $1"
        };
        let hold: Option<Option<i64>> = sqlx::query_scalar(sql)
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .db()?;
        let held = hold.flatten().is_some();
        // Members no longer see its files; under a hold they are kept.
        if held {
            sqlx::query(
                "INSERT INTO held_attachments (message_id, attachment_id, conversation_id, \
                 held_at) SELECT message_id, attachment_id, conversation_id, $2 \
                 FROM message_attachments WHERE message_id = $1",
            )
            .bind(id.as_str())
            .bind(at.as_millis())
            .execute(&mut *self.tx)
            .await
            .db()?;
        }
        sqlx::query("DELETE FROM message_attachments WHERE message_id = $1")
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await
            .db()?;
        if !held {
            sqlx::query("UPDATE message_versions SET body_enc = NULL WHERE message_id = $1")
                .bind(id.as_str())
                .execute(&mut *self.tx)
                .await
                .db()?;
        }
        sqlx::query("UPDATE messages SET body_enc = NULL, deleted_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(at.as_millis())
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(held)
    }

    async fn destroy_recalled_versions(&mut self, conversation: &ConversationId) -> Result<u64> {
        // Their files are unshared again: the sweep removes them.
        sqlx::query("DELETE FROM held_attachments WHERE conversation_id = $1")
            .bind(conversation.as_str())
            .execute(&mut *self.tx)
            .await
            .db()?;
        let done = sqlx::query(
            "UPDATE message_versions SET body_enc = NULL WHERE body_enc IS NOT NULL AND \
             message_id IN (SELECT id FROM messages WHERE conversation_id = $1 AND deleted_at IS \
             NOT NULL)",
        )
        .bind(conversation.as_str())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected())
    }

    async fn kept_versions(&mut self, id: &MessageId) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM message_versions WHERE message_id = $1 AND body_enc IS NOT NULL",
        )
        .bind(id.as_str())
        .fetch_one(&mut *self.tx)
        .await
        .db()?;
        row.try_get(0).db()
    }

    async fn count_versions(&mut self, id: &MessageId) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM message_versions WHERE message_id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *self.tx)
            .await
            .db()?;
        row.try_get(0).db()
    }

    async fn raise_mark(
        &mut self,
        c: &ConversationId,
        user: &UserId,
        kind: MarkKind,
        up_to_seq: i64,
        at: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO read_marks (conversation_id, user_id, kind, up_to_seq, at) \
             SELECT $1, $2, $3, $4, $5 WHERE $4 > COALESCE((SELECT MAX(up_to_seq) FROM read_marks \
             WHERE conversation_id = $1 AND user_id = $2 AND kind = $3), 0)",
        )
        .bind(c.as_str())
        .bind(user.as_str())
        .bind(kind.as_str())
        .bind(up_to_seq)
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }
}
