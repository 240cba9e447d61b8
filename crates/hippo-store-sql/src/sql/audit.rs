//! The audit trail: the pending append (one insert, no shared row), page
//! reads, filtered queries, signed checkpoints and key endorsements. The
//! sequencer's pass and the tree live in `audit_tree.rs`.

use super::{DbRow, DbStore, LIST_AUDIT_JSON, Tx, col, corrupt, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{AuditAction, NewAuditEvent, Outcome, SessionId, Timestamp, UserId};
use hippo_store::merkle::{Hash, TileId};
use hippo_store::prelude::*;
use hippo_store::{ActorActivity, FlaggedRead, HourReads, READ_ACTIONS, Result, WindowActivity};
use sqlx::Row;
use std::collections::HashMap;

/// The fields a record has before it is sequenced (`audit_pending` and
/// `audit_events` share them); `seq` and the hashes left empty.
pub(super) fn fields_from_row(r: &DbRow, table: &str) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: 0,
        at: ts(col(r, "at")?),
        actor_id: col::<Option<String>>(r, "actor_id")?.map(UserId::from_stored),
        session_id: col::<Option<String>>(r, "session_id")?.map(SessionId::from_stored),
        ip: col(r, "ip")?,
        user_agent: col(r, "user_agent")?,
        request_id: col(r, "request_id")?,
        action: AuditAction::parse(&col::<String>(r, "action")?)
            .ok_or_else(|| corrupt(&format!("{table}.action")))?,
        resource_type: col(r, "resource_type")?,
        resource_id: col(r, "resource_id")?,
        patient_id: col(r, "patient_id")?,
        outcome: Outcome::parse(&col::<String>(r, "outcome")?)
            .ok_or_else(|| corrupt(&format!("{table}.outcome")))?,
        detail: col(r, "detail")?,
        prev_hash: String::new(),
        hash: String::new(),
    })
}

pub(super) fn audit_from_row(r: &DbRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: col(r, "seq")?,
        prev_hash: col(r, "prev_hash")?,
        hash: col(r, "hash")?,
        ..fields_from_row(r, "audit_events")?
    })
}

/// The newest successful record of an actor (`$1`), optionally of one
/// action (`$2`): the committed trail through `audit_by_actor`, then the
/// few records still waiting for the sequencer.
fn newest_of_actor(one_action: bool) -> String {
    let action = if one_action { " AND action = $2" } else { "" };
    format!(
        "SELECT MAX(at) FROM ( \
           SELECT at FROM (SELECT at FROM audit_events WHERE actor_id = $1 AND outcome = 'success'{action} \
             ORDER BY seq DESC LIMIT 1) AS committed \
           UNION ALL SELECT at FROM audit_pending WHERE actor_id = $1 AND outcome = 'success'{action} \
         ) AS records"
    )
}

