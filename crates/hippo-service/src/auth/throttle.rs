//! Sign-in throttling: failed logins are counted per source address and
//! per (address, username) within a window; past their limits attempts
//! are refused with 429 until the window passes (`Auth::login` decides
//! which count applies to whom). The counts live in the database
//! (`login_failures`), so every node of a cluster sees the same ones.
//! Account lockout (per user) is separate, also in the database.

use super::Auth;
use hippo_core::Timestamp;
use std::time::Duration;

/// The throttle's policy.
#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
        }
    }

    /// `Some(seconds to wait)` if a window that started at `start` with
    /// `count` failures throttles at `now`.
    pub fn wait(&self, start: Timestamp, count: i64, now: Timestamp) -> Option<u64> {
        let ends = start.plus(self.window);
        (now < ends && count >= i64::from(self.max_failures))
            .then(|| ends.since(now).as_secs().max(1))
    }
}

impl Auth {
    /// `Some(seconds to wait)` if `source` is throttled at `now`. A store
    /// error does not throttle (logged): account lockout still protects.
    pub(crate) async fn throttled(
        &self,
        source: &str,
        policy: LoginThrottle,
        now: Timestamp,
    ) -> Option<u64> {
        match self.core.store.login_failures(source).await {
            Ok(Some((start, count))) => policy.wait(start, count, now),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the sign-in throttle");
                None
            }
        }
    }

    /// Counts a failed sign-in from `source` (logged if it cannot).
    pub(crate) async fn note_failed_source(&self, source: &str, now: Timestamp) {
        let expired_before = now.minus(self.core.throttle.window);
        let noted = async {
            let mut tx = self.core.store.begin_write().await?;
            tx.record_login_failure(source, now, expired_before).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = noted {
            tracing::warn!(error = %e, "cannot count a failed sign-in for the throttle");
        }
    }

    /// Forgets throttle windows that have passed.
    pub(crate) async fn prune_login_failures(&self, now: Timestamp) -> crate::Result<()> {
        let mut tx = self.core.store.begin_write().await?;
        tx.prune_login_failures(now.minus(self.core.throttle.window))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_within_the_window_only() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        let start = Timestamp::from_millis(0);
        assert_eq!(t.wait(start, 2, start), None);
        assert_eq!(t.wait(start, 3, start), Some(60));
        assert_eq!(
            t.wait(start, 3, start.plus(Duration::from_secs(30))),
            Some(30)
        );
        assert_eq!(t.wait(start, 9, start.plus(Duration::from_secs(61))), None);
    }
}
