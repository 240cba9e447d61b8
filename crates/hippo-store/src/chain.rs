//! The audit hash chain. Each record's hash covers its predecessor's hash and
//! a canonical encoding of every field, so changing, removing, inserting or
//! reordering records breaks the chain at the first affected record.

use crate::AuditRecord;
use hippo_core::NewAuditEvent;

/// `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a record in a fixed order.
struct Fields<'a> {
    seq: i64,
    at_ms: i64,
    actor_id: Option<&'a str>,
    session_id: Option<&'a str>,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    request_id: Option<&'a str>,
    action: &'a str,
    resource_type: Option<&'a str>,
    resource_id: Option<&'a str>,
    patient_id: Option<&'a str>,
    outcome: &'a str,
    detail: &'a str,
}

fn push_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        // serde_json's escaping, byte for byte: what `json!([...])`
        // produced when the chain format was fixed.
        Some(s) => {
            if serde_json::to_writer(&mut *out, s).is_err() {
                out.extend_from_slice(b"null");
            }
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// The canonical bytes of a record: its fields as a compact JSON array in a
/// fixed order, strings with serde_json's escaping (see
/// `docs/audit-leaf.md`). They are the Merkle tree's leaf and, after the
/// previous hash and a newline, what the chain hashes.
fn canonical(f: &Fields<'_>, out: &mut Vec<u8>) {
    use std::io::Write;
    let _ = write!(out, "[{},{},", f.seq, f.at_ms);
    for s in [f.actor_id, f.session_id, f.ip, f.user_agent, f.request_id] {
        push_str(out, s);
        out.push(b',');
    }
    push_str(out, Some(f.action));
    for s in [f.resource_type, f.resource_id, f.patient_id] {
        out.push(b',');
        push_str(out, s);
    }
    out.push(b',');
    push_str(out, Some(f.outcome));
    out.push(b',');
    push_str(out, Some(f.detail));
    out.push(b']');
}

fn capacity(f: &Fields<'_>) -> usize {
    160 + f.detail.len() + f.user_agent.map_or(0, str::len)
}

/// SHA-256 (hex) over `prev_hash`, a newline, and the canonical bytes.
fn link(prev_hash: &str, f: &Fields<'_>) -> String {
    let mut buf = Vec::with_capacity(prev_hash.len() + 1 + capacity(f));
    buf.extend_from_slice(prev_hash.as_bytes());
    buf.push(b'\n');
    canonical(f, &mut buf);
    hippo_crypto::hex(&hippo_crypto::sha256(&buf))
}

fn stored_fields(r: &AuditRecord) -> Fields<'_> {
    Fields {
        seq: r.seq,
        at_ms: r.at.as_millis(),
        actor_id: r.actor_id.as_ref().map(|v| v.as_str()),
        session_id: r.session_id.as_ref().map(|v| v.as_str()),
        ip: r.ip.as_deref(),
        user_agent: r.user_agent.as_deref(),
        request_id: r.request_id.as_deref(),
        action: r.action.as_str(),
        resource_type: r.resource_type.as_deref(),
        resource_id: r.resource_id.as_deref(),
        patient_id: r.patient_id.as_deref(),
        outcome: r.outcome.as_str(),
        detail: &r.detail,
    }
}

/// The Merkle leaf of a stored record: its canonical bytes.
pub fn leaf_bytes(r: &AuditRecord) -> Vec<u8> {
    let f = stored_fields(r);
    let mut out = Vec::with_capacity(capacity(&f));
    canonical(&f, &mut out);
    out
}

/// A record's chain hash (after `r.prev_hash`) and Merkle leaf hash, from
/// one canonical encoding (what the sequencer computes for each record).
pub fn hash_and_leaf(r: &AuditRecord) -> (String, crate::merkle::Hash) {
    let leaf = leaf_bytes(r);
    let mut linked = Vec::with_capacity(r.prev_hash.len() + 1 + leaf.len());
    linked.extend_from_slice(r.prev_hash.as_bytes());
    linked.push(b'\n');
    linked.extend_from_slice(&leaf);
    (
        hippo_crypto::hex(&hippo_crypto::sha256(&linked)),
        crate::merkle::leaf_hash(&leaf),
    )
}

