//! Pacing and leadership for the workers: a token bucket for the send rate
//! and a cluster-wide lease check, renewed every few seconds.

use super::*;

/// A token bucket of one token refilled `rate` times a second: sends are
/// paced evenly, so no one-second window ever holds more than `rate` + 1
/// (the Cloud API counts throughput per second).
pub(super) struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: tokio::time::Instant,
}

impl TokenBucket {
    pub(super) fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        Self {
            rate,
            tokens: 1.0,
            last: tokio::time::Instant::now(),
        }
    }

    pub(super) async fn take(&mut self) {
        loop {
            let now = tokio::time::Instant::now();
            self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate)
                .min(self.rate);
            self.last = now;
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                return;
            }
            let wait = (1.0 - self.tokens) / self.rate;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

/// A worker's view of its cluster-wide lease, renewed every few seconds.
pub(super) struct LeaderCheck {
    job: &'static str,
    checked: Option<std::time::Instant>,
    leading: bool,
    /// When this node last became the leader.
    pub(super) since: Option<Timestamp>,
}

impl LeaderCheck {
    const RENEW: Duration = Duration::from_secs(5);
    const TTL: Duration = Duration::from_secs(15);

    pub(super) fn new(job: &'static str) -> Self {
        Self {
            job,
            checked: None,
            leading: false,
            since: None,
        }
    }

    pub(super) async fn leading(&mut self, core: &crate::core::Core) -> bool {
        if self.checked.is_none_or(|t| t.elapsed() >= Self::RENEW) {
            let was = self.leading;
            self.leading = core.lead(self.job, Self::TTL).await;
            self.checked = Some(std::time::Instant::now());
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
