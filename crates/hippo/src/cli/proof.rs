//! Proof files: what `hippo audit prove` prints and `hippo audit
//! check-proof` verifies offline, with nothing but the audit public key.
//!
//! An inclusion proof file:
//! `{"record": {…, "seq": N, "leaf": base64}, "inclusion": {"leaf_index",
//! "tree_size", "audit_path": [hex…]}, "tree_head": {"tree_size",
//! "root_hash", "timestamp", "signature", "key_id", "public_key"}}`.
//! A consistency proof file: `{"first": head, "second": head,
//! "consistency_path": [hex…]}` (the API's answers put together).

use anyhow::{Context, Result, anyhow};
use base64::Engine as _;
use hippo_service::audit::RecordProof;
use hippo_store::merkle::{self, Hash};
use hippo_store::{AuditRecord, TreeHeadRow};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::Path;
use std::process::ExitCode;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// A tree head as the API and proof files show it.
pub fn head_json(head: &TreeHeadRow, public_key: Option<&[u8]>) -> Value {
    json!({
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp,
        "signature": b64().encode(&head.signature),
        "key_id": head.key_id,
        "public_key": public_key.map(|k| b64().encode(k)),
    })
}

/// The document `hippo audit prove` prints.
pub fn document(proof: &RecordProof, public_key: Option<&[u8]>) -> Value {
    json!({
        "record": hippo_service::audit_format::record_json(&proof.record),
        "inclusion": {
            "leaf_index": proof.inclusion.leaf_index,
            "tree_size": proof.inclusion.tree_size,
            "audit_path": proof.inclusion.audit_path.iter().map(|h| hippo_crypto::hex(h)).collect::<Vec<_>>(),
        },
        "tree_head": head_json(&proof.head, public_key),
    })
}

#[derive(Deserialize)]
struct Head {
    tree_size: i64,
    root_hash: String,
    timestamp: String,
    signature: String,
    #[serde(default)]
    public_key: Option<String>,
}

