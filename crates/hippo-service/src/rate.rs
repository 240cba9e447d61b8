//! Rate limits on tokio's clock: governor's GCRA limiter, timed by
//! `tokio::time`, so a test with a paused clock (`start_paused`,
//! `tokio::time::advance`) drives it exactly as it drives the sleeps around
//! it. The WhatsApp send pacing, the WebSocket flood gate and the
//! per-address gate on unauthenticated requests use it.

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;

/// governor's clock over `tokio::time::Instant`: nanoseconds since the
/// limiter was made (governor's own clocks read the system's, which a
/// paused tokio clock does not move).
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start: tokio::time::Instant,
}

impl Clock for TokioClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.start.elapsed())
    }
}

impl TokioClock {
    /// A clock starting now.
    fn starting_now() -> Self {
        Self {
            start: tokio::time::Instant::now(),
        }
    }
}

/// `per_second` cells a second with up to `burst` saved up, each at least 1.
fn quota(per_second: u32, burst: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// A direct (un-keyed) limiter on [`TokioClock`].
pub struct Limiter {
    inner: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").finish_non_exhaustive()
    }
}

impl Limiter {
    /// `per_second` cells a second, evenly spaced, with up to `burst` saved
    /// up after an idle spell (both at least 1). A burst of 1 keeps any
    /// one-second window to at most `per_second` + 1 cells.
    pub fn per_second(per_second: u32, burst: u32) -> Self {
        Self {
            inner: RateLimiter::direct_with_clock(
                quota(per_second, burst),
                TokioClock::starting_now(),
            ),
        }
    }

    /// Takes one cell if one is there now.
    pub fn try_take(&self) -> bool {
        self.inner.check().is_ok()
    }

    /// Waits (on tokio's clock) until a cell is there, and takes it.
    /// governor's own `until_ready` sleeps on a wall-clock timer, which a
    /// paused test clock would not advance.
    pub async fn take(&self) {
        while let Err(not_until) = self.inner.check() {
            let wait = not_until.wait_time_from(self.inner.clock().now());
            tokio::time::sleep(wait).await;
        }
    }
}

/// A limiter per key (a client's address, say) on [`TokioClock`]: each key
/// has its own `per_second` rate and `burst`. Keys whose state is back to
/// fresh are forgotten every [`KeyedLimiter::SWEEP_EVERY`] checks, so the
/// map holds only keys seen within about one burst's time.
pub struct KeyedLimiter<K: std::hash::Hash + Eq + Clone> {
    inner: RateLimiter<K, HashMapStateStore<K>, TokioClock, NoOpMiddleware<Nanos>>,
    checks: std::sync::atomic::AtomicU32,
}

impl<K: std::hash::Hash + Eq + Clone> std::fmt::Debug for KeyedLimiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimiter").finish_non_exhaustive()
    }
}

impl<K: std::hash::Hash + Eq + Clone> KeyedLimiter<K> {
    /// Checks between two sweeps of forgotten keys.
    pub const SWEEP_EVERY: u32 = 4096;

    /// `per_second` cells a second per key, up to `burst` saved up (both at
    /// least 1).
    pub fn per_second(per_second: u32, burst: u32) -> Self {
        Self {
            inner: RateLimiter::hashmap_with_clock(
                quota(per_second, burst),
                TokioClock::starting_now(),
            ),
            checks: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Takes one of `key`'s cells, or says how long until one is there.
    pub fn try_take(&self, key: &K) -> Result<(), std::time::Duration> {
        use std::sync::atomic::Ordering;
        if self.checks.fetch_add(1, Ordering::Relaxed) % Self::SWEEP_EVERY == Self::SWEEP_EVERY - 1
        {
            self.inner.retain_recent();
            self.inner.shrink_to_fit();
        }
        self.inner
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.inner.clock().now()))
    }

    /// Keys remembered now (for tests and metrics).
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// No key is remembered.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_spent_then_cells_come_back_at_the_rate() {
        let gate = Limiter::per_second(20, 40);
        assert_eq!((0..100).filter(|_| gate.try_take()).count(), 40);
        assert!(!gate.try_take());
        // One cell every 50 ms, and none sooner.
        tokio::time::advance(Duration::from_millis(49)).await;
        assert!(!gate.try_take());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(gate.try_take());
        assert!(!gate.try_take());
        // A long idle spell saves up the burst again, no more.
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!((0..100).filter(|_| gate.try_take()).count(), 40);
    }

    #[tokio::test(start_paused = true)]
    async fn take_waits_on_the_tokio_clock() {
        let pace = Limiter::per_second(4, 1);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            pace.take().await;
        }
        // The first at once, then one every 250 ms.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn each_key_has_its_own_cells_and_fresh_keys_are_forgotten() {
        let gate = KeyedLimiter::<u32>::per_second(2, 3);
        assert_eq!((0..10).filter(|_| gate.try_take(&1).is_ok()).count(), 3);
        // Another key is not held back by the first.
        assert!(gate.try_take(&2).is_ok());
        // The wait is until the next cell: 500 ms at 2 a second.
        assert_eq!(gate.try_take(&1), Err(Duration::from_millis(500)));
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(gate.try_take(&1).is_ok());
        // Long idle: a sweep forgets both keys, and they start fresh.
        tokio::time::advance(Duration::from_secs(60)).await;
        for i in 0..KeyedLimiter::<u32>::SWEEP_EVERY {
            let _ = gate.try_take(&(1000 + i % 2));
        }
        assert!(gate.len() <= 2, "{} keys kept", gate.len());
        assert_eq!((0..10).filter(|_| gate.try_take(&1).is_ok()).count(), 3);
    }
}
