//! The request-body deadline: a body must keep arriving at a minimum
//! average rate after a grace period, or reading it fails and the
//! connection ends.
//!
//! Per-frame timeouts (tower-http's `TimeoutBody`) never trip on a client
//! that sends one byte a second; a whole-body deadline would cut off a
//! large upload on a slow link. A minimum rate (Kestrel's rule) does
//! both: after `grace`, the body must have delivered `min_rate` bytes for
//! every second since, so the deadline moves forward as bytes arrive.

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The rule: `grace`, then at least `min_rate` bytes per second.
#[derive(Debug, Clone, Copy)]
pub struct BodyRate {
    pub grace: Duration,
    pub min_rate: u32,
}

/// Why a body read failed: it came too slowly.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
pub struct TooSlow;

/// A request body held to a [`BodyRate`].
pub struct DeadlineBody {
    inner: Body,
    rule: BodyRate,
    start: Instant,
    received: u64,
    /// Created the first time the body is not ready.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    pub fn new(inner: Body, rule: BodyRate) -> Self {
        Self {
            inner,
            rule,
            start: Instant::now(),
            received: 0,
            sleep: None,
        }
    }

    fn deadline(&self) -> Instant {
        let rate = u64::from(self.rule.min_rate.max(1));
        self.start + self.rule.grace + Duration::from_millis(self.received * 1000 / rate)
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.received += data.len() as u64;
                    let deadline = self.deadline();
                    if let Some(sleep) = self.sleep.as_mut() {
                        sleep.as_mut().reset(deadline);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                let deadline = self.deadline();
                let sleep = self
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.as_mut().poll(cx).is_ready() {
                    tracing::debug!("request body too slow; giving up on it");
                    return Poll::Ready(Some(Err(axum::Error::new(TooSlow))));
                }
                Poll::Pending
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn trickle(bytes: usize, every: Duration) -> Body {
        let stream = futures_util::stream::iter(0..bytes).then(move |_| async move {
            tokio::time::sleep(every).await;
            Ok::<_, std::io::Error>(Bytes::from_static(b"x"))
        });
        Body::from_stream(stream)
    }

    async fn read(body: DeadlineBody) -> Result<usize, axum::Error> {
        let bytes = axum::body::to_bytes(Body::new(body), usize::MAX).await?;
        Ok(bytes.len())
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_trickling_a_byte_a_second_fails_after_the_grace() {
        let rule = BodyRate {
            grace: Duration::from_secs(10),
            min_rate: 1024,
        };
        let started = Instant::now();
        let result = read(DeadlineBody::new(
            trickle(200, Duration::from_secs(1)),
            rule,
        ))
        .await;
        assert!(result.is_err(), "a 1 B/s body must fail");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(10) && took < Duration::from_secs(12),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_at_the_minimum_rate_or_faster_is_read_whole() {
        let rule = BodyRate {
            grace: Duration::from_secs(10),
            min_rate: 10,
        };
        // 100 bytes, one every 50 ms: 20 B/s, twice the minimum, 5 s in all.
        let body = trickle(100, Duration::from_millis(50));
        assert_eq!(read(DeadlineBody::new(body, rule)).await.unwrap(), 100);
        // A slow start inside the grace is fine too.
        let late = Body::from_stream(futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_secs(9)).await;
            Ok::<_, std::io::Error>(Bytes::from_static(b"late but whole"))
        }));
        assert_eq!(read(DeadlineBody::new(late, rule)).await.unwrap(), 14);
    }
}
