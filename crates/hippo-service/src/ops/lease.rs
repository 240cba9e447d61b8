//! A worker's view of its cluster-wide job lease: renewed every `renew`,
//! held for `ttl`, so one node of a cluster runs the job and another takes
//! over once `ttl` has passed after the holder died.

use hippo_core::Timestamp;
use std::time::{Duration, Instant};

/// Whether this node leads a cluster-wide job, checked at most every
/// `renew`.
pub(crate) struct LeaderCheck {
    job: &'static str,
    renew: Duration,
    ttl: Duration,
    checked: Option<Instant>,
    leading: bool,
    /// When this node last became the leader.
    pub(crate) since: Option<Timestamp>,
}

impl LeaderCheck {
    /// The timing of the WhatsApp workers.
    pub(crate) const RENEW: Duration = Duration::from_secs(5);
    pub(crate) const TTL: Duration = Duration::from_secs(15);

    pub(crate) fn new(job: &'static str, renew: Duration, ttl: Duration) -> Self {
        Self {
            job,
            renew,
            ttl,
            checked: None,
            leading: false,
            since: None,
        }
    }

    pub(crate) async fn leading(&mut self, core: &crate::core::Core) -> bool {
        if self.checked.is_none_or(|t| t.elapsed() >= self.renew) {
            let was = self.leading;
            self.leading = core.lead(self.job, self.ttl).await;
            self.checked = Some(Instant::now());
            if self.leading != was {
                self.since = self.leading.then(|| core.clock.now());
                tracing::info!(
                    job = self.job,
                    leading = self.leading,
                    "cluster job lease changed"
                );
            }
        }
        self.leading
    }
}
