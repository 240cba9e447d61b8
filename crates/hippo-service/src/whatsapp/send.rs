//! A send to a patient: the channel's rules (opt-in, PHI mode, the
//! service window, approved templates), then the message and its outbox
//! job in one transaction.

use super::*;

/// Fills a template's body text with its parameters, in order.
pub(super) fn render_template(t: &TemplateRow, params: &[String]) -> String {
    let Some(text) = &t.body_text else {
        return format!(
            "[template {} ({})] {}",
            t.name,
            t.language,
            params.join(" | ")
        );
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut next = 0usize;
    let mut seen: Vec<String> = Vec::new();
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let key = rest[start + 2..start + 2 + len].trim().to_owned();
        let index = match key.parse::<usize>() {
            Ok(n) if n >= 1 => n - 1,
            _ => match seen.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    seen.push(key.clone());
                    let i = next;
                    next += 1;
                    i
                }
            },
        };
        out.push_str(params.get(index).map_or("", String::as_str));
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    out
}

impl Whatsapp {
    pub(super) async fn refuse_send(
        &self,
        actor: &Actor,
        patient: &PatientId,
        error: ServiceError,
    ) -> ServiceError {
        let ev = self
            .patient_event(
                Principal::User(actor),
                AuditAction::WhatsappSend,
                Outcome::Denied,
                patient,
            )
            .resource("patient", patient.as_str())
            .detail(serde_json::json!({ "reason": error.code().as_str() }));
        match self.core.audit_alone(ev).await {
            Ok(()) => error,
            Err(e) => e,
        }
    }

