//! Forwarding the whole audit trail to a SIEM: the records after the
//! persisted position, oldest first, and the position moved once they are
//! written. A restart, or an unreachable collector, loses nothing: the
//! next round resumes where the last write stopped (a record may be sent
//! twice after a crash; its `seq` tells a SIEM it has it already). One node
//! of a cluster forwards at a time (the `syslog_trail` lease).

use super::*;

/// Where the trail forwarder stands: the last `seq` written to the
/// collector.
const META_POSITION: &str = "syslog_trail_seq";
/// The lease of the trail forwarder.
pub const FORWARD_JOB: &str = "syslog_trail";

impl Audit {
    /// Up to `limit` sequenced records after the forwarded position (the
    /// sequencer adds new ones every 200 ms).
    pub async fn records_to_forward(&self, limit: i64) -> Result<Vec<AuditRecord>> {
        let after = match self.core.store.get_meta(META_POSITION).await? {
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| ServiceError::Internal(format!("{META_POSITION} is not a seq")))?,
            None => 0,
        };
        Ok(self.core.store.list_audit(after, limit).await?)
    }

    /// Records that the collector has every record through `seq`.
    pub async fn forwarded_through(&self, seq: i64) -> Result<()> {
        let mut tx = self.core.store.begin_write().await?;
        tx.put_meta(META_POSITION, &seq.to_string()).await?;
        Ok(tx.commit().await?)
    }

    /// Whether this node forwards the trail now (takes or renews the lease).
    pub async fn lead_forwarding(&self, ttl: std::time::Duration) -> bool {
        self.core.lead(FORWARD_JOB, ttl).await
    }
}
