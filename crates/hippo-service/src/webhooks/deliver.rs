//! The delivery worker: every node runs one. It claims due deliveries
//! (each the oldest pending one of its endpoint and conversation, under a
//! lease, so a cluster delivers each once and in order), signs and posts
//! them, and settles each attempt. A crash mid-attempt leaves the lease to
//! run out and the delivery is attempted again: receivers deduplicate by
//! `webhook-id`, the same on every attempt.
//!
//! A task that settles a delivery (delivered or dead) leases the next one
//! of the same conversation in that transaction and goes on with it, so a
//! busy conversation flows without waiting for the next claim.
//!
//! Retry schedule (the Standard Webhooks recommendation): after the first
//! attempt fails, again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h
//! (27 h 35 min in all), each ±10 %; then the delivery is dead.

use super::{Webhooks, secret_aad, transport};
use crate::Result;
use hippo_core::WebhookId;
use hippo_store::{DeliveryState, WebhookAttemptRow, WebhookDeliveryRow};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Waits after failed attempt 1, 2, 3…; past the end the delivery dies.
const RETRY_AFTER: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];
/// Deliveries in flight per node.
const IN_FLIGHT: usize = 64;
/// How long a claim holds a delivery: twice an attempt's time-out and
/// some; a node that dies mid-attempt delays that delivery by this much.
fn lease(timeout: Duration) -> Duration {
    timeout * 2 + Duration::from_secs(5)
}
/// How often to look for due deliveries when nothing wakes the worker.
const POLL: Duration = Duration::from_millis(250);

/// The wait before the next attempt, or `None` when retries ran out.
/// `attempts` counts this round's attempts so far (1 after the first).
pub(super) fn retry_after(attempts: i64, seed: i64) -> Option<Duration> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let base = *RETRY_AFTER.get(index)?;
    // ±10 % spread from the delivery's seq: not secret, just apart.
    let spread = u32::try_from(seed.rem_euclid(21)).unwrap_or(10);
    Some(base.mul_f64(0.9 + f64::from(spread) / 100.0))
}

/// An endpoint as the worker needs it.
struct Target {
    url: String,
    key: Zeroizing<Vec<u8>>,
}

/// Endpoints by id (an endpoint's url and secret never change; a deleted
/// one's deliveries are dead and never claimed).
#[derive(Default)]
struct Targets(Mutex<HashMap<WebhookId, Arc<Target>>>);

