//! The WhatsApp channel: sending to patients through a durable outbox,
//! templates, and the webhook inbox of statuses and patient replies.
//!
//! - A send writes the message (`channel: whatsapp`, state `queued`), an
//!   outbox job and the `whatsapp.send` record in one transaction and
//!   answers. [`Whatsapp::run_outbox`] claims due jobs, sends them at
//!   the configured rate, retries what is retryable with exponential backoff
//!   and jitter, and records permanent failures on the message. A job whose
//!   Cloud API id (wamid) is recorded is never sent again; a job that was
//!   in flight when a process died is "in doubt" and is resent only after
//!   `in_doubt_after`, unless a status webhook (which echoes hippo's message
//!   id as `biz_opaque_callback_data`) proves it was accepted.
//! - A webhook delivery is checked (HMAC over the raw bytes), stored sealed
//!   and answered; [`Whatsapp::run_inbox`] then applies it: statuses
//!   move a message forward only, duplicates are ignored, patient replies
//!   become messages in the patient's conversation, pushed live.
//!
//! Files: `send.rs` (a send and its checks), `templates.rs`, `outbox.rs`
//! (the outbox and its worker), `inbox.rs` (webhooks and their worker),
//! `pacing.rs` (the send rate and the workers' cluster leases).

mod inbox;
mod outbox;
mod pacing;
mod send;
mod templates;

use crate::messages::{Appended, Draft, append};
use crate::{Actor, Event, Principal, Result, ServiceError};
use hippo_core::{
    AuditAction, ChannelState, ErrorCode, Message, MessageBody, MessageId, NewAuditEvent, Outcome,
    PatientId, PhiMode, PhoneNumber, Priority, Timestamp, UserId,
};
use hippo_crypto::Aad;
use hippo_store::{OutboxJob, OutboxState, TemplateRow, WebhookRow, WhatsappDelivery};
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

/// Outbox jobs by state (`Whatsapp::outbox_counts`).
pub use hippo_store::OutboxCounts;

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

    pub(super) fn channel(&self) -> Result<&Arc<WhatsappChannel>> {
        self.core.whatsapp.as_ref().ok_or_else(|| {
            ServiceError::public(
                ErrorCode::ChannelNotConfigured,
                "WhatsApp is not configured on this server (HIPPO_WHATSAPP_* settings)",
            )
        })
    }

    pub(super) fn patient_event(
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

    /// Who may manage templates and the outbox: messaging roles and admins.
    pub(super) async fn require_channel_admin(
        &self,
        actor: &Actor,
        action: AuditAction,
    ) -> Result<()> {
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

    /// Pushes a message's new state to its conversation's members.
    pub(super) async fn publish_message_update(&self, id: &MessageId) {
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
}
