//! The activity review's reads of the trail beyond one account's window
//! totals (those are in `audit.rs`): reads of flagged patients from outside
//! their care team, reads per hour of day, and an account's usual hours.

use super::DbStore;
use crate::DbResult;
use hippo_core::{Timestamp, UserId};
use hippo_store::{FlaggedRead, HourReads, READ_ACTIONS, Result};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The read actions as an SQL list (constants of this crate, not input).
fn read_list(extra: &[&str]) -> String {
    READ_ACTIONS
        .iter()
        .chain(extra)
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn flagged_patient_reads(
    store: &DbStore,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<FlaggedRead>> {
    let reads = read_list(&["break_glass.open"]);
    // `p.vip` and `p.workforce_member` are booleans on PostgreSQL and 0/1
    // on SQLite: as conditions, both read the same.
    let sql = format!(
        "SELECT e.actor_id, e.patient_id, COUNT(*), MIN(e.seq), MAX(e.seq) \
         FROM audit_events e JOIN patients p ON p.id = e.patient_id \
         WHERE e.at >= $1 AND e.at < $2 AND e.outcome = 'success' \
           AND e.actor_id IS NOT NULL AND e.action IN ({reads}) \
           AND (p.vip OR p.workforce_member) \
           AND NOT EXISTS (SELECT 1 FROM conversation_members m \
                           WHERE m.conversation_id = p.conversation_id AND m.user_id = e.actor_id) \
         GROUP BY e.actor_id, e.patient_id \
         ORDER BY e.actor_id, e.patient_id"
    );
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(since.as_millis())
        .bind(until.as_millis())
        .fetch_all(store.reader())
        .await
        .db()?;
    Ok(rows
        .into_iter()
        .map(
            |(actor, patient_id, count, first_seq, last_seq)| FlaggedRead {
                actor_id: UserId::from_stored(actor),
                patient_id,
                count,
                first_seq,
                last_seq,
            },
        )
        .collect())
}

pub(super) async fn reads_by_hour(
    store: &DbStore,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<HourReads>> {
    let reads = read_list(&[]);
    let sql = format!(
        "SELECT actor_id, (at / {HOUR_MS}) % 24 AS hour, COUNT(*), MIN(seq), MAX(seq) \
         FROM audit_events WHERE at >= $1 AND at < $2 AND outcome = 'success' \
           AND actor_id IS NOT NULL AND action IN ({reads}) \
         GROUP BY actor_id, (at / {HOUR_MS}) % 24 ORDER BY actor_id, hour"
    );
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(since.as_millis())
        .bind(until.as_millis())
        .fetch_all(store.reader())
        .await
        .db()?;
    Ok(rows
        .into_iter()
        .map(|(actor, hour, count, first_seq, last_seq)| HourReads {
            actor_id: UserId::from_stored(actor),
            hour,
            count,
            first_seq,
            last_seq,
        })
        .collect())
}

pub(super) async fn active_hours(
    store: &DbStore,
    actor: &UserId,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT (at / {HOUR_MS}) % 24 AS hour, COUNT(DISTINCT at / {DAY_MS}) \
         FROM audit_events WHERE actor_id = $1 AND at >= $2 AND at < $3 \
           AND outcome = 'success' \
         GROUP BY (at / {HOUR_MS}) % 24 ORDER BY hour"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(actor.as_str())
        .bind(since.as_millis())
        .bind(until.as_millis())
        .fetch_all(store.reader())
        .await
        .db()
}
