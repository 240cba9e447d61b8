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
