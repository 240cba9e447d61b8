//! The WhatsApp channel: sending to patients through a durable outbox,
//! templates, and the webhook inbox of statuses and patient replies.
//!
//! - A send writes the message (`channel: whatsapp`, state `queued`), an
//!   outbox job and the `whatsapp.send` record in one transaction and
//!   answers. [`Hippo::run_whatsapp_outbox`] claims due jobs, sends them at
//!   the configured rate, retries what is retryable with exponential backoff
//!   and jitter, and records permanent failures on the message. A job whose
//!   Cloud API id (wamid) is recorded is never sent again; a job that was
//!   in flight when a process died is "in doubt" and is resent only after
//!   `in_doubt_after`, unless a status webhook (which echoes hippo's message
//!   id as `biz_opaque_callback_data`) proves it was accepted.
//! - A webhook delivery is checked (HMAC over the raw bytes), stored sealed
//!   and answered; [`Hippo::run_whatsapp_inbox`] then applies it: statuses
//!   move a message forward only, duplicates are ignored, patient replies
//!   become messages in the patient's conversation, pushed live.

use crate::messages::{Appended, Draft, append};
use crate::{Actor, Event, Principal, Result, ServiceError};
use hippo_core::{
    AuditAction, ChannelState, ErrorCode, Message, MessageBody, MessageId, NewAuditEvent, Outcome,
    PatientId, PhiMode, PhoneNumber, Priority, Timestamp, UserId,
};
use hippo_crypto::Aad;
use hippo_store::{
    OutboxCounts, OutboxJob, OutboxState, TemplateRow, WebhookRow, WhatsappDelivery,
};
use hippo_whatsapp::{
    CloudApi, DeliveryStatus, ErrorClass, InboundContent, InboundMessage, OutboundMessage,
    StatusUpdate, WebhookEvent,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use zeroize::Zeroizing;

/// The customer-service window: free text only this long after the
/// patient's last message.
pub const SERVICE_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// Longest free-text message the Cloud API takes (characters).
pub const MAX_TEXT_CHARS: usize = 4096;
/// Longest template parameter (characters).
pub const MAX_PARAMETER_CHARS: usize = 1024;
/// Largest webhook body Meta sends.
pub const MAX_WEBHOOK_BYTES: usize = 3 * 1024 * 1024;

/// Settings of the WhatsApp channel.
#[derive(Clone)]
pub struct WhatsappConfig {
    pub phi_mode: PhiMode,
    /// Messages per second to the Cloud API.
    pub rate: u32,
    /// Key of `X-Hub-Signature-256`.
    pub app_secret: Zeroizing<Vec<u8>>,
    /// Answer to Meta's verification handshake.
    pub verify_token: Zeroizing<String>,
    /// How long a job that was in flight when its process stopped waits for
    /// a webhook to prove it was accepted before it is sent again.
    pub in_doubt_after: Duration,
    /// Attempts before a retryable failure becomes final.
    pub max_attempts: i64,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// Inbound texts (case-insensitive, whole message) that opt the
    /// patient out / back in.
    pub opt_out_keywords: Vec<String>,
    pub opt_in_keywords: Vec<String>,
}

impl std::fmt::Debug for WhatsappConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappConfig")
            .field("phi_mode", &self.phi_mode)
            .field("rate", &self.rate)
            .field("in_doubt_after", &self.in_doubt_after)
            .finish_non_exhaustive()
    }
}

