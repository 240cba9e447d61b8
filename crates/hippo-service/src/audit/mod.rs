//! Examining the audit trail: queries with filters, verification of the
//! hash chain against signed checkpoints, exports (JSON Lines, CSV, FHIR R4
//! AuditEvent), and the auditor's reports (patient access, user activity,
//! breach scope).
//!
//! Only auditors read the trail through the API (the operator can through
//! the CLI); every reading is itself recorded (`audit.query`,
//! `audit.export`, `audit.verify`).

pub mod access_review;
pub mod activity;
pub mod alerts;
pub mod disclosures;
pub mod evidence;
mod export;
mod forward;
pub mod incidents;
mod reports;
pub mod resolve;
mod tree;
mod tree_verify;
mod verify;

pub use export::AuditExport;
pub use forward::FORWARD_JOB;
pub use reports::{MAX_REPORT_RECORDS, Report, Tally};
pub use tree::{
    HEAD_EVERY, InclusionProof, RecordProof, Round, SEQUENCE_EVERY, SEQUENCER_JOB, STALL_AFTER,
    head_signature_ok,
};
pub use tree_verify::WitnessedHead;
use tree_verify::{TreeBreak, TreeCheck};

use crate::{Actor, Principal, Result, ServiceError};
use hippo_core::{AuditAction, NewAuditEvent, Outcome, Timestamp};
use hippo_crypto::AuditSigningKey;
use hippo_store::chain::{Verifier, checkpoint_message};
use hippo_store::{AuditFilter, AuditRecord, CheckpointRow, StoreError};
use std::collections::{BTreeMap, HashMap};

/// Most records one query returns.
pub const MAX_PAGE: i64 = 1000;
/// Records per query when the caller does not say.
pub const DEFAULT_PAGE: i64 = 100;
/// Records read per round trip while verifying or exporting.
pub(super) const SCAN_PAGE: i64 = 5000;

/// Filters as a client writes them (all optional).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub outcome: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    /// RFC 3339.
    pub until: Option<String>,
}

/// One page of records.
#[derive(Debug)]
pub struct AuditPage {
    pub events: Vec<AuditRecord>,
    /// Pass as `after_seq` to continue; equals the request's when empty.
    pub next_after_seq: i64,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub ok: bool,
    /// Records checked and found intact.
    pub checked: i64,
    pub first_bad_seq: Option<i64>,
    pub reason: Option<String>,
    /// Signed checkpoints that matched the trail.
    pub checkpoints_verified: usize,
    /// Records in the Merkle tree.
    pub tree_size: i64,
    /// Signed tree heads that matched the rebuilt tree.
    pub tree_heads_verified: usize,
    /// Records written but not yet sequenced when the check ended.
    pub unsequenced: i64,
    /// Heads from a witness file found unchanged (when one was given).
    pub witnessed_heads: Option<usize>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    Fhir,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "jsonl" => Some(Self::Jsonl),
            "csv" => Some(Self::Csv),
            "fhir" => Some(Self::Fhir),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
            Self::Fhir => "fhir",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jsonl => "application/jsonl",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Fhir => "application/fhir+json",
        }
    }
}

pub(super) fn parse_time(name: &str, value: Option<&str>) -> Result<Option<Timestamp>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Timestamp::parse_rfc3339(v).map(Some).ok_or_else(|| {
            ServiceError::validation(format!(
                "{name} must be an RFC 3339 time such as 2026-11-01T00:00:00Z"
            ))
        }),
    }
}

/// Checks and converts a client's filters.
pub fn parse_filter(q: &AuditQuery) -> Result<AuditFilter> {
    let clean = |v: &Option<String>, name: &str| -> Result<Option<String>> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) if v.len() > 128 || v.chars().any(char::is_control) => {
                Err(ServiceError::validation(format!(
                    "{name} must be at most 128 printable characters"
                )))
            }
            Some(v) => Ok(Some(v.to_owned())),
        }
    };
    let action = clean(&q.action, "action")?;
    if let Some(a) = &action
        && AuditAction::parse(a).is_none()
    {
        return Err(ServiceError::validation(format!(
            "unknown action {a:?}; actions look like message.send or auth.login"
        )));
    }
    let outcome = clean(&q.outcome, "outcome")?;
    if let Some(o) = &outcome
        && Outcome::parse(o).is_none()
    {
        return Err(ServiceError::validation(
            "outcome must be success, denied or failure",
        ));
    }
    let since = parse_time("since", q.since.as_deref())?;
    let until = parse_time("until", q.until.as_deref())?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(ServiceError::validation("since must be before until"));
    }
    Ok(AuditFilter {
        actor_id: clean(&q.actor_id, "actor_id")?,
        action,
        resource_id: clean(&q.resource_id, "resource_id")?,
        patient_id: clean(&q.patient_id, "patient_id")?,
        outcome,
        session_id: clean(&q.session_id, "session_id")?,
        ip: clean(&q.ip, "ip")?,
        since,
        until,
    })
}

pub(super) fn filter_detail(f: &AuditFilter) -> serde_json::Value {
    serde_json::json!({
        "actor_id": f.actor_id,
        "action": f.action,
        "resource_id": f.resource_id,
        "patient_id": f.patient_id,
        "outcome": f.outcome,
        "session_id": f.session_id,
        "ip": f.ip,
        "since": f.since.map(Timestamp::to_rfc3339),
        "until": f.until.map(Timestamp::to_rfc3339),
    })
}

/// The auditor's tools: queries, verification, exports, checkpoints,
/// reports and security alerts (`hippo.audit()`).
#[derive(Debug, Clone)]
pub struct Audit {
    core: std::sync::Arc<crate::core::Core>,
}

impl Audit {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self { core }
    }
}

impl Audit {
    /// Records an examination of the trail.
    pub(super) async fn record_examination(
        &self,
        by: Principal<'_>,
        action: AuditAction,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.core
            .audit_alone(
                by.event(self.core.clock.now(), action, Outcome::Success)
                    .detail(by.with_via(detail)),
            )
            .await
    }

    /// Records matching `query`, oldest first, `limit` at most
    /// [`MAX_PAGE`]. The query itself is recorded.
    pub async fn query(
        &self,
        by: Principal<'_>,
        query: &AuditQuery,
        after_seq: Option<i64>,
        limit: Option<i64>,
    ) -> Result<AuditPage> {
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        let filter = parse_filter(query)?;
        // Everything committed before the query is in it.
        self.sequence_now().await?;
        let after_seq = after_seq.unwrap_or(0);
        if after_seq < 0 {
            return Err(ServiceError::validation("after_seq must be 0 or more"));
        }
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::validation(format!(
                "limit must be 1 to {MAX_PAGE}"
            )));
        }
        let events = self
            .core
            .store
            .query_audit(&filter, after_seq, limit)
            .await?;
        let next_after_seq = events.last().map_or(after_seq, |r| r.seq);
        let mut detail = filter_detail(&filter);
        if let Some(map) = detail.as_object_mut() {
            map.insert("after_seq".into(), after_seq.into());
            map.insert("count".into(), events.len().into());
        }
        self.record_examination(by, AuditAction::AuditQuery, detail)
            .await?;
        Ok(AuditPage {
            events,
            next_after_seq,
        })
    }
}
