//! The audit hash chain. Each record's hash covers its predecessor's hash and
//! a canonical encoding of every field, so changing, removing, inserting or
//! reordering records breaks the chain at the first affected record.

use crate::AuditRecord;
use hippo_core::NewAuditEvent;

/// `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a record in a fixed order, as canonical JSON.
#[expect(clippy::too_many_arguments, reason = "one argument per audited field")]
fn canonical(
    seq: i64,
    at_ms: i64,
    actor_id: Option<&str>,
    session_id: Option<&str>,
    ip: Option<&str>,
    user_agent: Option<&str>,
    request_id: Option<&str>,
    action: &str,
    resource_type: Option<&str>,
    resource_id: Option<&str>,
    patient_id: Option<&str>,
    outcome: &str,
    detail: &str,
) -> String {
    serde_json::json!([
        seq,
        at_ms,
        actor_id,
        session_id,
        ip,
        user_agent,
        request_id,
        action,
        resource_type,
        resource_id,
        patient_id,
        outcome,
        detail
    ])
    .to_string()
}

fn link(prev_hash: &str, canonical: &str) -> String {
    let mut input = Vec::with_capacity(prev_hash.len() + 1 + canonical.len());
    input.extend_from_slice(prev_hash.as_bytes());
    input.push(b'\n');
    input.extend_from_slice(canonical.as_bytes());
    hippo_crypto::hex(&hippo_crypto::sha256(&input))
}

/// Canonical detail text for an event (stored as is, hashed as is).
pub fn detail_text(event: &NewAuditEvent) -> String {
    if event.detail.is_null() {
        "{}".to_owned()
    } else {
        event.detail.to_string()
    }
}

/// The hash of a new record at `seq` following `prev_hash`.
pub fn hash_new(seq: i64, prev_hash: &str, event: &NewAuditEvent, detail: &str) -> String {
    link(
        prev_hash,
        &canonical(
            seq,
            event.at.as_millis(),
            event.actor_id.as_ref().map(|v| v.as_str()),
            event.session_id.as_ref().map(|v| v.as_str()),
            event.meta.ip.as_deref(),
            event.meta.user_agent.as_deref(),
            event.meta.request_id.as_deref(),
            event.action.as_str(),
            event.resource_type,
            event.resource_id.as_deref(),
            event.patient_id.as_deref(),
            event.outcome.as_str(),
            detail,
        ),
    )
}

/// Recomputes a stored record's hash from its fields and `prev_hash`.
pub fn hash_stored(r: &AuditRecord) -> String {
    link(
        &r.prev_hash,
        &canonical(
            r.seq,
            r.at.as_millis(),
            r.actor_id.as_ref().map(|v| v.as_str()),
            r.session_id.as_ref().map(|v| v.as_str()),
            r.ip.as_deref(),
            r.user_agent.as_deref(),
            r.request_id.as_deref(),
            r.action.as_str(),
            r.resource_type.as_deref(),
            r.resource_id.as_deref(),
            r.patient_id.as_deref(),
            r.outcome.as_str(),
            &r.detail,
        ),
    )
}

/// Checks a run of records that starts at seq 1 (or continues `prev`):
/// returns the first bad sequence number, if any.
pub fn first_break(records: &[AuditRecord], mut prev: (i64, String)) -> Option<i64> {
    for r in records {
        if r.seq != prev.0 + 1 || r.prev_hash != prev.1 || hash_stored(r) != r.hash {
            return Some(r.seq.min(prev.0 + 1));
        }
        prev = (r.seq, r.hash.clone());
    }
    None
}

/// The bytes a checkpoint's signature covers.
pub fn checkpoint_message(seq: i64, head_hash: &str, at_ms: i64) -> Vec<u8> {
    format!("hippo-audit-checkpoint-v1\n{seq}\n{head_hash}\n{at_ms}").into_bytes()
}

/// Why a trail fails verification, at which record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first sequence number that cannot be trusted.
    pub seq: i64,
    pub reason: String,
}

/// Checks a trail page by page (it may be far larger than memory), from
/// seq 1 on.
#[derive(Debug, Clone)]
pub struct Verifier {
    prev_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            prev_seq: 0,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl Verifier {
    /// Records checked so far (all intact).
    pub fn checked(&self) -> i64 {
        self.prev_seq
    }

    /// The last intact record: its seq and hash.
    pub fn head(&self) -> (i64, &str) {
        (self.prev_seq, &self.prev_hash)
    }

    /// Checks the next records (ascending `seq`).
    pub fn feed(&mut self, records: &[AuditRecord]) -> Result<(), ChainBreak> {
        for r in records {
            let expected = self.prev_seq + 1;
            if r.seq > expected {
                return Err(ChainBreak {
                    seq: expected,
                    reason: format!(
                        "record {expected} is missing (the trail jumps from {} to {})",
                        self.prev_seq, r.seq
                    ),
                });
            }
            if r.seq < expected {
                return Err(ChainBreak {
                    seq: r.seq,
                    reason: format!("record {} appears twice or out of order", r.seq),
                });
            }
            if r.prev_hash != self.prev_hash {
                return Err(ChainBreak {
                    seq: r.seq,
                    reason: format!(
                        "record {} does not follow record {} (inserted, removed or reordered)",
                        r.seq, self.prev_seq
                    ),
                });
            }
            let hash = hash_stored(r);
            if hash != r.hash {
                return Err(ChainBreak {
                    seq: r.seq,
                    reason: format!("record {} was modified", r.seq),
                });
            }
            self.prev_seq = r.seq;
            self.prev_hash = hash;
        }
        Ok(())
    }
}
