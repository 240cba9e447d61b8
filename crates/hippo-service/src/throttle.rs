//! Per-source-address login throttling: after too many failed logins from
//! one address within a window, further attempts from it are refused with
//! 429 until the window passes. Account lockout (per user) is separate and
//! lives in the database; this throttle is per process by design (a cluster
//! node sees its own share of an attacker's traffic).

use hippo_core::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Cap on tracked addresses, so a flood of spoofed sources cannot grow memory.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (Timestamp, u32)>>,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` if `source` is throttled at `now`.
    pub fn check(&self, source: &str, now: Timestamp) -> Option<u64> {
        let map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (start, count) = map.get(source)?;
        let ends = start.plus(self.window);
        (now < ends && *count >= self.max_failures).then(|| ends.since(now).as_secs().max(1))
    }

    pub fn record_failure(&self, source: &str, now: Timestamp) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_TRACKED {
            let window = self.window;
            map.retain(|_, (start, _)| now < start.plus(window));
        }
        let entry = map.entry(source.to_owned()).or_insert((now, 0));
        if now >= entry.0.plus(self.window) {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_within_the_window_only() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        let now = Timestamp::from_millis(0);
        for _ in 0..3 {
            assert_eq!(t.check("10.0.0.1", now), None);
            t.record_failure("10.0.0.1", now);
        }
        assert_eq!(t.check("10.0.0.1", now), Some(60));
        assert_eq!(t.check("10.0.0.2", now), None);
        assert_eq!(t.check("10.0.0.1", now.plus(Duration::from_secs(61))), None);
    }
}
