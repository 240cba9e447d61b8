//! Webhooks: the verification handshake, accepting deliveries into the
//! sealed inbox, and the worker that applies statuses and patient replies.

use super::*;
use crate::ops::LeaderCheck;

pub(super) fn delivery_state(status: &DeliveryStatus) -> Option<ChannelState> {
    match status {
        DeliveryStatus::Sent => Some(ChannelState::Sent),
        DeliveryStatus::Delivered => Some(ChannelState::Delivered),
        DeliveryStatus::Read | DeliveryStatus::Played => Some(ChannelState::Read),
        DeliveryStatus::Failed => Some(ChannelState::Failed),
        DeliveryStatus::Other(_) => None,
    }
}

pub(super) fn status_name(status: &DeliveryStatus) -> &str {
    match status {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Read => "read",
        DeliveryStatus::Played => "played",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Other(s) => s.as_str(),
    }
}

impl Whatsapp {
    /// Meta's verification handshake: the challenge when the token matches.
    pub fn handshake(
        &self,
        mode: Option<&str>,
        token: Option<&str>,
        challenge: Option<&str>,
    ) -> Result<String> {
        let channel = self.channel()?;
        let expected = channel.config.verify_token.as_bytes();
        let ok = mode == Some("subscribe")
            && !expected.is_empty()
            && token.is_some_and(|t| hippo_crypto::constant_time_eq(t.as_bytes(), expected));
        match challenge {
            Some(c)
                if ok
                    && !c.is_empty()
                    && c.len() <= 256
                    && c.chars().all(|ch| ch.is_ascii_graphic()) =>
            {
                Ok(c.to_owned())
            }
            _ => Err(ServiceError::public(
                ErrorCode::Forbidden,
                "verification failed",
            )),
        }
    }

