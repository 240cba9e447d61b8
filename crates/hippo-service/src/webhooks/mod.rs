//! Outgoing webhooks (`hippo.webhooks()`): administrators register
//! receivers for event types; events join a durable outbox in the
//! transaction of the change they report (`enqueue.rs`); a worker on every
//! node delivers them signed in the Standard Webhooks form, retried with
//! backoff for more than 24 hours, in order per conversation, each once
//! per cluster (leases), and gives up into a dead-letter state an
//! administrator can redeliver from (`deliver.rs`). Receivers must be
//! public https addresses unless the operator allows a network
//! (`transport.rs`). Bodies carry ids and states only.

mod deliver;
mod enqueue;
mod transport;

pub use crate::net::IpNet;
pub use enqueue::EVENT_TYPES;
pub(crate) use enqueue::{Outgoing, enqueue};
pub use hippo_store::DeliveryState;
pub use transport::WebhookConfig;

use crate::{Actor, Result, ServiceError};
use hippo_core::{AuditAction, ErrorCode, Outcome, Role, Timestamp, UserId, WebhookId};
use hippo_crypto::Aad;
use hippo_store::{WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow};
use std::sync::Arc;
use zeroize::Zeroizing;

const MAX_PAGE: usize = 200;

/// What an administrator registers.
#[derive(Debug, Default)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    /// A `whsec_…` secret of the integrator's; default: a fresh one.
    pub secret: Option<Zeroizing<String>>,
    /// Deliver only events of conversations this service account is a
    /// member of.
    pub service_account_id: Option<String>,
}

/// An endpoint as administrators see it (never its secret).
#[derive(Debug, Clone)]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<String>,
    pub service_account_id: Option<UserId>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// A new endpoint: the one time its secret is shown.
pub struct CreatedWebhook {
    pub view: WebhookView,
    pub secret: Zeroizing<String>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone)]
pub struct AttemptView {
    pub attempt: i64,
    pub at: Timestamp,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event for one endpoint, with its attempts.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    /// The `webhook-id` header.
    pub id: String,
    pub event_type: String,
    pub state: DeliveryState,
    pub created_at: Timestamp,
    pub next_attempt_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    /// The body sent (ids and states only).
    pub payload: String,
    pub attempts: Vec<AttemptView>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryView>,
    /// Pass as `cursor` for the next (older) page; `None`: no more.
    pub next_cursor: Option<String>,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookStats {
    pub delivered: std::sync::atomic::AtomicU64,
    pub failed_attempts: std::sync::atomic::AtomicU64,
    pub dead: std::sync::atomic::AtomicU64,
}

/// Outgoing webhooks (`hippo.webhooks()`).
#[derive(Debug, Clone)]
pub struct Webhooks {
    core: Arc<crate::core::Core>,
    policy: transport::Policy,
    pub(crate) stats: Arc<WebhookStats>,
}

fn secret_aad(id: &WebhookId) -> Aad {
    Aad::field("webhook_endpoints", "secret", id.as_str())
}

fn view(row: &WebhookEndpointRow) -> WebhookView {
    WebhookView {
        id: row.id.clone(),
        url: row.url.clone(),
        events: row.events.clone(),
        service_account_id: row.service_account_id.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at,
    }
}

fn delivery_view(d: WebhookDeliveryRow, attempts: &[WebhookAttemptRow]) -> DeliveryView {
    DeliveryView {
        attempts: attempts
            .iter()
            .filter(|a| a.delivery_seq == d.seq)
            .map(|a| AttemptView {
                attempt: a.attempt,
                at: a.at,
                status: a.status,
                error: a.error.clone(),
                duration_ms: a.duration_ms,
            })
            .collect(),
        next_attempt_at: (d.state == DeliveryState::Pending).then_some(d.next_attempt_at),
        id: d.event_id,
        event_type: d.event_type,
        state: d.state,
        created_at: d.created_at,
        delivered_at: d.delivered_at,
        last_status: d.last_status,
        last_error: d.last_error,
        payload: d.payload,
    }
}

impl Webhooks {
    pub(crate) fn new(core: Arc<crate::core::Core>) -> Self {
        Self {
            policy: transport::Policy::new(&core.config.webhooks),
            core,
            stats: Arc::new(WebhookStats::default()),
        }
    }

    /// Counters since start.
    pub fn stats(&self) -> &WebhookStats {
        &self.stats
    }

    /// Full session, role `admin`; else recorded as denied.
    async fn require_admin(&self, actor: &Actor, action: AuditAction) -> Result<()> {
        let check = actor.require_full().and_then(|()| {
            if actor.user.role == Role::Admin {
                Ok(())
            } else {
                Err(ServiceError::forbidden())
            }
        });
        match check {
            Ok(()) => Ok(()),
            Err(e) => Err(self.core.deny(actor, action, None, e).await),
        }
    }

    fn parse_id(id: &str) -> Result<WebhookId> {
        WebhookId::parse(id).ok_or_else(ServiceError::not_found)
    }

    async fn endpoint(&self, id: &WebhookId) -> Result<WebhookEndpointRow> {
        self.core
            .store
            .get_webhook_endpoint(id)
            .await?
            .filter(|w| w.deleted_at.is_none())
            .ok_or_else(ServiceError::not_found)
    }

