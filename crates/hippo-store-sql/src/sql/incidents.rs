//! Incidents: their rows, read by id or all of them, changed by
//! compare-and-swap on `version`.

use super::{DbRow, DbStore, Tx, col, opt_ts, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{Timestamp, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;

const SELECT_INCIDENTS: &str = "SELECT id, summary_enc, discovered_at, discovered_offset_minutes, \
     created_at, created_by, \
     scope, affected, by_state, individuals_notified_at, hhs_notified_at, media_notified_at, \
     closed_at, closed_by, outcome, close_note_enc, version FROM incidents ";

fn incident_from_row(r: &DbRow) -> Result<IncidentRow> {
    Ok(IncidentRow {
        id: col(r, "id")?,
        summary_enc: col(r, "summary_enc")?,
        discovered_at: ts(col(r, "discovered_at")?),
        discovered_offset_minutes: col(r, "discovered_offset_minutes")?,
        created_at: ts(col(r, "created_at")?),
        created_by: UserId::from_stored(col(r, "created_by")?),
        scope: col(r, "scope")?,
        affected: col(r, "affected")?,
        by_state: col(r, "by_state")?,
        individuals_notified_at: opt_ts(r, "individuals_notified_at")?,
        hhs_notified_at: opt_ts(r, "hhs_notified_at")?,
        media_notified_at: opt_ts(r, "media_notified_at")?,
        closed_at: opt_ts(r, "closed_at")?,
        closed_by: col::<Option<String>>(r, "closed_by")?.map(UserId::from_stored),
        outcome: col(r, "outcome")?,
        close_note_enc: col(r, "close_note_enc")?,
        version: col(r, "version")?,
    })
}

#[async_trait]
impl IncidentStore for DbStore {
    async fn get_incident(&self, id: &str) -> Result<Option<IncidentRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_INCIDENTS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(incident_from_row).transpose()
    }

    async fn list_incidents(&self) -> Result<Vec<IncidentRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_INCIDENTS} ORDER BY discovered_at DESC, id DESC"
        )))
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(incident_from_row).collect()
    }
}

#[async_trait]
impl IncidentWriteTx for Tx {
    async fn insert_incident(&mut self, i: &IncidentRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO incidents (id, summary_enc, discovered_at, created_at, created_by, \
             scope, affected, by_state, individuals_notified_at, hhs_notified_at, \
             media_notified_at, closed_at, closed_by, outcome, close_note_enc, version, \
             discovered_offset_minutes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&i.id)
        .bind(&i.summary_enc)
        .bind(i.discovered_at.as_millis())
        .bind(i.created_at.as_millis())
        .bind(i.created_by.as_str())
        .bind(&i.scope)
        .bind(&i.affected)
        .bind(&i.by_state)
        .bind(i.individuals_notified_at.map(Timestamp::as_millis))
        .bind(i.hhs_notified_at.map(Timestamp::as_millis))
        .bind(i.media_notified_at.map(Timestamp::as_millis))
        .bind(i.closed_at.map(Timestamp::as_millis))
        .bind(i.closed_by.as_ref().map(UserId::as_str))
        .bind(&i.outcome)
        .bind(&i.close_note_enc)
        .bind(i.version)
        .bind(i.discovered_offset_minutes)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn update_incident(&mut self, i: &IncidentRow) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE incidents SET individuals_notified_at = $3, hhs_notified_at = $4, \
             media_notified_at = $5, closed_at = $6, closed_by = $7, outcome = $8, \
             close_note_enc = $9, version = $10 WHERE id = $1 AND version = $2",
        )
        .bind(&i.id)
        .bind(i.version - 1)
        .bind(i.individuals_notified_at.map(Timestamp::as_millis))
        .bind(i.hhs_notified_at.map(Timestamp::as_millis))
        .bind(i.media_notified_at.map(Timestamp::as_millis))
        .bind(i.closed_at.map(Timestamp::as_millis))
        .bind(i.closed_by.as_ref().map(UserId::as_str))
        .bind(&i.outcome)
        .bind(&i.close_note_enc)
        .bind(i.version)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }
}
