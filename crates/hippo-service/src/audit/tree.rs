//! The audit trail's Merkle tree: the sequencer that orders pending
//! records into it, signed tree heads, and inclusion and consistency
//! proofs (RFC 9162 §2.1.3–2.1.4).
//!
//! One node of a cluster runs the sequencer (a job lease, moving to another
//! node when the holder dies). Every [`SEQUENCE_EVERY`] it sequences what
//! is pending, and while the tree grows it signs a new tree head at most
//! every [`HEAD_EVERY`] (the contract asks for one at least every 5 s).
//! Any node may also run a pass itself, before it reads the trail, so an
//! auditor sees everything committed before the query; passes serialise in
//! the store, so a record is never sequenced twice. A record still pending
//! after [`STALL_AFTER`] raises a security alert.

use super::*;
use hippo_store::merkle::{self, Frontier, Hash};
use hippo_store::{PendingAudit, TreeHeadRow};
use std::time::Duration;

/// The job lease the sequencer holds.
pub const SEQUENCER_JOB: &str = "audit_sequencer";
/// How often the sequencer looks for pending records.
pub const SEQUENCE_EVERY: Duration = Duration::from_millis(200);
/// Least time between two signed tree heads while records arrive.
pub const HEAD_EVERY: Duration = Duration::from_secs(4);
/// A record pending for longer raises `audit_sequencing_stalled`.
pub const STALL_AFTER: Duration = Duration::from_secs(60);
/// Records per pass (one transaction).
const PASS_LIMIT: i64 = 2000;
/// Passes per round, so one round never runs unbounded.
const MAX_PASSES: usize = 100;

/// An inclusion proof (RFC 9162 §2.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    pub audit_path: Vec<Hash>,
}

/// A proof, printed by `hippo audit prove`, that one record is in the trail
/// as a signed head commits to it.
#[derive(Debug, Clone)]
pub struct RecordProof {
    pub record: AuditRecord,
    pub inclusion: InclusionProof,
    pub head: TreeHeadRow,
}

/// What a sequencing round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub appended: u64,
    pub tree_size: u64,
}

fn bad_size(what: &str, value: i64, latest: i64) -> ServiceError {
    ServiceError::validation(format!(
        "{what} must be between 1 and the latest signed tree head's size ({latest}); got {value}"
    ))
}

impl Audit {
    /// Sequences every record pending now (a few passes at most).
    pub async fn sequence_now(&self) -> Result<Round> {
        let mut round = Round::default();
        for _ in 0..MAX_PASSES {
            let pass = self.core.store.sequence_audit(PASS_LIMIT).await?;
            round.appended += pass.appended;
            round.tree_size = pass.tree_size;
            if !pass.more {
                break;
            }
        }
        Ok(round)
    }

    /// Signs a head of the tree as it is now, unless the newest head
    /// already covers it or (unless `force`) was signed under
    /// [`HEAD_EVERY`] ago. Returns the newest head either way.
    pub async fn sign_tree_head(&self, force: bool) -> Result<Option<TreeHeadRow>> {
        let latest = self.core.store.latest_tree_head().await?;
        let Some(key) = self.core.audit_key.as_deref() else {
            return Ok(latest);
        };
        let size = self.core.store.audit_tree_size().await?;
        let now = self.core.clock.now();
        let covered = latest.as_ref().is_some_and(|h| h.tree_size >= size);
        let recent = latest
            .as_ref()
            .is_some_and(|h| h.at.plus(HEAD_EVERY) > now && h.at <= now);
        if size == 0 || covered || (recent && !force) {
            return Ok(latest);
        }
        let root = hippo_crypto::hex(&self.tree_root(size).await?);
        let timestamp = now.to_rfc3339();
        let head = TreeHeadRow {
            signature: key.sign(&hippo_store::chain::tree_head_message(
                size, &root, &timestamp,
            )),
            tree_size: size,
            root_hash: root,
            timestamp,
            at: now,
            key_id: key.key_id(),
        };
        let mut tx = self.core.store.begin_write().await?;
        match tx.insert_tree_head(&head).await {
            Ok(()) => tx.commit().await?,
            // Another node signed this size first: theirs stands.
            Err(StoreError::Conflict(_)) => return Ok(self.core.store.latest_tree_head().await?),
            Err(e) => return Err(e.into()),
        }
        let _ = self.core.tree_heads.send(head.clone());
        Ok(Some(head))
    }

