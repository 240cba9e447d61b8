//! The patient channel's rows (patients, WhatsApp templates, outbox jobs,
//! webhook deliveries) and its reads; the writes are in `channel_write.rs`.

use super::conversations::message_from_row;
use super::{DbRow, DbStore, col, corrupt, opt_ts, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{ConversationId, MessageId, PatientId, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;
use sqlx::Row;

const SELECT_PATIENTS: &str = "SELECT id, display_name_enc, phone_enc, phone_index, mrn_enc, \
     mrn_index, \
    conversation_id, whatsapp_opt_in, opt_in_at, opt_in_source_enc, opt_in_by, opted_out_at, \
    phi_request_warning_version, phi_request_at, last_inbound_at, created_by, created_at, \
    updated_at, residence_state, vip, workforce_member \
    FROM patients ";

const SELECT_TEMPLATES: &str = "SELECT name, language, category, status, parameter_count, \
     body_text, \
    phi_free, synced_at FROM whatsapp_templates ";

pub(super) const OUTBOX_COLUMNS: &str = "message_id, patient_id, conversation_id, payload_enc, \
     state, attempts, \
    next_attempt_at, attempt_started_at, wamid, last_error_code, last_error_title, created_at, \
    updated_at";

fn patient_from_row(r: &DbRow) -> Result<PatientRow> {
    Ok(PatientRow {
        id: PatientId::from_stored(col(r, "id")?),
        display_name_enc: col(r, "display_name_enc")?,
        phone_enc: col(r, "phone_enc")?,
        phone_index: col(r, "phone_index")?,
        mrn_enc: col(r, "mrn_enc")?,
        mrn_index: col(r, "mrn_index")?,
        conversation_id: ConversationId::from_stored(col(r, "conversation_id")?),
        whatsapp_opt_in: col(r, "whatsapp_opt_in")?,
        opt_in_at: opt_ts(r, "opt_in_at")?,
        opt_in_source_enc: col(r, "opt_in_source_enc")?,
        opt_in_by: col::<Option<String>>(r, "opt_in_by")?.map(UserId::from_stored),
        opted_out_at: opt_ts(r, "opted_out_at")?,
        phi_request_warning_version: col(r, "phi_request_warning_version")?,
        phi_request_at: opt_ts(r, "phi_request_at")?,
        last_inbound_at: opt_ts(r, "last_inbound_at")?,
        residence_state: col(r, "residence_state")?,
        vip: col(r, "vip")?,
        workforce_member: col(r, "workforce_member")?,
        created_by: UserId::from_stored(col(r, "created_by")?),
        created_at: ts(col(r, "created_at")?),
        updated_at: ts(col(r, "updated_at")?),
    })
}

fn template_from_row(r: &DbRow) -> Result<TemplateRow> {
    Ok(TemplateRow {
        name: col(r, "name")?,
        language: col(r, "language")?,
        category: col(r, "category")?,
        status: col(r, "status")?,
        parameter_count: col(r, "parameter_count")?,
        body_text: col(r, "body_text")?,
        phi_free: col(r, "phi_free")?,
        synced_at: ts(col(r, "synced_at")?),
    })
}

pub(super) fn outbox_from_row(r: &DbRow) -> Result<OutboxJob> {
    Ok(OutboxJob {
        message_id: MessageId::from_stored(col(r, "message_id")?),
        patient_id: PatientId::from_stored(col(r, "patient_id")?),
        conversation_id: ConversationId::from_stored(col(r, "conversation_id")?),
        payload_enc: col(r, "payload_enc")?,
        state: OutboxState::parse(&col::<String>(r, "state")?)
            .ok_or_else(|| corrupt("whatsapp_outbox.state"))?,
        attempts: col(r, "attempts")?,
        next_attempt_at: ts(col(r, "next_attempt_at")?),
        attempt_started_at: opt_ts(r, "attempt_started_at")?,
        wamid: col(r, "wamid")?,
        last_error_code: col(r, "last_error_code")?,
        last_error_title: col(r, "last_error_title")?,
        created_at: ts(col(r, "created_at")?),
        updated_at: ts(col(r, "updated_at")?),
    })
}

fn webhook_from_row(r: &DbRow) -> Result<WebhookRow> {
    Ok(WebhookRow {
        id: col(r, "id")?,
        received_at: ts(col(r, "received_at")?),
        body_enc: col(r, "body_enc")?,
        state: col(r, "state")?,
        attempts: col(r, "attempts")?,
    })
}

#[async_trait]
impl ChannelStore for DbStore {
    async fn get_patient(&self, id: &PatientId) -> Result<Option<PatientRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_PATIENTS} WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(patient_from_row).transpose()
    }

    async fn get_patient_by_phone_index(&self, phone_index: &str) -> Result<Option<PatientRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_PATIENTS} WHERE phone_index = $1"
        )))
        .bind(phone_index)
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(patient_from_row).transpose()
    }

    async fn get_patient_by_conversation(&self, c: &ConversationId) -> Result<Option<PatientRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_PATIENTS} WHERE conversation_id = $1"
        )))
        .bind(c.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(patient_from_row).transpose()
    }

    async fn list_patients_by_mrn_index(&self, mrn_index: &str) -> Result<Vec<PatientRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_PATIENTS} WHERE mrn_index = $1 ORDER BY created_at DESC, id DESC LIMIT 20"
        )))
        .bind(mrn_index)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(patient_from_row).collect()
    }

    async fn list_patients_for(&self, user: &UserId) -> Result<Vec<PatientRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_PATIENTS} WHERE conversation_id IN \
             (SELECT conversation_id FROM conversation_members WHERE user_id = $1) \
             ORDER BY created_at DESC, id DESC"
        )))
        .bind(user.as_str())
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(patient_from_row).collect()
    }

    async fn list_templates(&self) -> Result<Vec<TemplateRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_TEMPLATES} ORDER BY name, language"
        )))
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(template_from_row).collect()
    }

    async fn get_template(&self, name: &str, language: &str) -> Result<Option<TemplateRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_TEMPLATES} WHERE name = $1 AND language = $2"
        )))
        .bind(name)
        .bind(language)
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(template_from_row).transpose()
    }

    async fn get_message_by_wamid(&self, wamid: &str) -> Result<Option<MessageRow>> {
        let row = sqlx::query(select_messages!("WHERE wamid = $1"))
            .bind(wamid)
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn get_outbox_job(&self, message: &MessageId) -> Result<Option<OutboxJob>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM whatsapp_outbox WHERE message_id = $1"
        )))
        .bind(message.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(outbox_from_row).transpose()
    }

    async fn list_outbox(&self, state: OutboxState, limit: i64) -> Result<Vec<OutboxJob>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM whatsapp_outbox WHERE state = $1 \
             ORDER BY created_at, message_id LIMIT $2"
        )))
        .bind(state.as_str())
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(outbox_from_row).collect()
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*), MIN(created_at) FROM whatsapp_outbox GROUP BY state",
        )
        .fetch_all(self.reader())
        .await
        .db()?;
        let mut counts = OutboxCounts::default();
        for r in &rows {
            let state: String = r.try_get(0).db()?;
            let n: i64 = r.try_get(1).db()?;
            let oldest: Option<i64> = r.try_get(2).db()?;
            match OutboxState::parse(&state).ok_or_else(|| corrupt("whatsapp_outbox.state"))? {
                OutboxState::Pending => counts.pending = n,
                OutboxState::Sending => counts.sending = n,
                OutboxState::Done => counts.done = n,
                OutboxState::Dead => counts.dead = n,
            }
            if matches!(state.as_str(), "pending" | "sending")
                && let Some(at) = oldest
            {
                let at = ts(at);
                counts.oldest_unsent_at = Some(counts.oldest_unsent_at.map_or(at, |o| o.min(at)));
            }
        }
        Ok(counts)
    }

    async fn list_pending_webhooks(&self, limit: i64) -> Result<Vec<WebhookRow>> {
        let rows = sqlx::query(
            "SELECT id, received_at, body_enc, state, attempts FROM whatsapp_webhook_inbox \
             WHERE state = 'pending' ORDER BY received_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(webhook_from_row).collect()
    }
}
