//! The outbox: what operators see and retry, and the worker that claims
//! due jobs, sends them at the configured rate and records the answers.

use super::pacing::TokenBucket;
use super::*;
use crate::ops::LeaderCheck;

/// Exponential backoff with ±50 % jitter, capped.
pub(super) fn backoff(attempts: i64, cap: Duration, seed: &str) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let base_ms = 1000u64.saturating_mul(1u64 << exp.min(20));
    let capped = base_ms.min(u64::try_from(cap.as_millis()).unwrap_or(u64::MAX));
    // Jitter from the job id and attempt: spread, not secret.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes().chain(attempts.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let factor = 500 + (h % 1001); // 0.5 .. 1.5
    Duration::from_millis(capped.saturating_mul(factor) / 1000)
}

impl Whatsapp {
    /// Outbox jobs in `state` (operators; no content shown).
    pub async fn list_outbox(&self, actor: &Actor, state: &str) -> Result<Vec<OutboxView>> {
        self.require_channel_admin(actor, AuditAction::WhatsappRetry)
            .await?;
        let state = OutboxState::parse(state).ok_or_else(|| {
            ServiceError::validation("state must be pending, sending, done or dead")
        })?;
        let jobs = self.core.store.list_outbox(state, 500).await?;
        // Which patients were messaged is itself about patients: recorded.
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::PatientRead,
                        Outcome::Success,
                    )
                    .detail(serde_json::json!({
                        "outbox": state.as_str(),
                        "listed": jobs.len(),
                    })),
            )
            .await?;
        Ok(jobs
            .into_iter()
            .map(|j| OutboxView {
                message_id: j.message_id,
                patient_id: j.patient_id,
                state: j.state,
                attempts: j.attempts,
                next_attempt_at: j.next_attempt_at,
                last_error_code: j.last_error_code,
                last_error_title: j.last_error_title,
                created_at: j.created_at,
                updated_at: j.updated_at,
            })
            .collect())
    }

    /// Sends a dead job again.
    pub async fn retry_outbox(&self, actor: &Actor, message_id: &str) -> Result<()> {
        let channel = self.channel()?.clone();
        self.require_channel_admin(actor, AuditAction::WhatsappRetry)
            .await?;
        let id = MessageId::parse(message_id).ok_or_else(ServiceError::not_found)?;
        let job = self
            .core
            .store
            .get_outbox_job(&id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        if !tx.outbox_requeue(&id, now).await? {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "only dead jobs can be retried",
            ));
        }
        tx.set_whatsapp_delivery(
            &id,
            ChannelState::Failed,
            &WhatsappDelivery {
                state: ChannelState::Queued,
                updated_at: now,
                error_code: None,
                error_title: None,
                wamid: None,
            },
        )
        .await?;
        let mut ev = actor
            .event(now, AuditAction::WhatsappRetry, Outcome::Success)
            .resource("message", id.as_str());
        ev.patient_id = Some(job.patient_id.to_string());
        tx.append_audit(&ev).await?;
        tx.commit().await?;
        channel.outbox_wake.notify_one();
        self.publish_message_update(&id).await;
        Ok(())
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        Ok(self.core.store.outbox_counts().await?)
    }

    /// Sends outbox jobs until `shutdown` resolves.
    pub async fn run_outbox(self, shutdown: impl std::future::Future<Output = ()>) {
        let Some(channel) = self.core.whatsapp.clone() else {
            return;
        };
        tokio::pin!(shutdown);
        let mut bucket = TokenBucket::new(channel.config.rate);
        let inflight = Arc::new(tokio::sync::Semaphore::new(64));
        let batch = i64::from(channel.config.rate.clamp(1, 100));
        let mut leader = LeaderCheck::new("whatsapp_outbox", LeaderCheck::RENEW, LeaderCheck::TTL);
        loop {
            // One sender per cluster: the send rate is the cluster's.
            if !leader.leading(&self.core).await {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
            let since = leader.since.unwrap_or_else(|| self.core.clock.now());
            let claimed = match self.claim_jobs(&channel, batch, since).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: could not claim jobs");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = channel.outbox_wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
                continue;
            }
            for job in claimed {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = bucket.take() => {}
                }
                let Ok(permit) = inflight.clone().acquire_owned().await else {
                    return;
                };
                let hippo = self.clone();
                let channel = channel.clone();
                tokio::spawn(async move {
                    hippo.send_job(&channel, job).await;
                    drop(permit);
                });
            }
        }
    }

    /// Claims due jobs. Jobs left `sending` are in doubt only once
    /// `in_doubt_after` has passed since they were claimed *and* since this
    /// node took the lease (`leading_since`): the webhook processor, which
    /// takes over at the same moment, gets that long to reconcile them.
    pub(super) async fn claim_jobs(
        &self,
        channel: &WhatsappChannel,
        limit: i64,
        leading_since: Timestamp,
    ) -> Result<Vec<OutboxJob>> {
        let now = self.core.clock.now();
        let in_doubt = u64::try_from(channel.config.in_doubt_after.as_millis()).unwrap_or(u64::MAX);
        let cutoff = now
            .as_millis()
            .saturating_sub(i64::try_from(in_doubt).unwrap_or(i64::MAX));
        let before = if leading_since.as_millis() <= cutoff {
            Timestamp::from_millis(cutoff)
        } else {
            Timestamp::from_millis(i64::MIN)
        };
        let mut tx = self.core.store.begin_write().await?;
        let jobs = tx.claim_outbox(now, before, limit).await?;
        tx.commit().await?;
        Ok(jobs)
    }

    pub(super) async fn job_request(&self, job: &OutboxJob) -> Result<OutboundMessage> {
        let patient = self
            .core
            .store
            .get_patient(&job.patient_id)
            .await?
            .ok_or_else(|| ServiceError::Internal("outbox job for a missing patient".into()))?;
        let conv = self
            .core
            .store
            .get_conversation(&job.conversation_id)
            .await?
            .ok_or_else(|| {
                ServiceError::Internal("outbox job for a missing conversation".into())
            })?;
        let key = self.core.conversation_key(&conv).await?;
        let raw = key.open(&payload_aad(&job.message_id), &job.payload_enc)?;
        let payload: Payload = serde_json::from_slice(&raw)
            .map_err(|e| ServiceError::Internal(format!("outbox payload: {e}")))?;
        let phone = self.patients.patient_view(&patient, Vec::new())?.phone;
        let callback_data = Some(job.message_id.to_string());
        Ok(match payload {
            Payload::Text { body } => OutboundMessage::Text {
                to: phone.as_str().to_owned(),
                body,
                callback_data,
            },
            Payload::Template(t) => OutboundMessage::Template {
                to: phone.as_str().to_owned(),
                name: t.name,
                language: t.language,
                body_parameters: t.parameters,
                callback_data,
            },
        })
    }

    pub(super) async fn send_job(&self, channel: &WhatsappChannel, job: OutboxJob) {
        let request = match self.job_request(&job).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(message = %job.message_id, error = %e, "outbox: cannot build the request");
                if let Err(e) = self
                    .job_failed(&job, None, "hippo could not prepare the message")
                    .await
                {
                    tracing::warn!(error = %e, "outbox: could not record a failure");
                }
                return;
            }
        };
        let outcome = channel.api.send(&request).await;
        let result = match outcome {
            Ok(accepted) => {
                channel.stats.accepted.fetch_add(1, Ordering::Relaxed);
                self.job_accepted(&job, &accepted.wamid).await
            }
            Err(e) => {
                tracing::warn!(message = %job.message_id, code = ?e.code, title = %e.title, attempt = job.attempts, "WhatsApp send failed");
                let retry = matches!(e.class, ErrorClass::Retryable | ErrorClass::Auth)
                    && job.attempts < channel.config.max_attempts;
                if retry {
                    channel.stats.retried.fetch_add(1, Ordering::Relaxed);
                    let wait = backoff(
                        job.attempts,
                        channel.config.max_backoff,
                        job.message_id.as_str(),
                    );
                    let next = Timestamp::from_millis(
                        self.core.clock.now().as_millis()
                            + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2),
                    );
                    async {
                        let mut tx = self.core.store.begin_write().await?;
                        tx.outbox_retry_later(
                            &job.message_id,
                            next,
                            e.code,
                            &short(&e.title),
                            self.core.clock.now(),
                        )
                        .await?;
                        tx.commit().await?;
                        Ok::<_, ServiceError>(())
                    }
                    .await
                } else {
                    channel.stats.failed.fetch_add(1, Ordering::Relaxed);
                    self.job_failed(&job, e.code, &e.title).await
                }
            }
        };
        if let Err(e) = result {
            // The job stays `sending`: it is in doubt and will be reconciled
            // by a webhook or resent after `in_doubt_after`.
            tracing::warn!(message = %job.message_id, error = %e, "outbox: could not record the outcome");
        }
    }

    pub(super) async fn job_accepted(&self, job: &OutboxJob, wamid: &str) -> Result<()> {
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        if tx.outbox_accepted(&job.message_id, wamid, now).await? {
            tx.append_audit(
                &self
                    .patient_event(
                        Principal::System("whatsapp_outbox"),
                        AuditAction::WhatsappSend,
                        Outcome::Success,
                        &job.patient_id,
                    )
                    .resource("message", job.message_id.as_str())
                    .detail(serde_json::json!({
                        "stage": "accepted",
                        "wamid": wamid,
                        "attempts": job.attempts,
                    })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn job_failed(
        &self,
        job: &OutboxJob,
        code: Option<i64>,
        title: &str,
    ) -> Result<()> {
        let now = self.core.clock.now();
        let title = short(title);
        let mut tx = self.core.store.begin_write().await?;
        tx.outbox_dead(&job.message_id, code, &title, now).await?;
        let failed = WhatsappDelivery {
            state: ChannelState::Failed,
            updated_at: now,
            error_code: code,
            error_title: Some(title.clone()),
            wamid: None,
        };
        let moved = tx
            .set_whatsapp_delivery(&job.message_id, ChannelState::Queued, &failed)
            .await?;
        if moved {
            crate::webhooks::enqueue(
                &mut tx,
                &crate::webhooks::Outgoing::WhatsappStatus {
                    conversation_id: &job.conversation_id,
                    message_id: &job.message_id,
                    patient_id: &job.patient_id,
                    state: ChannelState::Failed.as_str(),
                    error_code: code,
                },
                now,
            )
            .await?;
        }
        tx.append_audit(
            &self
                .patient_event(
                    Principal::System("whatsapp_outbox"),
                    AuditAction::WhatsappSend,
                    Outcome::Failure,
                    &job.patient_id,
                )
                .resource("message", job.message_id.as_str())
                .detail(serde_json::json!({
                    "stage": "failed",
                    "error_code": code,
                    "attempts": job.attempts,
                })),
        )
        .await?;
        tx.commit().await?;
        if moved {
            self.publish_message_update(&job.message_id).await;
        }
        Ok(())
    }
}
