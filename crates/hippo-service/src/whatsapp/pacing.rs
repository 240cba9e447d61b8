//! Pacing for the workers: a token bucket for the send rate.

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
            // At most one token saved up: after an idle spell the next
            // send goes at once and the rest follow at the pace, so no
            // one-second window holds more than `rate` + 1 (a cap of
            // `rate` let a burst of `rate` through on top of the pace).
            self.tokens =
                (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(1.0);
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
        for rate in [1, 5, 80] {
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
