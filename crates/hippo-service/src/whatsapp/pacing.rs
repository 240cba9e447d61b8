//! Pacing for the workers: the send rate, on governor's GCRA limiter.

use crate::rate::Limiter;

/// `rate` sends a second, evenly spaced, with one send saved up at most:
/// after an idle spell the next send goes at once and the rest follow at the
/// pace, so no one-second window ever holds more than `rate` + 1 (the Cloud
/// API counts throughput per second). A larger burst would let that many
/// through on top of the pace.
pub(super) struct TokenBucket {
    limiter: Limiter,
}

impl TokenBucket {
    pub(super) fn new(rate: u32) -> Self {
        Self {
            limiter: Limiter::per_second(rate.max(1), 1),
        }
    }

    pub(super) async fn take(&mut self) {
        self.limiter.take().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Duration, Instant};

    /// Sends in every one-second window starting at a send.
    fn busiest_second(at: &[Instant]) -> usize {
        at.iter()
            .enumerate()
            .map(|(i, start)| {
                at[i..]
                    .iter()
                    .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_rate_plus_one_even_after_idle() {
        for rate in [1, 3, 5, 80, 160] {
            let mut bucket = TokenBucket::new(rate);
            let mut at = Vec::new();
            // Busy, then idle for a minute, then busy again.
            for _ in 0..rate * 2 {
                bucket.take().await;
                at.push(Instant::now());
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
            for _ in 0..rate * 3 {
                bucket.take().await;
                at.push(Instant::now());
            }
            let limit = usize::try_from(rate).unwrap() + 1;
            assert!(
                busiest_second(&at) <= limit,
                "rate {rate}: {} in one second",
                busiest_second(&at)
            );
            // And the pace is kept: three seconds of sends take about three
            // seconds.
            let tail = &at[at.len() - usize::try_from(rate).unwrap() * 3..];
            let spent = tail[tail.len() - 1].duration_since(tail[0]);
            assert!(
                spent >= Duration::from_secs_f64(2.9 - 1.0 / f64::from(rate)),
                "{spent:?}"
            );
        }
    }
}