#[async_trait]
impl AuditStore for DbStore {
    async fn actor_activity(&self, actor: &UserId, sign_in: &str) -> Result<ActorActivity> {
        let last_sign_in: Option<i64> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(newest_of_actor(true)))
                .bind(actor.as_str())
                .bind(sign_in)
                .fetch_one(self.reader())
                .await
                .db()?;
        let last_activity: Option<i64> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(newest_of_actor(false)))
                .bind(actor.as_str())
                .fetch_one(self.reader())
                .await
                .db()?;
        Ok(ActorActivity {
            last_sign_in: last_sign_in.map(ts),
            last_activity: last_activity.map(ts),
        })
    }

    async fn window_activity(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<WindowActivity>> {
        // The read actions are constants of this crate, not input.
        let reads = READ_ACTIONS
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT actor_id, \
               SUM(CASE WHEN outcome = 'success' AND action IN ({reads}) THEN 1 ELSE 0 END), \
               COUNT(DISTINCT CASE WHEN outcome = 'success' AND action <> 'audit.resolve' \
                 THEN patient_id END), \
               SUM(CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END), \
               SUM(CASE WHEN outcome = 'success' AND action = 'break_glass.open' THEN 1 ELSE 0 END), \
               MIN(seq), MAX(seq) \
             FROM audit_events WHERE at >= $1 AND at < $2 AND actor_id IS NOT NULL \
             GROUP BY actor_id ORDER BY actor_id"
        );
        let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(since.as_millis())
                .bind(until.as_millis())
                .fetch_all(self.reader())
                .await
                .db()?;
        Ok(rows
            .into_iter()
            .map(
                |(actor, reads, patients, denied, break_glass, first_seq, last_seq)| {
                    WindowActivity {
                        actor_id: UserId::from_stored(actor),
                        reads,
                        patients,
                        denied,
                        break_glass,
                        first_seq,
                        last_seq,
                    }
                },
            )
            .collect())
    }

    async fn flagged_patient_reads(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<FlaggedRead>> {
        super::activity::flagged_patient_reads(self, since, until).await
    }

    async fn reads_by_hour(&self, since: Timestamp, until: Timestamp) -> Result<Vec<HourReads>> {
        super::activity::reads_by_hour(self, since, until).await
    }

    async fn active_hours(
        &self,
        actor: &UserId,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(i64, i64)>> {
        super::activity::active_hours(self, actor, since, until).await
    }

    async fn daily_audit_counts(
        &self,
        action: Option<&str>,
        outcome: &str,
        since: Timestamp,
    ) -> Result<Vec<(Timestamp, i64)>> {
        const DAY_MS: i64 = 86_400_000;
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT at / 86400000 AS day, COUNT(*) FROM audit_events \
             WHERE ($1 IS NULL OR action = $1) AND outcome = $2 AND at >= $3 \
             GROUP BY at / 86400000 ORDER BY day",
        )
        .bind(action)
        .bind(outcome)
        .bind(since.as_millis())
        .fetch_all(self.reader())
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|(day, count)| (ts(day * DAY_MS), count))
            .collect())
    }

    async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        // The page comes back as one JSON array built by the database:
        // one row to transfer instead of thousands (verification and
        // exports read the whole trail this way).
        let text: Option<String> = sqlx::query_scalar(LIST_AUDIT_JSON)
            .bind(after_seq)
            .bind(limit)
            .fetch_one(self.reader())
            .await
            .db()?;
        crate::audit_page::decode(text.as_deref().unwrap_or("[]"))
    }

    async fn query_audit(
        &self,
        f: &AuditFilter,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor_id, session_id, ip, user_agent, request_id, action, \
             resource_type, resource_id, patient_id, outcome, detail, prev_hash, hash \
             FROM audit_events WHERE seq > $1 \
             AND ($2 IS NULL OR actor_id = $2) AND ($3 IS NULL OR action = $3) \
             AND ($4 IS NULL OR resource_id = $4) AND ($5 IS NULL OR patient_id = $5) \
             AND ($6 IS NULL OR outcome = $6) AND ($7 IS NULL OR session_id = $7) \
             AND ($8 IS NULL OR ip = $8) AND ($9 IS NULL OR at >= $9) AND ($10 IS NULL OR at < \
             $10) \
             ORDER BY seq LIMIT $11",
        )
        .bind(after_seq)
        .bind(&f.actor_id)
        .bind(&f.action)
        .bind(&f.resource_id)
        .bind(&f.patient_id)
        .bind(&f.outcome)
        .bind(&f.session_id)
        .bind(&f.ip)
        .bind(f.since.map(Timestamp::as_millis))
        .bind(f.until.map(Timestamp::as_millis))
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_head(&self) -> Result<(i64, String)> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(self.reader())
            .await
            .db()?;
        Ok((row.try_get(0).db()?, row.try_get(1).db()?))
    }

    async fn sequence_audit(&self, limit: i64) -> Result<Sequenced> {
        self.sequence_pass(limit).await
    }

    async fn audit_tree_size(&self) -> Result<i64> {
        self.tree_size_impl().await
    }

    async fn audit_tiles(&self, ids: &[TileId]) -> Result<HashMap<TileId, Vec<Hash>>> {
        self.tiles_impl(ids).await
    }

    async fn audit_tiles_range(
        &self,
        level: u32,
        from: u64,
        to: u64,
    ) -> Result<Vec<(TileId, Vec<Hash>)>> {
        self.tiles_range_impl(level, from, to).await
    }

    async fn latest_tree_head(&self) -> Result<Option<TreeHeadRow>> {
        self.latest_head_impl().await
    }

    async fn list_tree_heads(&self, after_size: i64, limit: i64) -> Result<Vec<TreeHeadRow>> {
        self.list_heads_impl(after_size, limit).await
    }

    async fn pending_audit(&self) -> Result<PendingAudit> {
        self.pending_impl().await
    }

    async fn list_checkpoints(&self) -> Result<Vec<CheckpointRow>> {
        let rows = sqlx::query(
            "SELECT seq, head_hash, at, signature, key_id FROM audit_checkpoints ORDER BY seq",
        )
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter()
            .map(|r| {
                Ok(CheckpointRow {
                    seq: col(r, "seq")?,
                    head_hash: col(r, "head_hash")?,
                    at: ts(col(r, "at")?),
                    signature: col(r, "signature")?,
                    key_id: col(r, "key_id")?,
                })
            })
            .collect()
    }

    async fn list_key_endorsements(&self) -> Result<Vec<KeyEndorsementRow>> {
        let rows = sqlx::query(
            "SELECT key_id, public_key, endorsed_by, endorsement, at FROM audit_key_endorsements \
             ORDER BY at",
        )
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter()
            .map(|r| {
                Ok(KeyEndorsementRow {
                    key_id: col(r, "key_id")?,
                    public_key: col(r, "public_key")?,
                    endorsed_by: col(r, "endorsed_by")?,
                    endorsement: col(r, "endorsement")?,
                    at: ts(col(r, "at")?),
                })
            })
            .collect()
    }
}