impl Webhooks {
    /// Delivers until `shutdown` resolves.
    pub async fn run_deliveries(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let client = match transport::client(&self.core.config.webhooks, &self.policy) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhooks: no HTTP client; deliveries stop");
                return;
            }
        };
        let targets = Arc::new(Targets::default());
        let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        loop {
            let free = permits.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                match self.claim(free).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhooks: could not claim deliveries");
                        Vec::new()
                    }
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = self.core.events.webhooks_woken() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
                continue;
            }
            for delivery in claimed {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let this = self.clone();
                let client = client.clone();
                let targets = targets.clone();
                tokio::spawn(async move {
                    // A delivered (or dead) one hands its conversation's
                    // next delivery straight to this task.
                    let mut next = Some(delivery);
                    while let Some(d) = next {
                        next = this.attempt(&client, &targets, d).await;
                    }
                    drop(permit);
                    // The next of its conversation may be due now.
                    this.core.events.wake_webhooks();
                });
            }
        }
    }

    async fn claim(&self, limit: usize) -> Result<Vec<WebhookDeliveryRow>> {
        let now = self.core.clock.now();
        if !self.core.store.webhook_delivery_due(now).await? {
            return Ok(Vec::new());
        }
        let mut tx = self.core.store.begin_write().await?;
        let claimed = tx
            .claim_webhook_deliveries(
                now,
                now.plus(lease(self.core.config.webhooks.timeout)),
                i64::try_from(limit).unwrap_or(1),
            )
            .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn target(&self, targets: &Targets, id: &WebhookId) -> Result<Arc<Target>> {
        if let Some(t) = targets
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
        {
            return Ok(t.clone());
        }
        let row = self
            .core
            .store
            .get_webhook_endpoint(id)
            .await?
            .ok_or_else(|| {
                crate::ServiceError::Internal("delivery of a missing endpoint".into())
            })?;
        let secret = self
            .core
            .keys
            .open_directory_bytes(&secret_aad(id), &row.secret_enc)?;
        let text = std::str::from_utf8(&secret)
            .map_err(|_| crate::ServiceError::Internal("webhook secret is not text".into()))?;
        let key = hippo_crypto::webhook::secret_bytes(text)
            .ok_or_else(|| crate::ServiceError::Internal("webhook secret malformed".into()))?;
        let target = Arc::new(Target { url: row.url, key });
        targets
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.clone(), target.clone());
        Ok(target)
    }

    /// One attempt: post, then record how it went; returns the next
    /// delivery of the same line when this one settled and that one is due
    /// (leased in the same transaction).
    async fn attempt(
        &self,
        client: &reqwest::Client,
        targets: &Targets,
        delivery: WebhookDeliveryRow,
    ) -> Option<WebhookDeliveryRow> {
        let started = Instant::now();
        let outcome = match self.target(targets, &delivery.webhook_id).await {
            Ok(target) => self.post(client, &target, &delivery).await,
            Err(e) => {
                tracing::error!(webhook = %delivery.webhook_id, error = %e, "webhooks: cannot prepare a delivery");
                Err("hippo could not prepare the delivery".to_owned())
            }
        };
        let at = self.core.clock.now();
        let (status, error) = match outcome {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (Some(status), Some(format!("status {status}"))),
            Err(why) => (None, Some(why)),
        };
        let round = delivery.attempts - delivery.attempts_before;
        let (state, next) = if error.is_none() {
            self.stats.delivered.fetch_add(1, Ordering::Relaxed);
            (DeliveryState::Delivered, at)
        } else {
            self.stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
            match retry_after(round, delivery.seq) {
                Some(wait) => (DeliveryState::Pending, at.plus(wait)),
                None => {
                    self.stats.dead.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(webhook = %delivery.webhook_id, event = %delivery.event_id, attempts = delivery.attempts, "webhooks: delivery dead after its last retry");
                    (DeliveryState::Dead, at)
                }
            }
        };
        let attempt = WebhookAttemptRow {
            delivery_seq: delivery.seq,
            attempt: delivery.attempts,
            at,
            status,
            error,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        let settled = async {
            let mut tx = self.core.store.begin_write().await?;
            tx.finish_webhook_attempt(&attempt, state, next).await?;
            let following = if state == DeliveryState::Pending {
                None // the line waits for this one's retry
            } else {
                let now = self.core.clock.now();
                tx.claim_next_in_line(
                    &delivery.webhook_id,
                    &delivery.ordering_key,
                    now,
                    now.plus(lease(self.core.config.webhooks.timeout)),
                )
                .await?
            };
            tx.commit().await?;
            Ok::<_, crate::ServiceError>(following)
        }
        .await;
        match settled {
            Ok(following) => following,
            Err(e) => {
                // The lease runs out and the delivery is attempted again.
                tracing::warn!(webhook = %delivery.webhook_id, error = %e, "webhooks: could not record an attempt");
                None
            }
        }
    }

    /// Posts a delivery; the receiver's status, or why there was none.
    async fn post(
        &self,
        client: &reqwest::Client,
        target: &Target,
        d: &WebhookDeliveryRow,
    ) -> std::result::Result<i64, String> {
        if !transport::literal_host_ok(&self.policy, &target.url) {
            return Err("address refused by policy".into());
        }
        let timestamp = self.core.clock.now().as_millis().div_euclid(1000);
        let signature =
            hippo_crypto::webhook::sign(&target.key, &d.event_id, timestamp, d.payload.as_bytes());
        let sent = client
            .post(&target.url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.payload.clone())
            .send()
            .await;
        match sent {
            Ok(response) => Ok(i64::from(response.status().as_u16())),
            Err(e) if e.is_timeout() => Err("timeout".into()),
            Err(e) if e.is_connect() => Err("could not connect".into()),
            Err(e) if e.is_redirect() => Err("redirect refused".into()),
            Err(_) => Err("request failed".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_span_more_than_a_day_then_stop() {
        let total: Duration = (1..=7).map(|n| retry_after(n, 10).unwrap()).sum();
        assert!(total > Duration::from_secs(24 * 3600), "{total:?}");
        assert_eq!(retry_after(1, 10), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(8, 10), None);
        assert_eq!(retry_after(0, 10), None);
        let spread = retry_after(2, 0).unwrap();
        assert!(spread >= Duration::from_secs(270) && spread <= Duration::from_secs(330));
    }
}
