//! Calls: their rows, read by id or as the live ones, changed by
//! compare-and-swap on `version`.

use super::{DbRow, DbStore, Tx, col, opt_ts, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{CallId, ConversationId, Timestamp, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;

const SELECT_CALLS: &str = "SELECT id, conversation_id, media, topology, relay_only, started_by, \
     started_at, answered_at, ended_at, end_reason, version, participants FROM calls ";

fn call_from_row(r: &DbRow) -> Result<CallRow> {
    Ok(CallRow {
        id: CallId::from_stored(col(r, "id")?),
        conversation_id: ConversationId::from_stored(col(r, "conversation_id")?),
        media: col(r, "media")?,
        topology: col(r, "topology")?,
        relay_only: col::<i64>(r, "relay_only")? != 0,
        started_by: UserId::from_stored(col(r, "started_by")?),
        started_at: ts(col(r, "started_at")?),
        answered_at: opt_ts(r, "answered_at")?,
        ended_at: opt_ts(r, "ended_at")?,
        end_reason: col(r, "end_reason")?,
        version: col(r, "version")?,
        participants: col(r, "participants")?,
    })
}

#[async_trait]
impl CallStore for DbStore {
    async fn get_call(&self, id: &CallId) -> Result<Option<CallRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_CALLS} WHERE id = $1")))
            .bind(id.as_str())
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(call_from_row).transpose()
    }

    async fn live_call_in(&self, conversation: &ConversationId) -> Result<Option<CallRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_CALLS} WHERE conversation_id = $1 AND ended_at IS NULL"
        )))
        .bind(conversation.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(call_from_row).transpose()
    }

    async fn live_calls(&self) -> Result<Vec<CallRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_CALLS} WHERE ended_at IS NULL ORDER BY started_at, id"
        )))
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(call_from_row).collect()
    }
}

#[async_trait]
impl CallWriteTx for Tx {
    async fn insert_call(&mut self, c: &CallRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO calls (id, conversation_id, media, topology, relay_only, started_by, \
             started_at, answered_at, ended_at, end_reason, version, participants) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(c.id.as_str())
        .bind(c.conversation_id.as_str())
        .bind(&c.media)
        .bind(&c.topology)
        .bind(i64::from(c.relay_only))
        .bind(c.started_by.as_str())
        .bind(c.started_at.as_millis())
        .bind(c.answered_at.map(Timestamp::as_millis))
        .bind(c.ended_at.map(Timestamp::as_millis))
        .bind(&c.end_reason)
        .bind(c.version)
        .bind(&c.participants)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn update_call(&mut self, c: &CallRow) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE calls SET answered_at = $3, ended_at = $4, end_reason = $5, version = $6, \
             participants = $7 WHERE id = $1 AND version = $2",
        )
        .bind(c.id.as_str())
        .bind(c.version - 1)
        .bind(c.answered_at.map(Timestamp::as_millis))
        .bind(c.ended_at.map(Timestamp::as_millis))
        .bind(&c.end_reason)
        .bind(c.version)
        .bind(&c.participants)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }
}