    /// Signed tree heads as they are signed on this node (for witnesses:
    /// the syslog forwarder, the witness file).
    pub fn subscribe_tree_heads(&self) -> tokio::sync::broadcast::Receiver<TreeHeadRow> {
        self.core.tree_heads.subscribe()
    }

    /// The root of the tree of `size` records, from the stored tiles.
    pub(super) async fn tree_root(&self, size: i64) -> Result<Hash> {
        let size = u64::try_from(size).unwrap_or(0);
        let tiles = self
            .core
            .store
            .audit_tiles(&Frontier::tiles_needed(size))
            .await?;
        let frontier = Frontier::load(size, &tiles).map_err(|m| {
            ServiceError::Internal(format!(
                "the audit tree lacks the tile under node {}/{}",
                m.0.level, m.0.index
            ))
        })?;
        Ok(frontier.root())
    }

    /// Records pending now and the oldest one's time.
    pub async fn pending(&self) -> Result<PendingAudit> {
        Ok(self.core.store.pending_audit().await?)
    }

    /// Raises `audit_sequencing_stalled` once per stall when a record has
    /// been pending for over [`STALL_AFTER`]. Returns whether it is stalled.
    pub async fn check_stall(&self, alerted: &mut bool) -> Result<bool> {
        let pending = self.core.store.pending_audit().await?;
        let now = self.core.clock.now();
        let stalled = pending
            .oldest
            .is_some_and(|oldest| oldest.plus(STALL_AFTER) < now);
        if stalled && !*alerted {
            self.core
                .raise_alert(
                    crate::alerts::AlertKind::AuditSequencingStalled,
                    serde_json::json!({
                        "pending": pending.count,
                        "oldest_age_s": pending.oldest.map(|o| (now.as_millis() - o.as_millis()) / 1000),
                    }),
                )
                .await;
        }
        *alerted = stalled;
        Ok(stalled)
    }

    /// The sequencer: on the node holding [`SEQUENCER_JOB`], sequences
    /// every [`SEQUENCE_EVERY`] and signs heads; on every node, watches for
    /// a stall. Runs until `stop` turns true.
    pub async fn run_sequencer(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut leader = crate::ops::LeaderCheck::new(
            SEQUENCER_JOB,
            Duration::from_secs(1),
            Duration::from_secs(3),
        );
        let mut tick = tokio::time::interval(SEQUENCE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_stall_check = std::time::Instant::now();
        let mut alerted = false;
        // The size the newest head known here covers: an idle tick reads
        // nothing about heads.
        let mut signed_up_to = -1;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if leader.leading(&self.core).await {
                let size = match self.sequence_now().await {
                    Ok(round) => i64::try_from(round.tree_size).unwrap_or(i64::MAX),
                    Err(e) => {
                        tracing::warn!(error = %e, "sequencing the audit trail failed; retrying");
                        i64::MAX
                    }
                };
                if size > signed_up_to {
                    match self.sign_tree_head(false).await {
                        Ok(head) => signed_up_to = head.map_or(-1, |h| h.tree_size),
                        Err(e) => tracing::warn!(error = %e, "signing an audit tree head failed"),
                    }
                }
            }
            if last_stall_check.elapsed() >= Duration::from_secs(5) {
                last_stall_check = std::time::Instant::now();
                if let Err(e) = self.check_stall(&mut alerted).await {
                    tracing::warn!(error = %e, "cannot check for pending audit records");
                }
            }
        }
    }

    /// The newest signed tree head, signing one first if none covers the
    /// sequenced tree yet and the last is older than [`HEAD_EVERY`].
    pub async fn tree_head(&self, by: Principal<'_>) -> Result<TreeHeadRow> {
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        self.sequence_now().await?;
        let head = self.sign_tree_head(false).await?.ok_or_else(|| {
            ServiceError::public(hippo_core::ErrorCode::NotFound, "no signed tree head yet")
        })?;
        self.record_examination(
            by,
            AuditAction::AuditQuery,
            serde_json::json!({"read": "tree_head", "tree_size": head.tree_size}),
        )
        .await?;
        Ok(head)
    }

    async fn latest_size(&self) -> Result<i64> {
        Ok(self
            .core
            .store
            .latest_tree_head()
            .await?
            .map_or(0, |h| h.tree_size))
    }

