//! The audit trail: the gapless, hash-chained append (serialised on the
//! `audit_head` row until commit), page reads, filtered queries, signed
//! checkpoints and key endorsements.

use super::{DbRow, DbStore, LIST_AUDIT_JSON, Tx, col, corrupt, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{AuditAction, NewAuditEvent, Outcome, SessionId, Timestamp, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;
use sqlx::Row;

fn audit_from_row(r: &DbRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: col(r, "seq")?,
        at: ts(col(r, "at")?),
        actor_id: col::<Option<String>>(r, "actor_id")?.map(UserId::from_stored),
        session_id: col::<Option<String>>(r, "session_id")?.map(SessionId::from_stored),
        ip: col(r, "ip")?,
        user_agent: col(r, "user_agent")?,
        request_id: col(r, "request_id")?,
        action: AuditAction::parse(&col::<String>(r, "action")?)
            .ok_or_else(|| corrupt("audit_events.action"))?,
        resource_type: col(r, "resource_type")?,
        resource_id: col(r, "resource_id")?,
        patient_id: col(r, "patient_id")?,
        outcome: Outcome::parse(&col::<String>(r, "outcome")?)
            .ok_or_else(|| corrupt("audit_events.outcome"))?,
        detail: col(r, "detail")?,
        prev_hash: col(r, "prev_hash")?,
        hash: col(r, "hash")?,
    })
}

#[async_trait]
impl AuditStore for DbStore {
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
    async fn append_audit(&mut self, e: &NewAuditEvent) -> Result<i64> {
        // Taking the head row's write lock first serialises appenders
        // until commit: gapless seq, a single chain.
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *self.tx)
                .await
                .db()?;
        let seq: i64 = head.try_get(0).db()?;
        let prev_hash: String = head.try_get(1).db()?;
        let detail = hippo_store::chain::detail_text(e);
        let hash = hippo_store::chain::hash_new(seq, &prev_hash, e, &detail);
        sqlx::query(
            "INSERT INTO audit_events (seq, at, actor_id, session_id, ip, user_agent, request_id, \
             action, resource_type, resource_id, patient_id, outcome, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(seq)
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
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *self.tx)
        .await
        .db()?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(seq)
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
