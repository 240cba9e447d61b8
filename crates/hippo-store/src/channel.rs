//! Rows of the patient channel: patients, WhatsApp templates, the outbox of
//! messages to send, and webhook deliveries waiting to be processed.

use crate::{MessageRow, Result, WhatsappDelivery};
use async_trait::async_trait;
use hippo_core::{ChannelState, ConversationId, MessageId, PatientId, Timestamp, UserId};

/// A patient row. Name, phone, MRN and consent source are sealed with the
/// directory key; phone and MRN are also kept as keyed blind indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRow {
    pub id: PatientId,
    pub display_name_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub phone_index: String,
    pub mrn_enc: Option<Vec<u8>>,
    pub mrn_index: Option<String>,
    pub conversation_id: ConversationId,
    pub whatsapp_opt_in: bool,
    pub opt_in_at: Option<Timestamp>,
    pub opt_in_source_enc: Option<Vec<u8>>,
    pub opt_in_by: Option<UserId>,
    pub opted_out_at: Option<Timestamp>,
    pub phi_request_warning_version: Option<String>,
    pub phi_request_at: Option<Timestamp>,
    pub last_inbound_at: Option<Timestamp>,
    /// State of residence, a US postal code (`CA`), where known.
    pub residence_state: Option<String>,
    /// A VIP: reads from outside the care team raise an alert.
    pub vip: bool,
    /// A member of the organisation's workforce: likewise.
    pub workforce_member: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A message template as last synced from the business account, plus
/// hippo's own mark of whether it is free of PHI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub parameter_count: i64,
    pub body_text: Option<String>,
    pub phi_free: bool,
    pub synced_at: Timestamp,
}

/// Where an outbox job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting for `next_attempt_at`.
    Pending,
    /// Handed to the Cloud API at `attempt_started_at`; the answer is not
    /// recorded yet (in flight, or the process died).
    Sending,
    /// Accepted by the Cloud API (`wamid` recorded). Never sent again.
    Done,
    /// Failed for good, or out of attempts; an operator may retry it.
    Dead,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "sending" => Some(Self::Sending),
            "done" => Some(Self::Done),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// One message to send to a patient over WhatsApp. `payload_enc` (what to
/// send: text or template with parameters) is sealed with the
/// conversation's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxJob {
    pub message_id: MessageId,
    pub patient_id: PatientId,
    pub conversation_id: ConversationId,
    pub payload_enc: Vec<u8>,
    pub state: OutboxState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub attempt_started_at: Option<Timestamp>,
    pub wamid: Option<String>,
    pub last_error_code: Option<i64>,
    pub last_error_title: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// How many jobs are in each state, and the oldest unsent one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sending: i64,
    pub done: i64,
    pub dead: i64,
    /// `created_at` of the oldest pending or sending job.
    pub oldest_unsent_at: Option<Timestamp>,
}

/// A webhook delivery as received. `body_enc` (the raw body, sealed with
/// the directory key) is removed once the delivery is processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRow {
    pub id: String,
    pub received_at: Timestamp,
    pub body_enc: Option<Vec<u8>>,
    /// `pending`, `done` or `rejected`.
    pub state: String,
    pub attempts: i64,
}

/// Reads of the patient channel (part of every [`crate::Store`]).
#[async_trait]
pub trait ChannelStore {
    async fn get_patient(&self, id: &PatientId) -> Result<Option<PatientRow>>;
    async fn get_patient_by_phone_index(&self, phone_index: &str) -> Result<Option<PatientRow>>;
    async fn get_patient_by_conversation(
        &self,
        conversation: &ConversationId,
    ) -> Result<Option<PatientRow>>;
    /// Patients whose conversation `user` is a member of, newest first.
    async fn list_patients_for(&self, user: &UserId) -> Result<Vec<PatientRow>>;
    /// Patients with this MRN blind index (an MRN is not unique across
    /// sources), newest first.
    async fn list_patients_by_mrn_index(&self, mrn_index: &str) -> Result<Vec<PatientRow>>;
    /// Templates ordered by name and language.
    async fn list_templates(&self) -> Result<Vec<TemplateRow>>;
    async fn get_template(&self, name: &str, language: &str) -> Result<Option<TemplateRow>>;
    async fn get_message_by_wamid(&self, wamid: &str) -> Result<Option<MessageRow>>;
    async fn get_outbox_job(&self, message: &MessageId) -> Result<Option<OutboxJob>>;
    /// Jobs in `state`, oldest first.
    async fn list_outbox(&self, state: OutboxState, limit: i64) -> Result<Vec<OutboxJob>>;
    async fn outbox_counts(&self) -> Result<OutboxCounts>;
    /// Webhook deliveries not processed yet, oldest first.
    async fn list_pending_webhooks(&self, limit: i64) -> Result<Vec<WebhookRow>>;
}