#[derive(Deserialize)]
struct Inclusion {
    leaf_index: u64,
    tree_size: u64,
    audit_path: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ProofFile {
    Inclusion {
        record: Value,
        inclusion: Inclusion,
        tree_head: Head,
    },
    Consistency {
        first: Head,
        second: Head,
        consistency_path: Vec<String>,
    },
}

fn hash(hex: &str) -> Result<Hash> {
    let bytes = hippo_crypto::unhex(hex).ok_or_else(|| anyhow!("{hex:?} is not a hex hash"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow!("{hex:?} is not 32 bytes"))
}

fn hashes(list: &[String]) -> Result<Vec<Hash>> {
    list.iter().map(|h| hash(h)).collect()
}

/// Whether `head` is signed by `key`; an error names what is wrong.
fn check_head(head: &Head, key: &[u8], key_text: &str) -> Result<(), String> {
    if head.public_key.as_deref().is_some_and(|k| k != key_text) {
        return Err("the file's tree head names another public key than the one given".to_owned());
    }
    let signature = b64()
        .decode(&head.signature)
        .map_err(|_| "the tree head's signature is not base64".to_owned())?;
    let message =
        hippo_store::chain::tree_head_message(head.tree_size, &head.root_hash, &head.timestamp);
    if !hippo_crypto::AuditSigningKey::verify_with(key, &message, &signature) {
        return Err(format!(
            "the tree head for {} records is not signed by this key",
            head.tree_size
        ));
    }
    Ok(())
}

/// The record a proof file shows, rebuilt from its JSON (as
/// `audit_format::record_json` writes it).
fn record_of(v: &Value) -> Option<AuditRecord> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(AuditRecord {
        seq: v.get("seq")?.as_i64()?,
        at: hippo_core::Timestamp::parse_rfc3339(v.get("at")?.as_str()?)?,
        actor_id: text("actor_id").map(hippo_core::UserId::from_stored),
        session_id: text("session_id").map(hippo_core::SessionId::from_stored),
        ip: text("ip"),
        user_agent: text("user_agent"),
        request_id: text("request_id"),
        action: hippo_core::AuditAction::parse(v.get("action")?.as_str()?)?,
        resource_type: text("resource_type"),
        resource_id: text("resource_id"),
        patient_id: text("patient_id"),
        outcome: hippo_core::Outcome::parse(v.get("outcome")?.as_str()?)?,
        detail: v.get("detail")?.to_string(),
        prev_hash: text("prev_hash").unwrap_or_default(),
        hash: text("hash").unwrap_or_default(),
    })
}

fn check(proof: &ProofFile, key: &[u8], key_text: &str) -> Result<String, String> {
    match proof {
        ProofFile::Inclusion {
            record,
            inclusion,
            tree_head,
        } => {
            check_head(tree_head, key, key_text)?;
            let leaf = record
                .get("leaf")
                .and_then(Value::as_str)
                .and_then(|l| b64().decode(l).ok())
                .ok_or("the record has no base64 leaf")?;
            let shown = record_of(record).ok_or("the record's fields are not a hippo record")?;
            if hippo_store::chain::leaf_bytes(&shown) != leaf {
                return Err("the record shown does not match its leaf bytes".into());
            }
            if u64::try_from(shown.seq - 1).ok() != Some(inclusion.leaf_index) {
                return Err("the proof is for another record (leaf_index is not seq - 1)".into());
            }
            if i64::try_from(inclusion.tree_size).ok() != Some(tree_head.tree_size) {
                return Err("the proof is for another tree size than the head".into());
            }
            let path = hashes(&inclusion.audit_path).map_err(|e| e.to_string())?;
            let root = hash(&tree_head.root_hash).map_err(|e| e.to_string())?;
            if !merkle::verify_inclusion(
                inclusion.leaf_index,
                inclusion.tree_size,
                &merkle::leaf_hash(&leaf),
                &path,
                &root,
            ) {
                return Err("the inclusion proof does not lead to the signed root".into());
            }
            Ok(format!(
                "proof valid: record {} is in the tree of {} records signed at {}",
                shown.seq, tree_head.tree_size, tree_head.timestamp
            ))
        }
        ProofFile::Consistency {
            first,
            second,
            consistency_path,
        } => {
            check_head(first, key, key_text)?;
            check_head(second, key, key_text)?;
            let path = hashes(consistency_path).map_err(|e| e.to_string())?;
            let (r1, r2) = (
                hash(&first.root_hash).map_err(|e| e.to_string())?,
                hash(&second.root_hash).map_err(|e| e.to_string())?,
            );
            let sizes = (
                u64::try_from(first.tree_size).unwrap_or(0),
                u64::try_from(second.tree_size).unwrap_or(0),
            );
            if !merkle::verify_consistency(sizes.0, sizes.1, &r1, &r2, &path) {
                return Err(format!(
                    "the tree of {} records is not proven a prefix of the tree of {}",
                    first.tree_size, second.tree_size
                ));
            }
            Ok(format!(
                "proof valid: the tree of {} records is a prefix of the tree of {}",
                first.tree_size, second.tree_size
            ))
        }
    }
}

/// `hippo audit check-proof FILE --public-key K`.
pub fn check_file(file: &Path, public_key: &str) -> Result<ExitCode> {
    let key_text = match std::fs::read_to_string(public_key) {
        Ok(text) => text.trim().to_owned(),
        Err(_) => public_key.trim().to_owned(),
    };
    let key = b64()
        .decode(&key_text)
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| anyhow!("--public-key must be a base64 Ed25519 public key (32 bytes)"))?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let proof: ProofFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is neither an inclusion nor a consistency proof file",
            file.display()
        )
    })?;
    match check(&proof, &key, &key_text) {
        Ok(line) => {
            println!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            println!("proof INVALID: {why}");
            Ok(ExitCode::FAILURE)
        }
    }
}
