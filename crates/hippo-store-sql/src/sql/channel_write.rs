//! Writes of the patient channel: patients, templates, the WhatsApp outbox
//! (claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so nodes never
//! take the same job), message delivery states, status reports (applied
//! once each) and the webhook inbox.

use super::channel::{OUTBOX_COLUMNS, outbox_from_row};
use super::conversations::message_from_row;
use super::{BACKEND, Tx};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{ChannelState, MessageId, Timestamp, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;
use sqlx::Row;

/// Binds every patient column in `SELECT_PATIENTS` order.
macro_rules! bind_patient {
    ($q:expr, $p:expr) => {
        $q.bind($p.id.as_str())
            .bind(&$p.display_name_enc)
            .bind(&$p.phone_enc)
            .bind(&$p.phone_index)
            .bind(&$p.mrn_enc)
            .bind(&$p.mrn_index)
            .bind($p.conversation_id.as_str())
            .bind($p.whatsapp_opt_in)
            .bind($p.opt_in_at.map(Timestamp::as_millis))
            .bind(&$p.opt_in_source_enc)
            .bind($p.opt_in_by.as_ref().map(UserId::as_str))
            .bind($p.opted_out_at.map(Timestamp::as_millis))
            .bind(&$p.phi_request_warning_version)
            .bind($p.phi_request_at.map(Timestamp::as_millis))
            .bind($p.last_inbound_at.map(Timestamp::as_millis))
            .bind($p.created_by.as_str())
            .bind($p.created_at.as_millis())
            .bind($p.updated_at.as_millis())
            .bind(&$p.residence_state)
            .bind($p.vip)
            .bind($p.workforce_member)
    };
}

#[async_trait]
impl ChannelWriteTx for Tx {
    async fn insert_patient(&mut self, p: &PatientRow) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO patients (id, display_name_enc, phone_enc, phone_index, mrn_enc, \
             mrn_index, \
             conversation_id, whatsapp_opt_in, opt_in_at, opt_in_source_enc, opt_in_by, \
             opted_out_at, \
             phi_request_warning_version, phi_request_at, last_inbound_at, created_by, created_at, \
             updated_at, residence_state, vip, workforce_member) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21)",
        );
        bind_patient!(q, p).execute(&mut *self.tx).await.db()?;
        Ok(())
    }

    async fn update_patient(&mut self, p: &PatientRow) -> Result<()> {
        let q = sqlx::query(
            "UPDATE patients SET display_name_enc = $2, phone_enc = $3, phone_index = $4, mrn_enc \
             = $5, \
             mrn_index = $6, conversation_id = $7, whatsapp_opt_in = $8, opt_in_at = $9, \
             opt_in_source_enc = $10, opt_in_by = $11, opted_out_at = $12, \
             phi_request_warning_version = $13, \
             phi_request_at = $14, last_inbound_at = $15, created_by = $16, created_at = $17, \
             updated_at = $18, residence_state = $19, vip = $20, workforce_member = $21 \
             WHERE id = $1",
        );
        bind_patient!(q, p).execute(&mut *self.tx).await.db()?;
        Ok(())
    }

    async fn upsert_template(&mut self, t: &TemplateRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO whatsapp_templates (name, language, category, status, parameter_count, \
             body_text, \
             phi_free, synced_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (name, language) DO UPDATE SET category = excluded.category, \
             status = excluded.status, parameter_count = excluded.parameter_count, \
             body_text = excluded.body_text, synced_at = excluded.synced_at",
        )
        .bind(&t.name)
        .bind(&t.language)
        .bind(&t.category)
        .bind(&t.status)
        .bind(t.parameter_count)
        .bind(&t.body_text)
        .bind(t.phi_free)
        .bind(t.synced_at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn set_template_phi_free(
        &mut self,
        name: &str,
        language: &str,
        phi_free: bool,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE whatsapp_templates SET phi_free = $3 WHERE name = $1 AND language = $2",
        )
        .bind(name)
        .bind(language)
        .bind(phi_free)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_outbox(&mut self, j: &OutboxJob) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO whatsapp_outbox ({OUTBOX_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(j.message_id.as_str())
        .bind(j.patient_id.as_str())
        .bind(j.conversation_id.as_str())
        .bind(&j.payload_enc)
        .bind(j.state.as_str())
        .bind(j.attempts)
        .bind(j.next_attempt_at.as_millis())
        .bind(j.attempt_started_at.map(Timestamp::as_millis))
        .bind(&j.wamid)
        .bind(j.last_error_code)
        .bind(&j.last_error_title)
        .bind(j.created_at.as_millis())
        .bind(j.updated_at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn claim_outbox(
        &mut self,
        now: Timestamp,
        in_doubt_before: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxJob>> {
        // PostgreSQL: rows another node is claiming are skipped, not
        // waited for. SQLite has one writer at a time anyway.
        let lock = if BACKEND == "postgres" {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE whatsapp_outbox SET state = 'sending', attempt_started_at = $1, \
             attempts = attempts + 1, updated_at = $1 \
             WHERE message_id IN (SELECT message_id FROM whatsapp_outbox \
               WHERE (state = 'pending' AND next_attempt_at <= $1) \
                  OR (state = 'sending' AND attempt_started_at <= $2) \
               ORDER BY next_attempt_at, message_id LIMIT $3 {lock}) \
             RETURNING {OUTBOX_COLUMNS}"
        )))
        .bind(now.as_millis())
        .bind(in_doubt_before.as_millis())
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await
        .db()?;
        let mut jobs = rows
            .iter()
            .map(outbox_from_row)
            .collect::<Result<Vec<_>>>()?;
        jobs.sort_by(|a, b| (a.created_at, &a.message_id).cmp(&(b.created_at, &b.message_id)));
        Ok(jobs)
    }

    async fn outbox_accepted(
        &mut self,
        message: &MessageId,
        wamid: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE whatsapp_outbox SET state = 'done', wamid = $2, updated_at = $3 \
             WHERE message_id = $1 AND state <> 'done'",
        )
        .bind(message.as_str())
        .bind(wamid)
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE messages SET wamid = $2 WHERE id = $1 AND wamid IS NULL")
            .bind(message.as_str())
            .bind(wamid)
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(true)
    }

    async fn outbox_retry_later(
        &mut self,
        message: &MessageId,
        next_attempt_at: Timestamp,
        error_code: Option<i64>,
        error_title: &str,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE whatsapp_outbox SET state = 'pending', next_attempt_at = $2, last_error_code = \
             $3, \
             last_error_title = $4, updated_at = $5 WHERE message_id = $1 AND state = 'sending'",
        )
        .bind(message.as_str())
        .bind(next_attempt_at.as_millis())
        .bind(error_code)
        .bind(error_title)
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn outbox_dead(
        &mut self,
        message: &MessageId,
        error_code: Option<i64>,
        error_title: &str,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE whatsapp_outbox SET state = 'dead', last_error_code = $2, last_error_title = \
             $3, \
             updated_at = $4 WHERE message_id = $1 AND state <> 'done'",
        )
        .bind(message.as_str())
        .bind(error_code)
        .bind(error_title)
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn outbox_requeue(&mut self, message: &MessageId, at: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE whatsapp_outbox SET state = 'pending', next_attempt_at = $2, attempts = 0, \
             updated_at = $2 \
             WHERE message_id = $1 AND state = 'dead'",
        )
        .bind(message.as_str())
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_whatsapp_delivery(
        &mut self,
        message: &MessageId,
        expected: ChannelState,
        d: &WhatsappDelivery,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE messages SET channel_state = $3, channel_updated_at = $4, channel_error_code = \
             $5, \
             channel_error_title = $6, wamid = COALESCE(wamid, $7) \
             WHERE id = $1 AND channel = 'whatsapp' AND channel_state = $2",
        )
        .bind(message.as_str())
        .bind(expected.as_str())
        .bind(d.state.as_str())
        .bind(d.updated_at.as_millis())
        .bind(d.error_code)
        .bind(&d.error_title)
        .bind(&d.wamid)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_status_event(
        &mut self,
        wamid: &str,
        status: &str,
        reported_at: Option<Timestamp>,
        received_at: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO whatsapp_status_events (wamid, status, reported_at, received_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (wamid, status) DO NOTHING",
        )
        .bind(wamid)
        .bind(status)
        .bind(reported_at.map(Timestamp::as_millis))
        .bind(received_at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn find_message_by_wamid(&mut self, wamid: &str) -> Result<Option<MessageRow>> {
        let row = sqlx::query(select_messages!("WHERE wamid = $1"))
            .bind(wamid)
            .fetch_optional(&mut *self.tx)
            .await
            .db()?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn insert_webhook(&mut self, w: &WebhookRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO whatsapp_webhook_inbox (id, received_at, body_enc, state, attempts) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&w.id)
        .bind(w.received_at.as_millis())
        .bind(&w.body_enc)
        .bind(&w.state)
        .bind(w.attempts)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn finish_webhook(
        &mut self,
        id: &str,
        state: &str,
        note: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE whatsapp_webhook_inbox SET state = $2, note = $3, processed_at = $4, body_enc \
             = NULL \
             WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(note)
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn webhook_attempt_failed(&mut self, id: &str) -> Result<i64> {
        let row = sqlx::query(
            "UPDATE whatsapp_webhook_inbox SET attempts = attempts + 1 WHERE id = $1 RETURNING \
             attempts",
        )
        .bind(id)
        .fetch_one(&mut *self.tx)
        .await
        .db()?;
        row.try_get(0).db()
    }
}
