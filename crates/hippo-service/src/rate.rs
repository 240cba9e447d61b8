//! Rate limits on tokio's clock: governor's GCRA limiter, timed by
//! `tokio::time`, so a test with a paused clock (`start_paused`,
//! `tokio::time::advance`) drives it exactly as it drives the sleeps around
//! it. The WhatsApp send pacing and the WebSocket flood gate use it.

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
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
        let quota = Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        let clock = TokioClock {
            start: tokio::time::Instant::now(),
        };
        Self {
            inner: RateLimiter::direct_with_clock(quota, clock),
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
}
