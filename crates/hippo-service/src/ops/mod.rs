//! Operations: cluster-wide job leases, master key rotation, readiness,
//! monitoring figures, and records of what the operator does outside any
//! use case (backups).

mod lease;

pub(crate) use lease::LeaderCheck;

use crate::core::Core;
use crate::{Principal, Result};
use hippo_core::{AuditAction, NewAuditEvent, Outcome};
use std::sync::Arc;

/// Leases, jobs, key rotation and health (`hippo.ops()`).
#[derive(Debug, Clone)]
pub struct Ops {
    core: Arc<Core>,
}

impl Ops {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Gives up this node's job leases (a clean shutdown), so another node
    /// — or this one restarted — takes them at once.
    pub async fn release_leases(&self) {
        for job in [
            "retention",
            "scheduled_backup",
            "whatsapp_outbox",
            "whatsapp_inbox",
            crate::audit::SEQUENCER_JOB,
            crate::audit::FORWARD_JOB,
        ] {
            let released = async {
                let mut tx = self.core.store.begin_write().await?;
                tx.release_lease(job, &self.core.node_id).await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = released {
                tracing::warn!(job, error = %e, "cannot release a job lease; it expires by itself");
            }
        }
    }

    /// Whether this node runs the cluster-wide job `job` now: takes or
    /// renews its lease for `ttl`. One node of a cluster holds it at a
    /// time; if that node dies, another takes over once `ttl` has passed.
    /// A database error counts as not leading (logged).
    pub async fn lead(&self, job: &str, ttl: std::time::Duration) -> bool {
        self.core.lead(job, ttl).await
    }

    /// Replaces the master key (the operator, through `hippo keys
    /// rotate`): every data key is rewrapped; recorded as `key.rotate`.
    pub async fn rotate_master_key(&self, new: hippo_crypto::MasterKey) -> Result<usize> {
        let event = NewAuditEvent::new(
            self.core.clock.now(),
            AuditAction::KeyRotate,
            Outcome::Success,
        )
        .actor(Some(&crate::principal::operator_id()), None)
        .detail(crate::principal::operator_detail(
            serde_json::json!({ "key": "master" }),
        ));
        self.core
            .keys
            .rotate(self.core.store.as_ref(), new, event)
            .await
    }

    /// Records something `by` did outside any use case (the operator's
    /// backups and restores); the operator's record carries `"via": "cli"`.
    pub async fn record(
        &self,
        by: Principal<'_>,
        action: AuditAction,
        outcome: Outcome,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.core
            .audit_alone(
                by.event(self.core.clock.now(), action, outcome)
                    .detail(by.with_via(detail)),
            )
            .await
    }

    /// Readiness: the store answers.
    pub async fn ready(&self) -> Result<()> {
        Ok(self.core.store.ping().await?)
    }

    /// What `/metrics` reports beyond this process's counters: the
    /// newest record of each of [`MONITORED_ACTIONS`], the last signed
    /// checkpoint, the webhook backlog (shared by the cluster), the audit
    /// records not yet sequenced, and this process's connection pool.
    pub async fn figures(&self) -> Result<Figures> {
        let actions: Vec<&str> = MONITORED_ACTIONS.iter().map(|a| a.as_str()).collect();
        let store = self.core.store.ops_figures(&actions).await?;
        let pending = self.core.store.pending_audit().await?;
        Ok(Figures {
            store,
            audit_pending: pending.count,
            audit_pending_oldest: pending.oldest,
            pool: self.core.store.pool_stats(),
            now: self.core.clock.now(),
        })
    }
}

/// Audit actions whose newest record `/metrics` shows (when the last
/// backup, verification, restore or key rotation happened, and whether it
/// worked). Rare actions only: each is an index lookup per scrape.
pub const MONITORED_ACTIONS: &[AuditAction] = &[
    AuditAction::BackupCreate,
    AuditAction::BackupVerify,
    AuditAction::BackupRestore,
    AuditAction::BackupDrill,
    AuditAction::AuditVerify,
    AuditAction::KeyRotate,
];

/// See [`Ops::figures`].
#[derive(Debug, Clone)]
pub struct Figures {
    pub store: hippo_store::OpsFigures,
    pub audit_pending: i64,
    pub audit_pending_oldest: Option<hippo_core::Timestamp>,
    pub pool: hippo_store::PoolStats,
    /// The service clock when read (ages are measured against it).
    pub now: hippo_core::Timestamp,
}
