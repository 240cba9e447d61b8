//! Operations: meta values, leases on cluster-wide jobs, the key files of
//! backups, and the per-address sign-in throttle.

use super::{BACKEND, DbStore, Tx, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::Timestamp;
use hippo_store::prelude::*;
use hippo_store::{OpsFigures, Result};
use sqlx::Row;

/// Gives [`hippo_store::ACCESS_VERSION_KEY`] a fresh random token: every
/// node's cached sessions and memberships are stale from this
/// transaction's commit on. Runs before the change it announces, so every
/// transaction takes the meta row's lock (PostgreSQL) before the rows it
/// changes, in one order.
pub(super) async fn bump_access(tx: &mut Tx) -> Result<()> {
    let sql = if BACKEND == "postgres" {
        "INSERT INTO meta (key, value) VALUES ('access_version', \
         md5(random()::text || clock_timestamp()::text)) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    } else {
        "INSERT INTO meta (key, value) VALUES ('access_version', lower(hex(randomblob(16)))) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    };
    sqlx::query(sql).execute(&mut *tx.tx).await.db()?;
    Ok(())
}

#[async_trait]
impl OpsStore for DbStore {
    async fn get_meta(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.map(|r| r.try_get(0).db()).transpose()
    }

    async fn login_failures(&self, source: &str) -> Result<Option<(Timestamp, i64)>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT window_start, CAST(failures AS BIGINT) FROM login_failures WHERE source = $1",
        )
        .bind(source)
        .fetch_optional(self.reader())
        .await
        .db()?;
        Ok(row.map(|(start, n)| (ts(start), n)))
    }

    async fn login_failure_totals(&self, prefix: &str, since: Timestamp) -> Result<(i64, i64)> {
        // The prefix is matched with substr, not LIKE: keys may hold `_`.
        let row: (i64, i64) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(failures), 0) AS BIGINT) \
             FROM login_failures WHERE substr(source, 1, CAST($1 AS INTEGER)) = $2 AND window_start > $3",
        )
        .bind(i64::try_from(prefix.len()).unwrap_or(i64::MAX))
        .bind(prefix)
        .bind(since.as_millis())
        .fetch_one(self.reader())
        .await
        .db()?;
        Ok(row)
    }

    async fn list_backup_key_files(&self) -> Result<Vec<BackupKeyFileRow>> {
        let rows = sqlx::query(
            "SELECT path, backup_id, created_at FROM backup_key_files ORDER BY created_at, path",
        )
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter()
            .map(|r| {
                Ok(BackupKeyFileRow {
                    path: r.try_get("path").db()?,
                    backup_id: r.try_get("backup_id").db()?,
                    created_at: ts(r.try_get("created_at").db()?),
                })
            })
            .collect()
    }

    async fn ops_figures(&self, actions: &[&str]) -> Result<OpsFigures> {
        let mut figures = OpsFigures::default();
        for action in actions {
            // Records still waiting for the sequencer count too.
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT outcome, MAX(at) FROM ( \
                   SELECT outcome, at FROM audit_events WHERE action = $1 \
                   UNION ALL SELECT outcome, at FROM audit_pending WHERE action = $1 \
                 ) AS records GROUP BY outcome",
            )
            .bind(action)
            .fetch_all(self.reader())
            .await
            .db()?;
            for (outcome, at) in rows {
                figures
                    .last_records
                    .push(((*action).to_owned(), outcome, ts(at)));
            }
        }
        let checkpoint: Option<i64> =
            sqlx::query_scalar("SELECT at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
                .fetch_optional(self.reader())
                .await
                .db()?;
        figures.last_checkpoint_at = checkpoint.map(ts);
        let (pending, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM webhook_deliveries WHERE state = 'pending'",
        )
        .fetch_one(self.reader())
        .await
        .db()?;
        figures.webhook_pending = pending;
        figures.webhook_oldest_pending_at = oldest.map(ts);
        figures.webhook_dead =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'dead'")
                .fetch_one(self.reader())
                .await
                .db()?;
        Ok(figures)
    }
}

#[async_trait]
impl OpsWriteTx for Tx {
    async fn put_meta(&mut self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn get_meta_for_update(&mut self, key: &str) -> Result<Option<String>> {
        let sql = if BACKEND == "postgres" {
            "SELECT value FROM meta WHERE key = $1 FOR UPDATE"
        } else {
            "SELECT value FROM meta WHERE key = $1"
        };
        sqlx::query_scalar(sql)
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await
            .db()
    }

    async fn claim_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        let got: Option<String> = sqlx::query_scalar(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $4) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = \
             excluded.expires_at \
             WHERE job_leases.expires_at <= $3 OR job_leases.holder = excluded.holder \
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now.as_millis())
        .bind(until.as_millis())
        .fetch_optional(&mut *self.tx)
        .await
        .db()?;
        Ok(got.is_some())
    }

    async fn release_lease(&mut self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("UPDATE job_leases SET expires_at = 0 WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }

    async fn insert_backup_key_file(&mut self, row: &BackupKeyFileRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO backup_key_files (path, backup_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (path) DO UPDATE SET backup_id = excluded.backup_id, created_at = \
             excluded.created_at",
        )
        .bind(&row.path)
        .bind(&row.backup_id)
        .bind(row.created_at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn delete_backup_key_file(&mut self, path: &str) -> Result<()> {
        sqlx::query("DELETE FROM backup_key_files WHERE path = $1")
            .bind(path)
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }

    async fn record_login_failure(
        &mut self,
        source: &str,
        now: Timestamp,
        expired_before: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_failures (source, window_start, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (source) DO UPDATE SET \
             failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE \
             login_failures.failures + 1 END, \
             window_start = CASE WHEN login_failures.window_start <= $3 THEN excluded.window_start \
             ELSE login_failures.window_start END",
        )
        .bind(source)
        .bind(now.as_millis())
        .bind(expired_before.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn prune_login_failures(&mut self, expired_before: Timestamp) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE window_start <= $1")
            .bind(expired_before.as_millis())
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }
}