#[async_trait]
impl AuditWriteTx for Tx {
    async fn append_audit(&mut self, e: &NewAuditEvent) -> Result<()> {
        // Pending: the sequencer gives it its seq, chain hash and leaf.
        // No row shared with other writers is touched.
        let detail = hippo_store::chain::detail_text(e);
        // The patient of a patient conversation, looked up in the same
        // transaction (patients.conversation_id is unique, so indexed).
        let conversation = e
            .patient_id
            .is_none()
            .then(|| e.conversation_id())
            .flatten();
        sqlx::query(
            "INSERT INTO audit_pending (at, actor_id, session_id, ip, user_agent, request_id, \
             action, resource_type, resource_id, patient_id, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             COALESCE($10, (SELECT p.id FROM patients p WHERE p.conversation_id = $13)), \
             $11, $12)",
        )
        .bind(e.at.as_millis())
        .bind(e.actor_id.as_ref().map(UserId::as_str))
        .bind(e.session_id.as_ref().map(SessionId::as_str))
        .bind(&e.meta.ip)
        .bind(&e.meta.user_agent)
        .bind(&e.meta.request_id)
        .bind(e.action.as_str())
        .bind(e.resource_type)
        .bind(&e.resource_id)
        .bind(&e.patient_id)
        .bind(e.outcome.as_str())
        .bind(&detail)
        .bind(conversation)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn insert_tree_head(&mut self, head: &TreeHeadRow) -> Result<()> {
        super::audit_tree::insert_head(self, head).await
    }

    async fn insert_checkpoint(&mut self, c: &CheckpointRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, head_hash, at, signature, key_id) VALUES ($1, $2, \
             $3, $4, $5)",
        )
        .bind(c.seq)
        .bind(&c.head_hash)
        .bind(c.at.as_millis())
        .bind(&c.signature)
        .bind(&c.key_id)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn insert_key_endorsement(&mut self, k: &KeyEndorsementRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_key_endorsements (key_id, public_key, endorsed_by, endorsement, at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&k.key_id)
        .bind(&k.public_key)
        .bind(&k.endorsed_by)
        .bind(&k.endorsement)
        .bind(k.at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }
}