    /// Queues a WhatsApp message to a patient (answer: 202 with the message
    /// in state `queued`).
    pub async fn send(
        &self,
        actor: &Actor,
        patient_id: &str,
        input: WhatsappSend,
    ) -> Result<Message> {
        let channel = self.channel()?.clone();
        let (patient, conv, members) = self
            .patients
            .care_team_patient(actor, patient_id, AuditAction::WhatsappSend)
            .await?;
        let pid = patient.id.clone();
        if let Some(c) = &input.client_id
            && (c.is_empty() || c.len() > 128 || c.chars().any(char::is_control))
        {
            return Err(ServiceError::validation(
                "client_id must be 1 to 128 printable characters",
            ));
        }
        let now = self.core.clock.now();
        let (payload, body, kind, template_name) = match (input.text, input.template) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ServiceError::validation("give either text or template"));
            }
            (Some(text), None) => {
                let body = MessageBody::parse(&text).map_err(ServiceError::validation)?;
                if text.chars().count() > MAX_TEXT_CHARS {
                    return Err(ServiceError::validation(format!(
                        "text must be at most {MAX_TEXT_CHARS} characters"
                    )));
                }
                (Payload::Text { body: text }, body, "text", None)
            }
            (None, Some(t)) => {
                let template = self.core.store.get_template(&t.name, &t.language).await?;
                let Some(template) = template else {
                    let e = ServiceError::public(
                        ErrorCode::TemplateNotApproved,
                        "no such template in this language; POST /api/v1/whatsapp/templates/sync to refresh",
                    );
                    return Err(self.refuse_send(actor, &pid, e).await);
                };
                if template.status != "APPROVED" {
                    let e = ServiceError::public(
                        ErrorCode::TemplateNotApproved,
                        format!("the template's status is {}, not APPROVED", template.status),
                    );
                    return Err(self.refuse_send(actor, &pid, e).await);
                }
                if usize::try_from(template.parameter_count).ok() != Some(t.parameters.len()) {
                    return Err(ServiceError::validation(format!(
                        "the template takes {} parameters, {} given",
                        template.parameter_count,
                        t.parameters.len()
                    )));
                }
                if t.parameters.iter().any(|p| {
                    p.trim().is_empty()
                        || p.chars().count() > MAX_PARAMETER_CHARS
                        || p.chars().any(|c| c.is_control() && c != '\n')
                }) {
                    return Err(ServiceError::validation(format!(
                        "template parameters must be 1 to {MAX_PARAMETER_CHARS} printable characters"
                    )));
                }
                if channel.config.phi_mode == PhiMode::NotifyOnly && !template.phi_free {
                    let e = ServiceError::public(
                        ErrorCode::ChannelPolicy,
                        "under notify_only only templates marked PHI-free may be sent \
                         (PATCH /api/v1/whatsapp/templates/{name}/{language} {\"phi_free\": true})",
                    );
                    return Err(self.refuse_send(actor, &pid, e).await);
                }
                let body = MessageBody::parse(&render_template(&template, &t.parameters))
                    .map_err(ServiceError::validation)?;
                let name = t.name.clone();
                (Payload::Template(t), body, "template", Some(name))
            }
        };
        if !patient.whatsapp_opt_in {
            let e = ServiceError::public(
                ErrorCode::NotOptedIn,
                "the patient has not opted in to WhatsApp messages",
            );
            return Err(self.refuse_send(actor, &pid, e).await);
        }
        if kind == "text" {
            let requested = patient.phi_request_warning_version.is_some();
            if channel.config.phi_mode == PhiMode::NotifyOnly || !requested {
                let e = ServiceError::public(
                    ErrorCode::ChannelPolicy,
                    if requested {
                        "free text is not allowed under notify_only; send a PHI-free template"
                    } else {
                        "free text needs the patient's recorded request for WhatsApp \
                         (PATCH the patient with whatsapp_phi_request); send a PHI-free template"
                    },
                );
                return Err(self.refuse_send(actor, &pid, e).await);
            }
            let open = patient
                .last_inbound_at
                .is_some_and(|t| now.as_millis() - t.as_millis() < SERVICE_WINDOW_MS);
            if !open {
                let e = ServiceError::public(
                    ErrorCode::OutsideServiceWindow,
                    "free text only within 24 hours of the patient's last message; send a template",
                );
                return Err(self.refuse_send(actor, &pid, e).await);
            }
        }
        let key = self.core.conversation_key(&conv).await?;
        let payload_json = serde_json::to_vec(&payload)
            .map_err(|e| ServiceError::Internal(format!("outbox payload: {e}")))?;
        let tx = self.core.store.begin_write().await?;
        let draft = Draft {
            conversation: &conv.id,
            key: &key,
            sender: actor.user.id.clone(),
            body: &body,
            priority: Priority::Normal,
            client_id: input.client_id,
            whatsapp: Some(WhatsappDelivery {
                state: ChannelState::Queued,
                updated_at: now,
                error_code: None,
                error_title: None,
                wamid: None,
            }),
            now,
        };
        let (mut tx, row) = match append(tx, draft).await? {
            Appended::New { tx, row } => (tx, row),
            Appended::Retry(existing) => {
                return self
                    .messages
                    .messages_view(&key, std::slice::from_ref(&existing))
                    .await?
                    .pop()
                    .ok_or_else(|| ServiceError::Internal("message view missing".into()));
            }
        };
        let (id, seq) = (row.id.clone(), row.seq);
        tx.insert_outbox(&OutboxJob {
            message_id: id.clone(),
            patient_id: pid.clone(),
            conversation_id: conv.id.clone(),
            payload_enc: key.seal(&payload_aad(&id), &payload_json)?,
            state: OutboxState::Pending,
            attempts: 0,
            next_attempt_at: now,
            attempt_started_at: None,
            wamid: None,
            last_error_code: None,
            last_error_title: None,
            created_at: now,
            updated_at: now,
        })
        .await?;
        tx.append_audit(
            &self
                .patient_event(
                    Principal::User(actor),
                    AuditAction::WhatsappSend,
                    Outcome::Success,
                    &pid,
                )
                .resource("message", id.as_str())
                .detail(serde_json::json!({
                    "stage": "queued",
                    "kind": kind,
                    "template": template_name,
                    "conversation_id": conv.id.as_str(),
                    "seq": seq,
                })),
        )
        .await?;
        tx.commit().await?;
        channel.outbox_wake.notify_one();
        let message = self.messages.message_view(&key, &row, Vec::new())?;
        self.core.events.publish(Event::MessageCreated {
            message: message.clone(),
            recipients: members,
        });
        Ok(message)
    }
}