/// Writes of the patient channel (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait ChannelWriteTx {
    /// [`crate::StoreError::Conflict`] when the phone number is already a patient's.
    async fn insert_patient(&mut self, patient: &PatientRow) -> Result<()>;
    /// Replaces every mutable field of the patient.
    async fn update_patient(&mut self, patient: &PatientRow) -> Result<()>;
    /// Inserts or refreshes a synced template, keeping its `phi_free` mark.
    async fn upsert_template(&mut self, template: &TemplateRow) -> Result<()>;
    /// False when there is no such template.
    async fn set_template_phi_free(
        &mut self,
        name: &str,
        language: &str,
        phi_free: bool,
    ) -> Result<bool>;
    async fn insert_outbox(&mut self, job: &OutboxJob) -> Result<()>;
    /// Takes up to `limit` jobs that are due (`pending` with
    /// `next_attempt_at <= now`, or `sending` since `in_doubt_before` or
    /// earlier) and marks them `sending` at `now` with one more attempt.
    /// Concurrent claimers (other nodes) never get the same job.
    async fn claim_outbox(
        &mut self,
        now: Timestamp,
        in_doubt_before: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxJob>>;
    /// The Cloud API accepted the job's message: job `done`, the message's
    /// wamid recorded. False if the job was not `sending` or `pending`
    /// (already done: e.g. reconciled from a webhook).
    async fn outbox_accepted(
        &mut self,
        message: &MessageId,
        wamid: &str,
        at: Timestamp,
    ) -> Result<bool>;
    /// Back to `pending` until `next_attempt_at`, with the error seen.
    async fn outbox_retry_later(
        &mut self,
        message: &MessageId,
        next_attempt_at: Timestamp,
        error_code: Option<i64>,
        error_title: &str,
        at: Timestamp,
    ) -> Result<()>;
    /// The job failed for good (`dead`).
    async fn outbox_dead(
        &mut self,
        message: &MessageId,
        error_code: Option<i64>,
        error_title: &str,
        at: Timestamp,
    ) -> Result<()>;
    /// A `dead` job back to `pending` now (an operator's retry); false if
    /// the job is not dead.
    async fn outbox_requeue(&mut self, message: &MessageId, at: Timestamp) -> Result<bool>;
    /// Moves a message's WhatsApp state from `expected` to `delivery`
    /// (compare-and-set); false when it was no longer `expected`.
    async fn set_whatsapp_delivery(
        &mut self,
        message: &MessageId,
        expected: ChannelState,
        delivery: &WhatsappDelivery,
    ) -> Result<bool>;
    /// Records that a status report was applied; false if it already was.
    async fn record_status_event(
        &mut self,
        wamid: &str,
        status: &str,
        reported_at: Option<Timestamp>,
        received_at: Timestamp,
    ) -> Result<bool>;
    /// A message (inbound) by wamid, as seen in this transaction.
    async fn find_message_by_wamid(&mut self, wamid: &str) -> Result<Option<MessageRow>>;
    async fn insert_webhook(&mut self, row: &WebhookRow) -> Result<()>;
    /// Marks a delivery processed (`done` or `rejected`) and drops its body.
    async fn finish_webhook(
        &mut self,
        id: &str,
        state: &str,
        note: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
    /// Counts one failed processing attempt.
    async fn webhook_attempt_failed(&mut self, id: &str) -> Result<i64>;
}