/// The Merkle leaf hash of a stored record.
pub fn leaf_hash(r: &AuditRecord) -> crate::merkle::Hash {
    crate::merkle::leaf_hash(&leaf_bytes(r))
}

/// Canonical detail text for an event (stored as is, hashed as is).
pub fn detail_text(event: &NewAuditEvent) -> String {
    if event.detail.is_null() {
        "{}".to_owned()
    } else {
        event.detail.to_string()
    }
}

/// Recomputes a stored record's hash from its fields and `prev_hash`.
pub fn hash_stored(r: &AuditRecord) -> String {
    link(&r.prev_hash, &stored_fields(r))
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

/// The bytes a tree head's signature covers: the JSON text
/// `{"tree_size":N,"root_hash":"…","timestamp":"…"}` with no spaces.
pub fn tree_head_message(tree_size: i64, root_hash: &str, timestamp: &str) -> Vec<u8> {
    let mut out = format!("{{\"tree_size\":{tree_size},\"root_hash\":").into_bytes();
    push_str(&mut out, Some(root_hash));
    out.extend_from_slice(b",\"timestamp\":");
    push_str(&mut out, Some(timestamp));
    out.push(b'}');
    out
}

/// The bytes a successor key signs to endorse a retired audit signing key.
pub fn endorsement_message(key_id: &str, public_key: &[u8], at_ms: i64) -> Vec<u8> {
    format!(
        "hippo-audit-key-endorsement-v1\n{key_id}\n{}\n{at_ms}",
        hippo_crypto::hex(public_key)
    )
    .into_bytes()
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

#[cfg(test)]
mod tests {
    use super::*;
    use hippo_core::{AuditAction, Outcome, Timestamp, UserId};

    /// The chain format as first written: SHA-256 over the previous hash,
    /// a newline and `serde_json::json!([...]).to_string()`. Stored trails
    /// depend on it, so the faster encoder must match it byte for byte.
    fn reference_hash(r: &AuditRecord) -> String {
        let canonical = serde_json::json!([
            r.seq,
            r.at.as_millis(),
            r.actor_id.as_ref().map(|v| v.as_str()),
            r.session_id.as_ref().map(|v| v.as_str()),
            r.ip,
            r.user_agent,
            r.request_id,
            r.action.as_str(),
            r.resource_type,
            r.resource_id,
            r.patient_id,
            r.outcome.as_str(),
            r.detail
        ])
        .to_string();
        let mut input = r.prev_hash.as_bytes().to_vec();
        input.push(b'\n');
        input.extend_from_slice(canonical.as_bytes());
        hippo_crypto::hex(&hippo_crypto::sha256(&input))
    }

    #[test]
    fn encoder_matches_the_original_chain_format() {
        let awkward = [
            None,
            Some(String::new()),
            Some("plain".to_owned()),
            Some("quote \" backslash \\ slash / tab \t nl \n cr \r".to_owned()),
            Some("ctrl \u{1} \u{1f} del \u{7f} é ü 漢字 😀 \u{2028}".to_owned()),
        ];
        for (i, text) in awkward.iter().enumerate() {
            let r = AuditRecord {
                seq: 1 + i64::try_from(i).unwrap(),
                at: Timestamp::from_millis(-5 + 1_767_225_600_000 * i64::try_from(i).unwrap()),
                actor_id: Some(UserId::generate()),
                session_id: None,
                ip: text.clone(),
                user_agent: text.clone(),
                request_id: text.clone(),
                action: AuditAction::MessageSend,
                resource_type: text.clone(),
                resource_id: text.clone(),
                patient_id: text.clone(),
                outcome: Outcome::Denied,
                detail: text.clone().unwrap_or_else(|| "{}".into()),
                prev_hash: GENESIS_HASH.to_owned(),
                hash: String::new(),
            };
            assert_eq!(hash_stored(&r), reference_hash(&r), "case {i}");
            assert_eq!(
                hash_and_leaf(&r),
                (hash_stored(&r), leaf_hash(&r)),
                "case {i}"
            );
        }
    }
}
