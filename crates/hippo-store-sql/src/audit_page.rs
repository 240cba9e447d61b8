//! Decoding a page of audit records that the database returned as one JSON
//! array of arrays (SQLite `json_group_array`, PostgreSQL `json_agg`), in
//! the column order of `audit_events`.

use hippo_core::{AuditAction, Outcome, SessionId, Timestamp, UserId};
use hippo_store::{AuditRecord, Result, StoreError};

type Row = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
);

pub(crate) fn decode(text: &str) -> Result<Vec<AuditRecord>> {
    let rows: Vec<Row> =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("audit page: {e}")))?;
    rows.into_iter()
        .map(|r| {
            Ok(AuditRecord {
                seq: r.0,
                at: Timestamp::from_millis(r.1),
                actor_id: r.2.map(UserId::from_stored),
                session_id: r.3.map(SessionId::from_stored),
                ip: r.4,
                user_agent: r.5,
                request_id: r.6,
                action: AuditAction::parse(&r.7).ok_or_else(|| {
                    StoreError::Corrupt("unexpected value in audit_events.action".into())
                })?,
                resource_type: r.8,
                resource_id: r.9,
                patient_id: r.10,
                outcome: Outcome::parse(&r.11).ok_or_else(|| {
                    StoreError::Corrupt("unexpected value in audit_events.outcome".into())
                })?,
                detail: r.12,
                prev_hash: r.13,
                hash: r.14,
            })
        })
        .collect()
}