impl Default for WhatsappConfig {
    fn default() -> Self {
        Self {
            phi_mode: PhiMode::NotifyOnly,
            rate: 80,
            app_secret: Zeroizing::new(Vec::new()),
            verify_token: Zeroizing::new(String::new()),
            in_doubt_after: Duration::from_secs(300),
            max_attempts: 12,
            max_backoff: Duration::from_secs(300),
            opt_out_keywords: vec!["STOP".into(), "UNSUBSCRIBE".into()],
            opt_in_keywords: vec!["START".into()],
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct WhatsappStats {
    pub accepted: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
    pub sent: AtomicU64,
    pub delivered: AtomicU64,
    pub read: AtomicU64,
    pub inbound: AtomicU64,
    pub webhooks_rejected: AtomicU64,
}

/// The configured channel.
pub struct WhatsappChannel {
    pub(crate) config: WhatsappConfig,
    pub(crate) api: CloudApi,
    pub(crate) outbox_wake: tokio::sync::Notify,
    pub(crate) inbox_wake: tokio::sync::Notify,
    pub stats: WhatsappStats,
}

impl WhatsappChannel {
    pub fn new(config: WhatsappConfig, api: CloudApi) -> Self {
        Self {
            config,
            api,
            outbox_wake: tokio::sync::Notify::new(),
            inbox_wake: tokio::sync::Notify::new(),
            stats: WhatsappStats::default(),
        }
    }
}

/// What to send: `text`, or `template` with parameters.
#[derive(Debug, Clone, Default)]
pub struct WhatsappSend {
    pub text: Option<String>,
    pub template: Option<TemplateSend>,
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TemplateSend {
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub parameters: Vec<String>,
}

/// The sealed outbox payload.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Payload {
    Text { body: String },
    Template(TemplateSend),
}

/// A template as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub parameter_count: i64,
    pub phi_free: bool,
    pub body_text: Option<String>,
    pub synced_at: Timestamp,
}

impl From<TemplateRow> for Template {
    fn from(t: TemplateRow) -> Self {
        Self {
            name: t.name,
            language: t.language,
            category: t.category,
            status: t.status,
            parameter_count: t.parameter_count,
            phi_free: t.phi_free,
            body_text: t.body_text,
            synced_at: t.synced_at,
        }
    }
}

/// An outbox job as operators see it (no content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxView {
    pub message_id: MessageId,
    pub patient_id: PatientId,
    pub state: OutboxState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error_code: Option<i64>,
    pub last_error_title: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn payload_aad(message: &MessageId) -> Aad {
    Aad::field("whatsapp_outbox", "payload", message.as_str())
}

fn webhook_aad(id: &str) -> Aad {
    Aad::field("whatsapp_webhook_inbox", "body", id)
}

/// Fills a template's body text with its parameters, in order.
fn render_template(t: &TemplateRow, params: &[String]) -> String {
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

/// Exponential backoff with ±50 % jitter, capped.
fn backoff(attempts: i64, cap: Duration, seed: &str) -> Duration {
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

/// A token bucket of one token refilled `rate` times a second: sends are
/// paced evenly, so no one-second window ever holds more than `rate` + 1
/// (the Cloud API counts throughput per second).
struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: tokio::time::Instant,
}

impl TokenBucket {
    fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        Self {
            rate,
            tokens: 1.0,
            last: tokio::time::Instant::now(),
        }
    }

    async fn take(&mut self) {
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

fn delivery_state(status: &DeliveryStatus) -> Option<ChannelState> {
    match status {
        DeliveryStatus::Sent => Some(ChannelState::Sent),
        DeliveryStatus::Delivered => Some(ChannelState::Delivered),
        DeliveryStatus::Read | DeliveryStatus::Played => Some(ChannelState::Read),
        DeliveryStatus::Failed => Some(ChannelState::Failed),
        DeliveryStatus::Other(_) => None,
    }
}

fn status_name(status: &DeliveryStatus) -> &str {
    match status {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Read => "read",
        DeliveryStatus::Played => "played",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Other(s) => s.as_str(),
    }
}

/// A short, non-identifying title for an error (Meta's titles name the
/// problem, never the recipient; still capped).
fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

/// The WhatsApp channel: sends, templates, the outbox and inbox workers,
/// webhooks (`hippo.whatsapp()`).
#[derive(Debug, Clone)]
pub struct Whatsapp {
    core: std::sync::Arc<crate::core::Core>,
    messages: crate::messages::Messages,
    files: crate::files::Files,
    patients: crate::patients::Patients,
}

impl Whatsapp {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self {
            messages: crate::messages::Messages::new(core.clone()),
            files: crate::files::Files::new(core.clone()),
            patients: crate::patients::Patients::new(core.clone()),
            core,
        }
    }
}

impl Whatsapp {
    /// The configured channel (`None`: WhatsApp is off on this server).
    pub fn configured(&self) -> Option<&Arc<WhatsappChannel>> {
        self.core.whatsapp.as_ref()
    }

    fn channel(&self) -> Result<&Arc<WhatsappChannel>> {
        self.core.whatsapp.as_ref().ok_or_else(|| {
            ServiceError::public(
                ErrorCode::ChannelNotConfigured,
                "WhatsApp is not configured on this server (HIPPO_WHATSAPP_* settings)",
            )
        })
    }

    fn patient_event(
        &self,
        by: Principal<'_>,
        action: AuditAction,
        outcome: Outcome,
        patient: &PatientId,
    ) -> NewAuditEvent {
        let mut ev = by.event(self.core.clock.now(), action, outcome);
        ev.patient_id = Some(patient.to_string());
        ev
    }

    async fn refuse_send(
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

    /// Who may manage templates and the outbox: messaging roles and admins.
    async fn require_channel_admin(&self, actor: &Actor, action: AuditAction) -> Result<()> {
        if let Err(e) = actor.require_full() {
            return Err(self.core.deny(actor, action, None, e).await);
        }
        if !(actor.user.role.can_message() || actor.user.role == hippo_core::Role::Admin) {
            return Err(self
                .core
                .deny(actor, action, None, ServiceError::forbidden())
                .await);
        }
        Ok(())
    }

    pub async fn list_templates(&self, actor: &Actor) -> Result<Vec<Template>> {
        self.require_channel_admin(actor, AuditAction::WhatsappTemplateSync)
            .await?;
        self.list_templates_unchecked().await
    }

    /// Fetches every template of the business account and caches it.
    pub async fn sync_templates(&self, actor: &Actor) -> Result<Vec<Template>> {
        let channel = self.channel()?.clone();
        self.require_channel_admin(actor, AuditAction::WhatsappTemplateSync)
            .await?;
        let fetched = channel.api.list_templates().await.map_err(|e| {
            tracing::warn!(code = ?e.code, title = %e.title, "template sync failed");
            ServiceError::public(
                ErrorCode::Unavailable,
                format!(
                    "the WhatsApp Cloud API refused the template list: {}",
                    e.title
                ),
            )
        })?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        for t in &fetched {
            tx.upsert_template(&TemplateRow {
                name: t.name.clone(),
                language: t.language.clone(),
                category: t.category.clone(),
                status: t.status.clone(),
                parameter_count: i64::from(t.parameter_count),
                body_text: t.body_text.clone(),
                phi_free: false,
                synced_at: now,
            })
            .await?;
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::WhatsappTemplateSync, Outcome::Success)
                .detail(serde_json::json!({ "templates": fetched.len() })),
        )
        .await?;
        tx.commit().await?;
        self.list_templates_unchecked().await
    }

    async fn list_templates_unchecked(&self) -> Result<Vec<Template>> {
        Ok(self
            .core
            .store
            .list_templates()
            .await?
            .into_iter()
            .map(Template::from)
            .collect())
    }

    /// Marks a template safe (or not) to send under `notify_only`.
    pub async fn set_template_phi_free(
        &self,
        actor: &Actor,
        name: &str,
        language: &str,
        phi_free: bool,
    ) -> Result<Template> {
        self.require_channel_admin(actor, AuditAction::WhatsappTemplateUpdate)
            .await?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        if !tx.set_template_phi_free(name, language, phi_free).await? {
            return Err(ServiceError::not_found());
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::WhatsappTemplateUpdate, Outcome::Success)
                .resource("template", format!("{name}/{language}"))
                .detail(serde_json::json!({ "phi_free": phi_free })),
        )
        .await?;
        tx.commit().await?;
        self.core
            .store
            .get_template(name, language)
            .await?
            .map(Template::from)
            .ok_or_else(ServiceError::not_found)
    }

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

    /// Pushes a message's new state to its conversation's members.
    async fn publish_message_update(&self, id: &MessageId) {
        let result = async {
            let Some(row) = self.core.store.get_message(id).await? else {
                return Ok(());
            };
            let Some(conv) = self
                .core
                .store
                .get_conversation(&row.conversation_id)
                .await?
            else {
                return Ok(());
            };
            let key = self.core.conversation_key(&conv).await?;
            let members = self.core.store.list_members(&conv.id).await?;
            let message = self
                .messages
                .messages_view(&key, std::slice::from_ref(&row))
                .await?
                .pop()
                .ok_or_else(|| ServiceError::Internal("message view missing".into()))?;
            self.core.events.publish(Event::MessageUpdated {
                message,
                recipients: members,
            });
            Ok::<_, ServiceError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not push a WhatsApp status");
        }
    }

    // ---- outbox worker ------------------------------------------------

    /// Sends outbox jobs until `shutdown` resolves.
    pub async fn run_outbox(self, shutdown: impl std::future::Future<Output = ()>) {
        let Some(channel) = self.core.whatsapp.clone() else {
            return;
        };
        tokio::pin!(shutdown);
        let mut bucket = TokenBucket::new(channel.config.rate);
        let inflight = Arc::new(tokio::sync::Semaphore::new(64));
        let batch = i64::from(channel.config.rate.clamp(1, 100));
        let mut leader = LeaderCheck::new("whatsapp_outbox");
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
    async fn claim_jobs(
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

    async fn job_request(&self, job: &OutboxJob) -> Result<OutboundMessage> {
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

    async fn send_job(&self, channel: &WhatsappChannel, job: OutboxJob) {
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

    async fn job_accepted(&self, job: &OutboxJob, wamid: &str) -> Result<()> {
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

    async fn job_failed(&self, job: &OutboxJob, code: Option<i64>, title: &str) -> Result<()> {
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

    // ---- webhooks -----------------------------------------------------

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
        let mut leader = LeaderCheck::new("whatsapp_inbox");
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

    async fn process_webhook(&self, channel: &WhatsappChannel, row: &WebhookRow) -> Result<()> {
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

    async fn finish(&self, row: &WebhookRow, state: &str, note: Option<&str>) -> Result<()> {
        let mut tx = self.core.store.begin_write().await?;
        tx.finish_webhook(&row.id, state, note, self.core.clock.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn apply_status(&self, channel: &WhatsappChannel, s: &StatusUpdate) -> Result<()> {
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

    async fn apply_inbound(&self, channel: &WhatsappChannel, m: &InboundMessage) -> Result<()> {
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

/// A worker's view of its cluster-wide lease, renewed every few seconds.
struct LeaderCheck {
    job: &'static str,
    checked: Option<std::time::Instant>,
    leading: bool,
    /// When this node last became the leader.
    since: Option<Timestamp>,
}

impl LeaderCheck {
    const RENEW: Duration = Duration::from_secs(5);
    const TTL: Duration = Duration::from_secs(15);

    fn new(job: &'static str) -> Self {
        Self {
            job,
            checked: None,
            leading: false,
            since: None,
        }
    }

    async fn leading(&mut self, core: &crate::core::Core) -> bool {
        if self.checked.is_none_or(|t| t.elapsed() >= Self::RENEW) {
            let was = self.leading;
            self.leading = core.lead(self.job, Self::TTL).await;
            self.checked = Some(std::time::Instant::now());
            if self.leading != was {
                self.since = self.leading.then(|| core.clock.now());
                tracing::info!(
                    job = self.job,
                    leading = self.leading,
                    "cluster job lease changed"
                );
            }
        }
        self.leading
    }
}
