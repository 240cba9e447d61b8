//! Outgoing webhooks (to an integrator's receiver; WhatsApp's incoming
//! webhooks are `channel.rs`): the endpoints administrators register, and
//! the durable outbox of deliveries.
//!
//! A delivery is written in the same transaction as the change it reports
//! ([`WebhookWriteTx::enqueue_webhook_event`]: one row per subscribed
//! endpoint), so a committed change always has its deliveries and a
//! rolled-back one has none. Workers on any node claim due deliveries with
//! a lease; only the oldest pending delivery of an endpoint and ordering
//! key (a conversation) is ever claimable, so each conversation's events
//! reach a receiver in order.

use crate::Result;
use async_trait::async_trait;
use hippo_core::{ConversationId, Timestamp, UserId, WebhookId};

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpointRow {
    pub id: WebhookId,
    pub url: String,
    /// Event types it subscribes to (`message.created`, …).
    pub events: Vec<String>,
    /// The `whsec_…` signing secret, sealed by the keyring.
    pub secret_enc: Vec<u8>,
    /// When set, only events of conversations this service account is a
    /// member of are delivered.
    pub service_account_id: Option<UserId>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    /// Deleted endpoints keep their history; nothing more is delivered.
    pub deleted_at: Option<Timestamp>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt (or being attempted under a lease).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Retries ran out (or its endpoint was deleted); an administrator may
    /// redeliver it.
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "dead" => Some(DeliveryState::Dead),
            _ => None,
        }
    }
}

/// One event for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDeliveryRow {
    /// Global order of enqueueing (the cursor of delivery lists).
    pub seq: i64,
    pub webhook_id: WebhookId,
    /// The event's id: the `webhook-id` header, the same on every attempt
    /// (receivers deduplicate by it).
    pub event_id: String,
    pub event_type: String,
    /// Events with the same key reach a receiver in order (a
    /// conversation's id; empty: no order).
    pub ordering_key: String,
    /// The JSON body sent, exactly (ids and states only).
    pub payload: String,
    pub created_at: Timestamp,
    pub state: DeliveryState,
    pub attempts: i64,
    /// Attempts made before the last manual redeliver (the retry schedule
    /// starts again after one).
    pub attempts_before: i64,
    pub next_attempt_at: Timestamp,
    pub lease_until: Option<Timestamp>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

/// One attempt of a delivery (its history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttemptRow {
    pub delivery_seq: i64,
    /// 1, 2, 3… per delivery.
    pub attempt: i64,
    pub at: Timestamp,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i64>,
    /// Why it failed (`timeout`, `connect`, `status 503`, …), if it did.
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// An event to enqueue for every endpoint subscribed to its type.
#[derive(Debug, Clone)]
pub struct WebhookEvent<'a> {
    pub event_id: &'a str,
    pub event_type: &'a str,
    /// For order and for endpoints scoped to a service account.
    pub conversation_id: Option<&'a ConversationId>,
    pub payload: &'a str,
    pub at: Timestamp,
}

/// Reads of outgoing webhooks (part of every [`crate::Store`]).
#[async_trait]
pub trait WebhookStore {
    async fn get_webhook_endpoint(&self, id: &WebhookId) -> Result<Option<WebhookEndpointRow>>;

    /// Endpoints not deleted, oldest first.
    async fn list_webhook_endpoints(&self) -> Result<Vec<WebhookEndpointRow>>;

    /// An endpoint's deliveries, newest first, those with `seq` below
    /// `before_seq` when given; at most `limit`.
    async fn list_webhook_deliveries(
        &self,
        webhook: &WebhookId,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>>;

    async fn get_webhook_delivery(
        &self,
        webhook: &WebhookId,
        event_id: &str,
    ) -> Result<Option<WebhookDeliveryRow>>;

    /// The attempts of the given deliveries, in order.
    async fn list_webhook_attempts(&self, deliveries: &[i64]) -> Result<Vec<WebhookAttemptRow>>;

    /// Whether any delivery is due at `now` (a cheap read before a claim).
    async fn webhook_delivery_due(&self, now: Timestamp) -> Result<bool>;
}

/// Writes of outgoing webhooks (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait WebhookWriteTx {
    async fn insert_webhook_endpoint(&mut self, row: &WebhookEndpointRow) -> Result<()>;

    /// Marks the endpoint deleted and its pending deliveries dead; false if
    /// it was already deleted or never existed.
    async fn delete_webhook_endpoint(&mut self, id: &WebhookId, at: Timestamp) -> Result<bool>;

    /// One pending delivery per live endpoint subscribed to the event's
    /// type (and, for a scoped endpoint, whose service account is a member
    /// of the event's conversation); returns how many.
    async fn enqueue_webhook_event(&mut self, event: &WebhookEvent<'_>) -> Result<u64>;

    /// Leases up to `limit` due deliveries until `lease_until`: pending,
    /// `next_attempt_at <= now`, not leased (or the lease ran out), each
    /// the oldest pending one of its endpoint and ordering key. Counts one
    /// more attempt on each. Concurrent claimers never get the same one.
    async fn claim_webhook_deliveries(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>>;

    /// Records an attempt and settles the delivery: `Delivered`, `Dead`,
    /// or `Pending` again until `next_attempt_at`. The lease ends.
    async fn finish_webhook_attempt(
        &mut self,
        attempt: &WebhookAttemptRow,
        state: DeliveryState,
        next_attempt_at: Timestamp,
    ) -> Result<()>;

    /// After an attempt settled its delivery (delivered or dead): leases the
    /// next delivery of the same endpoint and ordering key if it is now the
    /// oldest pending one, due and not leased (so one worker carries a
    /// conversation's line on without a fresh claim). `None` for an empty
    /// ordering key, or when the line has nothing due.
    async fn claim_next_in_line(
        &mut self,
        webhook: &WebhookId,
        ordering_key: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<WebhookDeliveryRow>>;

    /// A dead delivery back to pending now (an administrator's redeliver);
    /// false unless it was dead and its endpoint is live.
    async fn redeliver_webhook(
        &mut self,
        webhook: &WebhookId,
        event_id: &str,
        at: Timestamp,
    ) -> Result<bool>;
}