    /// The inclusion proof of record `seq` in the tree of `tree_size`
    /// records (default: the newest signed head's).
    pub async fn inclusion_proof(
        &self,
        by: Principal<'_>,
        seq: i64,
        tree_size: Option<i64>,
    ) -> Result<InclusionProof> {
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        let latest = self.latest_size().await?;
        let size = tree_size.unwrap_or(latest);
        if !(1..=latest).contains(&size) {
            return Err(bad_size("tree_size", size, latest));
        }
        if !(1..=size).contains(&seq) {
            return Err(ServiceError::validation(format!(
                "seq must be between 1 and tree_size ({size}); got {seq}"
            )));
        }
        let proof = self.inclusion(seq, size).await?;
        self.record_examination(
            by,
            AuditAction::AuditQuery,
            serde_json::json!({"read": "inclusion_proof", "seq": seq, "tree_size": size}),
        )
        .await?;
        Ok(proof)
    }

    async fn inclusion(&self, seq: i64, size: i64) -> Result<InclusionProof> {
        let (index, size) = (
            u64::try_from(seq - 1).unwrap_or(0),
            u64::try_from(size).unwrap_or(0),
        );
        let ranges = merkle::inclusion_ranges(index, size);
        Ok(InclusionProof {
            leaf_index: index,
            tree_size: size,
            audit_path: self.hashes_of(&ranges).await?,
        })
    }

    async fn hashes_of(&self, ranges: &[(u64, u64)]) -> Result<Vec<Hash>> {
        let tiles = self
            .core
            .store
            .audit_tiles(&merkle::tiles_for(ranges))
            .await?;
        merkle::resolve(ranges, &tiles).map_err(|m| {
            ServiceError::Internal(format!(
                "the audit tree lacks node {}/{}; run hippo audit verify",
                m.0.level, m.0.index
            ))
        })
    }

    /// The consistency proof between the trees of `first` and `second`
    /// records (RFC 9162 §2.1.4).
    pub async fn consistency_proof(
        &self,
        by: Principal<'_>,
        first: i64,
        second: i64,
    ) -> Result<Vec<Hash>> {
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        let latest = self.latest_size().await?;
        if !(1..=latest).contains(&first) {
            return Err(bad_size("first", first, latest));
        }
        if !(1..=latest).contains(&second) {
            return Err(bad_size("second", second, latest));
        }
        if first > second {
            return Err(ServiceError::validation(format!(
                "first ({first}) must not be larger than second ({second})"
            )));
        }
        let ranges = merkle::consistency_ranges(
            u64::try_from(first).unwrap_or(0),
            u64::try_from(second).unwrap_or(0),
        );
        let path = self.hashes_of(&ranges).await?;
        self.record_examination(
            by,
            AuditAction::AuditQuery,
            serde_json::json!({"read": "consistency_proof", "first": first, "second": second}),
        )
        .await?;
        Ok(path)
    }

    /// Record `seq`, its inclusion proof and a signed head covering it
    /// (signed now if none does yet): what `hippo audit prove` prints.
    pub async fn prove(&self, by: Principal<'_>, seq: i64) -> Result<RecordProof> {
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        self.sequence_now().await?;
        let size = self.core.store.audit_tree_size().await?;
        if !(1..=size).contains(&seq) {
            return Err(ServiceError::validation(format!(
                "seq must be between 1 and the number of records in the tree ({size}); got {seq}"
            )));
        }
        let mut head = self.core.store.latest_tree_head().await?;
        if head.as_ref().is_none_or(|h| h.tree_size < seq) {
            head = self.sign_tree_head(true).await?;
        }
        let head = head.ok_or_else(|| {
            ServiceError::Internal("no audit signing key: no tree head can be signed".into())
        })?;
        let record = self
            .core
            .store
            .list_audit(seq - 1, 1)
            .await?
            .into_iter()
            .next()
            .filter(|r| r.seq == seq)
            .ok_or_else(ServiceError::not_found)?;
        let inclusion = self.inclusion(seq, head.tree_size).await?;
        self.record_examination(
            by,
            AuditAction::AuditQuery,
            serde_json::json!({"read": "record_proof", "seq": seq, "tree_size": head.tree_size}),
        )
        .await?;
        Ok(RecordProof {
            record,
            inclusion,
            head,
        })
    }

    /// This server's audit public key (raw Ed25519) and key id.
    pub fn public_key(&self) -> Option<(Vec<u8>, String)> {
        self.core
            .audit_key
            .as_deref()
            .map(|k| (k.public_key(), k.key_id()))
    }
}

/// Whether `head`'s signature verifies with `public_key` (raw Ed25519).
pub fn head_signature_ok(head: &TreeHeadRow, public_key: &[u8]) -> bool {
    AuditSigningKey::verify_with(
        public_key,
        &hippo_store::chain::tree_head_message(head.tree_size, &head.root_hash, &head.timestamp),
        &head.signature,
    )
}