    /// Takes one webhook delivery: checks its signature over the raw bytes,
    /// stores it (sealed) and returns once it is durable.
    pub async fn accept_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        meta: &hippo_core::RequestMeta,
    ) -> Result<()> {
        let channel = self.channel()?.clone();
        if !hippo_whatsapp::verify_signature(&channel.config.app_secret, signature, body) {
            channel
                .stats
                .webhooks_rejected
                .fetch_add(1, Ordering::Relaxed);
            self.core
                .audit_alone(
                    NewAuditEvent::new(
                        self.core.clock.now(),
                        AuditAction::WhatsappWebhook,
                        Outcome::Denied,
                    )
                    .meta(meta)
                    .detail(serde_json::json!({
                        "reason": "invalid_signature",
                        "signature_present": signature.is_some(),
                        "size": body.len(),
                    })),
                )
                .await?;
            return Err(ServiceError::public(
                ErrorCode::InvalidSignature,
                "X-Hub-Signature-256 does not match the body",
            ));
        }
        let id = MessageId::generate().to_string();
        let now = self.core.clock.now();
        let sealed = self
            .core
            .keys
            .seal_directory_bytes(&webhook_aad(&id), body)?;
        let mut tx = self.core.store.begin_write().await?;
        tx.insert_webhook(&WebhookRow {
            id,
            received_at: now,
            body_enc: Some(sealed),
            state: "pending".into(),
            attempts: 0,
        })
        .await?;
        tx.commit().await?;
        channel.inbox_wake.notify_one();
        Ok(())
    }

    /// Applies stored webhook deliveries until `shutdown` resolves.
    pub async fn run_inbox(self, shutdown: impl std::future::Future<Output = ()>) {
        let Some(channel) = self.core.whatsapp.clone() else {
            return;
        };
        tokio::pin!(shutdown);
        let mut leader = LeaderCheck::new("whatsapp_inbox", LeaderCheck::RENEW, LeaderCheck::TTL);
        loop {
            if !leader.leading(&self.core).await {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
            let pending = match self.core.store.list_pending_webhooks(50).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook inbox: cannot read");
                    Vec::new()
                }
            };
            let idle = pending.is_empty();
            for row in pending {
                if let Err(e) = self.process_webhook(&channel, &row).await {
                    tracing::warn!(webhook = %row.id, error = %e, "webhook inbox: processing failed; will retry");
                    let note = async {
                        let mut tx = self.core.store.begin_write().await?;
                        let attempts = tx.webhook_attempt_failed(&row.id).await?;
                        if attempts >= 20 {
                            tx.finish_webhook(
                                &row.id,
                                "rejected",
                                Some("gave up after 20 attempts"),
                                self.core.clock.now(),
                            )
                            .await?;
                        }
                        tx.commit().await?;
                        Ok::<_, ServiceError>(())
                    };
                    if let Err(e) = note.await {
                        tracing::warn!(error = %e, "webhook inbox: cannot count the failure");
                    }
                }
            }
            if idle {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = channel.inbox_wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }

    pub(super) async fn process_webhook(
        &self,
        channel: &WhatsappChannel,
        row: &WebhookRow,
    ) -> Result<()> {
        let Some(sealed) = &row.body_enc else {
            return self.finish(row, "rejected", Some("no body")).await;
        };
        let body = self
            .core
            .keys
            .open_directory_bytes(&webhook_aad(&row.id), sealed)?;
        let events =
            match hippo_whatsapp::parse_webhook(&body) {
                Ok(events) => events,
                Err(e) => {
                    self.core.audit_alone(
                    NewAuditEvent::new(
                        self.core.clock.now(),
                        AuditAction::WhatsappWebhook,
                        Outcome::Failure,
                    )
                    .detail(serde_json::json!({ "reason": "malformed", "error": e.to_string() })),
                )
                .await?;
                    return self.finish(row, "rejected", Some("malformed")).await;
                }
            };
        for event in events {
            match event {
                WebhookEvent::Status(s) => self.apply_status(channel, &s).await?,
                WebhookEvent::Inbound(m) => self.apply_inbound(channel, &m).await?,
                WebhookEvent::Error { errors, .. } => {
                    for e in &errors {
                        tracing::warn!(code = ?e.code, title = ?e.title, "WhatsApp reported an error");
                    }
                }
                WebhookEvent::TemplateStatus {
                    name,
                    language,
                    event,
                    ..
                } => {
                    tracing::info!(template = %name, %language, %event, "template status changed; sync templates to apply");
                }
                WebhookEvent::Ignored { field } => {
                    tracing::debug!(%field, "webhook change ignored");
                }
            }
        }
        self.finish(row, "done", None).await
    }

    pub(super) async fn finish(
        &self,
        row: &WebhookRow,
        state: &str,
        note: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.core.store.begin_write().await?;
        tx.finish_webhook(&row.id, state, note, self.core.clock.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn apply_status(
        &self,
        channel: &WhatsappChannel,
        s: &StatusUpdate,
    ) -> Result<()> {
        let now = self.core.clock.now();
        let status = status_name(&s.status).to_owned();
        // The message: by wamid, or by hippo's id echoed back (a send whose
        // answer was lost: this reconciles the outbox).
        let mut message = self.core.store.get_message_by_wamid(&s.wamid).await?;
        if message.is_none()
            && let Some(mid) = s.callback_data.as_deref().and_then(MessageId::parse)
            && let Some(job) = self.core.store.get_outbox_job(&mid).await?
        {
            let mut tx = self.core.store.begin_write().await?;
            if tx.outbox_accepted(&mid, &s.wamid, now).await? {
                tx.append_audit(
                    &self
                        .patient_event(
                            Principal::System("whatsapp_inbox"),
                            AuditAction::WhatsappSend,
                            Outcome::Success,
                            &job.patient_id,
                        )
                        .resource("message", mid.as_str())
                        .detail(serde_json::json!({
                            "stage": "accepted",
                            "wamid": s.wamid,
                            "reconciled": true,
                        })),
                )
                .await?;
            }
            tx.commit().await?;
            message = self.core.store.get_message(&mid).await?;
        }
        let Some(message) = message.filter(|m| m.whatsapp.is_some()) else {
            self.core.audit_alone(
                NewAuditEvent::new(now, AuditAction::WhatsappStatus, Outcome::Failure).detail(
                    serde_json::json!({ "reason": "unknown_message", "status": status, "wamid": s.wamid }),
                ),
            )
            .await?;
            return Ok(());
        };
        let patient = self
            .core
            .store
            .get_patient_by_conversation(&message.conversation_id)
            .await?;
        let patient_id = patient.as_ref().map(|p| p.id.clone());
        let reported_at = s
            .timestamp
            .map(|t| Timestamp::from_millis(t.saturating_mul(1000)));
        let mut tx = self.core.store.begin_write().await?;
        if !tx
            .record_status_event(&s.wamid, &status, reported_at, now)
            .await?
        {
            return Ok(()); // a duplicate delivery
        }
        let Some(next) = delivery_state(&s.status) else {
            tx.commit().await?;
            return Ok(());
        };
        let current = tx
            .get_message_for_update(&message.id)
            .await?
            .and_then(|m| m.whatsapp)
            .ok_or_else(|| ServiceError::Internal("message lost its channel".into()))?;
        let applied = current.state.advances_to(next);
        let error = s.errors.first();
        if applied {
            let delivery = WhatsappDelivery {
                state: next,
                updated_at: now,
                error_code: if next == ChannelState::Failed {
                    error.and_then(|e| e.code)
                } else {
                    None
                },
                error_title: if next == ChannelState::Failed {
                    error.and_then(|e| e.title.clone()).map(|t| short(&t))
                } else {
                    None
                },
                wamid: Some(s.wamid.clone()),
            };
            tx.set_whatsapp_delivery(&message.id, current.state, &delivery)
                .await?;
            if let Some(patient_id) = &patient_id {
                crate::webhooks::enqueue(
                    &mut tx,
                    &crate::webhooks::Outgoing::WhatsappStatus {
                        conversation_id: &message.conversation_id,
                        message_id: &message.id,
                        patient_id,
                        state: next.as_str(),
                        error_code: delivery.error_code,
                    },
                    now,
                )
                .await?;
            }
        }
        let mut ev = NewAuditEvent::new(now, AuditAction::WhatsappStatus, Outcome::Success)
            .resource("message", message.id.as_str())
            .detail(serde_json::json!({
                "status": status,
                "applied": applied,
                "previous": current.state.as_str(),
                "error_code": error.and_then(|e| e.code),
            }));
        ev.patient_id = patient_id.map(|p| p.to_string());
        tx.append_audit(&ev).await?;
        tx.commit().await?;
        let counter = match next {
            ChannelState::Sent => &channel.stats.sent,
            ChannelState::Delivered => &channel.stats.delivered,
            ChannelState::Read => &channel.stats.read,
            _ => &channel.stats.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if applied {
            self.publish_message_update(&message.id).await;
        }
        Ok(())
    }

    pub(super) async fn apply_inbound(
        &self,
        channel: &WhatsappChannel,
        m: &InboundMessage,
    ) -> Result<()> {
        let now = self.core.clock.now();
        if self
            .core
            .store
            .get_message_by_wamid(&m.wamid)
            .await?
            .is_some()
        {
            return Ok(()); // a duplicate delivery
        }
        let patient = match PhoneNumber::from_wa_id(&m.from) {
            Ok(phone) => {
                self.core
                    .store
                    .get_patient_by_phone_index(&self.core.keys.phone_index(phone.as_str()))
                    .await?
            }
            Err(_) => None,
        };
        let Some(patient) = patient else {
            self.core
                .audit_alone(
                    NewAuditEvent::new(now, AuditAction::WhatsappInbound, Outcome::Failure).detail(
                        serde_json::json!({ "reason": "unknown_sender", "wamid": m.wamid }),
                    ),
                )
                .await?;
            return Ok(());
        };
        let conv = self
            .core
            .store
            .get_conversation(&patient.conversation_id)
            .await?
            .ok_or_else(|| ServiceError::Internal("patient conversation missing".into()))?;
        let (text, kind) = match &m.content {
            InboundContent::Text { body } => (body.clone(), "text"),
            InboundContent::Button { text, .. } => (text.clone(), "button"),
            InboundContent::Media { kind, caption, .. } => (
                caption
                    .clone()
                    .filter(|c| !c.trim().is_empty())
                    .unwrap_or_else(|| format!("[{kind} from the patient]")),
                "media",
            ),
            InboundContent::Unsupported { kind, .. } => (
                format!("[unsupported WhatsApp message: {kind}]"),
                "unsupported",
            ),
        };
        let media = match &m.content {
            InboundContent::Media {
                media_id,
                mime_type,
                kind,
                filename,
                ..
            } => {
                self.files
                    .fetch_inbound_media(
                        channel,
                        &conv,
                        media_id,
                        mime_type.as_deref(),
                        kind,
                        filename.as_deref(),
                    )
                    .await?
            }
            _ => None,
        };
        let body = MessageBody::parse(&text)
            .or_else(|_| MessageBody::parse("[empty message]"))
            .map_err(ServiceError::validation)?;
        let keyword = text.trim().to_uppercase();
        let opt_out = channel
            .config
            .opt_out_keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&keyword));
        let opt_in = channel
            .config
            .opt_in_keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&keyword));
        let key = self.core.conversation_key(&conv).await?;
        let sent_at = m.timestamp.map_or(now, |t| {
            Timestamp::from_millis(t.saturating_mul(1000)).min(now)
        });
        let mut tx = self.core.store.begin_write().await?;
        if tx.find_message_by_wamid(&m.wamid).await?.is_some() {
            return Ok(());
        }
        let draft = Draft {
            conversation: &conv.id,
            key: &key,
            sender: UserId::from_stored(patient.id.to_string()),
            body: &body,
            priority: Priority::Normal,
            client_id: None,
            whatsapp: Some(WhatsappDelivery {
                state: ChannelState::Received,
                updated_at: now,
                error_code: None,
                error_title: None,
                wamid: Some(m.wamid.clone()),
            }),
            now,
        };
        let Appended::New { mut tx, row } = append(tx, draft).await? else {
            return Err(ServiceError::Internal(
                "an inbound message without a client id was taken for a retry".into(),
            ));
        };
        let (id, seq) = (row.id.clone(), row.seq);
        if let Some((att, key_row)) = &media {
            tx.insert_data_key(key_row).await?;
            tx.insert_attachment(att).await?;
            tx.link_attachment(&row, &att.id, 0).await?;
        }
        let mut updated = patient.clone();
        updated.last_inbound_at = Some(patient.last_inbound_at.map_or(sent_at, |t| t.max(sent_at)));
        if opt_out && updated.whatsapp_opt_in {
            updated.whatsapp_opt_in = false;
            updated.opted_out_at = Some(now);
        } else if opt_in && !updated.whatsapp_opt_in {
            updated.whatsapp_opt_in = true;
            updated.opt_in_at = Some(now);
            updated.opt_in_by = None;
            updated.opt_in_source_enc = Some(self.core.keys.seal_directory_field(
                "patients",
                "opt_in_source",
                patient.id.as_str(),
                "WhatsApp keyword from the patient",
            )?);
            updated.opted_out_at = None;
        }
        updated.updated_at = now;
        tx.update_patient(&updated).await?;
        let mut ev = NewAuditEvent::new(now, AuditAction::WhatsappInbound, Outcome::Success)
            .resource("message", id.as_str())
            .detail(serde_json::json!({
                "kind": kind,
                "wamid": m.wamid,
                "conversation_id": conv.id.as_str(),
                "seq": seq,
                "attachment": media.as_ref().map(|(a, _)| a.id.as_str()),
            }));
        ev.patient_id = Some(patient.id.to_string());
        tx.append_audit(&ev).await?;
        crate::webhooks::enqueue(
            &mut tx,
            &crate::webhooks::Outgoing::PatientInbound {
                conversation_id: &conv.id,
                message_id: &id,
                patient_id: &patient.id,
                seq,
            },
            now,
        )
        .await?;
        if updated.whatsapp_opt_in != patient.whatsapp_opt_in {
            let mut ev = NewAuditEvent::new(now, AuditAction::PatientConsent, Outcome::Success)
                .resource("patient", patient.id.as_str())
                .detail(serde_json::json!({
                    "whatsapp_opt_in": updated.whatsapp_opt_in,
                    "via": "whatsapp_keyword",
                }));
            ev.patient_id = Some(patient.id.to_string());
            tx.append_audit(&ev).await?;
        }
        tx.commit().await?;
        channel.stats.inbound.fetch_add(1, Ordering::Relaxed);
        let attachments = match &media {
            Some((att, _)) => vec![self.files.attachment_info(att).await?],
            None => Vec::new(),
        };
        let message = self.messages.message_view(&key, &row, attachments)?;
        let members = self.core.store.list_members(&conv.id).await?;
        self.core.events.publish(Event::MessageCreated {
            message,
            recipients: members,
        });
        Ok(())
    }
}