    /// Registers a receiver; the signing secret is in the answer only.
    pub async fn create(&self, actor: &Actor, input: NewWebhook) -> Result<CreatedWebhook> {
        self.require_admin(actor, AuditAction::WebhookCreate)
            .await?;
        let mut events: Vec<String> = Vec::new();
        for e in &input.events {
            if !EVENT_TYPES.contains(&e.as_str()) {
                return Err(ServiceError::validation(format!(
                    "events: {e:?} is not one of {}",
                    EVENT_TYPES.join(", ")
                )));
            }
            if !events.contains(e) {
                events.push(e.clone());
            }
        }
        if events.is_empty() {
            return Err(ServiceError::validation(
                "events must name at least one event type",
            ));
        }
        let url = self.policy.check_url(&input.url).await?;
        let secret = match input.secret {
            Some(s) => {
                if hippo_crypto::webhook::secret_bytes(&s).is_none() {
                    return Err(ServiceError::validation(
                        "secret must be whsec_ followed by base64 of 24 to 64 bytes",
                    ));
                }
                s
            }
            None => hippo_crypto::webhook::generate_secret()?,
        };
        let service_account_id = match input.service_account_id.as_deref() {
            None => None,
            Some(id) => {
                let user = UserId::parse(id)
                    .ok_or_else(|| ServiceError::validation("service_account_id: no such user"))?;
                let row = self.core.store.get_user(&user).await?;
                if !row.is_some_and(|r| r.role == Role::Service) {
                    return Err(ServiceError::validation(
                        "service_account_id must name an account with role service",
                    ));
                }
                Some(user)
            }
        };
        let now = self.core.clock.now();
        let id = WebhookId::generate();
        let row = WebhookEndpointRow {
            secret_enc: self
                .core
                .keys
                .seal_directory_bytes(&secret_aad(&id), secret.as_bytes())?,
            id,
            url,
            events,
            service_account_id,
            created_by: Some(actor.user.id.clone()),
            created_at: now,
            deleted_at: None,
        };
        let mut tx = self.core.store.begin_write().await?;
        tx.insert_webhook_endpoint(&row).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::WebhookCreate, Outcome::Success)
                .resource("webhook", row.id.as_str())
                .detail(serde_json::json!({
                    "events": row.events,
                    "scoped_to": row.service_account_id.as_ref().map(UserId::as_str),
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedWebhook {
            view: view(&row),
            secret,
        })
    }

    /// Every live endpoint.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<WebhookView>> {
        self.require_admin(actor, AuditAction::WebhookRead).await?;
        Ok(self
            .core
            .store
            .list_webhook_endpoints()
            .await?
            .iter()
            .map(view)
            .collect())
    }

    pub async fn get(&self, actor: &Actor, id: &str) -> Result<WebhookView> {
        self.require_admin(actor, AuditAction::WebhookRead).await?;
        Ok(view(&self.endpoint(&Self::parse_id(id)?).await?))
    }

    /// Stops deliveries to an endpoint; pending ones die; history stays.
    pub async fn delete(&self, actor: &Actor, id: &str) -> Result<()> {
        self.require_admin(actor, AuditAction::WebhookDelete)
            .await?;
        let id = Self::parse_id(id)?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        if !tx.delete_webhook_endpoint(&id, now).await? {
            return Err(ServiceError::not_found());
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::WebhookDelete, Outcome::Success)
                .resource("webhook", id.as_str()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An endpoint's deliveries with their attempts, newest first.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        id: &str,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<DeliveryPage> {
        self.require_admin(actor, AuditAction::WebhookRead).await?;
        let id = Self::parse_id(id)?;
        self.core
            .store
            .get_webhook_endpoint(&id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let before =
            match cursor {
                None => None,
                Some(c) => Some(c.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    ServiceError::validation("cursor is not one this server gave")
                })?),
            };
        let limit = limit.unwrap_or(50).clamp(1, MAX_PAGE);
        let rows = self
            .core
            .store
            .list_webhook_deliveries(&id, before, i64::try_from(limit + 1).unwrap_or(51))
            .await?;
        let more = rows.len() > limit;
        let rows: Vec<_> = rows.into_iter().take(limit).collect();
        let seqs: Vec<i64> = rows.iter().map(|d| d.seq).collect();
        let attempts = self.core.store.list_webhook_attempts(&seqs).await?;
        let next_cursor = more.then(|| seqs.last().map(ToString::to_string)).flatten();
        Ok(DeliveryPage {
            deliveries: rows
                .into_iter()
                .map(|d| delivery_view(d, &attempts))
                .collect(),
            next_cursor,
        })
    }

    /// Sends a dead delivery again (its retries start over).
    pub async fn redeliver(&self, actor: &Actor, id: &str, event_id: &str) -> Result<()> {
        self.require_admin(actor, AuditAction::WebhookRedeliver)
            .await?;
        let id = Self::parse_id(id)?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        if !tx.redeliver_webhook(&id, event_id, now).await? {
            drop(tx);
            return Err(
                match self.core.store.get_webhook_delivery(&id, event_id).await? {
                    None => ServiceError::not_found(),
                    Some(_) => ServiceError::public(
                        ErrorCode::Conflict,
                        "only a dead delivery of a live endpoint can be redelivered",
                    ),
                },
            );
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::WebhookRedeliver, Outcome::Success)
                .resource("webhook", id.as_str())
                .detail(serde_json::json!({ "event_id": event_id })),
        )
        .await?;
        tx.commit().await?;
        self.core.events.wake_webhooks();
        Ok(())
    }
}
