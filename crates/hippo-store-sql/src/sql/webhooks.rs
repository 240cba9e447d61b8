//! Outgoing webhooks: endpoints, their subscriptions, and the delivery
//! outbox with its attempts. Enqueueing is one `INSERT … SELECT` over the
//! subscriptions, inside the caller's transaction; claiming leases the
//! oldest pending delivery of each endpoint and ordering key.

use super::{BACKEND, DbRow, DbStore, Tx, col, corrupt, opt_ts, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{Timestamp, UserId, WebhookId};
use hippo_store::prelude::*;
use hippo_store::{Result, StoreError};

const SELECT_ENDPOINTS: &str = "SELECT id, url, events, secret_enc, service_account_id, \
     created_by, created_at, deleted_at FROM webhook_endpoints ";

const DELIVERY_COLUMNS: &str = "seq, webhook_id, event_id, event_type, ordering_key, payload, \
     created_at, state, attempts, attempts_before, next_attempt_at, lease_until, last_status, \
     last_error, delivered_at";

fn endpoint_from_row(r: &DbRow) -> Result<WebhookEndpointRow> {
    let events: Vec<String> = serde_json::from_str(&col::<String>(r, "events")?)
        .map_err(|_| corrupt("webhook_endpoints.events"))?;
    Ok(WebhookEndpointRow {
        id: WebhookId::from_stored(col(r, "id")?),
        url: col(r, "url")?,
        events,
        secret_enc: col(r, "secret_enc")?,
        service_account_id: col::<Option<String>>(r, "service_account_id")?
            .map(UserId::from_stored),
        created_by: col::<Option<String>>(r, "created_by")?.map(UserId::from_stored),
        created_at: ts(col(r, "created_at")?),
        deleted_at: opt_ts(r, "deleted_at")?,
    })
}

fn delivery_from_row(r: &DbRow) -> Result<WebhookDeliveryRow> {
    Ok(WebhookDeliveryRow {
        seq: col(r, "seq")?,
        webhook_id: WebhookId::from_stored(col(r, "webhook_id")?),
        event_id: col(r, "event_id")?,
        event_type: col(r, "event_type")?,
        ordering_key: col(r, "ordering_key")?,
        payload: col(r, "payload")?,
        created_at: ts(col(r, "created_at")?),
        state: DeliveryState::parse(&col::<String>(r, "state")?)
            .ok_or_else(|| corrupt("webhook_deliveries.state"))?,
        attempts: col(r, "attempts")?,
        attempts_before: col(r, "attempts_before")?,
        next_attempt_at: ts(col(r, "next_attempt_at")?),
        lease_until: opt_ts(r, "lease_until")?,
        last_status: col(r, "last_status")?,
        last_error: col(r, "last_error")?,
        delivered_at: opt_ts(r, "delivered_at")?,
    })
}

#[async_trait]
impl WebhookStore for DbStore {
    async fn get_webhook_endpoint(&self, id: &WebhookId) -> Result<Option<WebhookEndpointRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_ENDPOINTS} WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(endpoint_from_row).transpose()
    }

    async fn list_webhook_endpoints(&self) -> Result<Vec<WebhookEndpointRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_ENDPOINTS} WHERE deleted_at IS NULL ORDER BY created_at, id"
        )))
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(endpoint_from_row).collect()
    }

    async fn list_webhook_deliveries(
        &self,
        webhook: &WebhookId,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
             AND ($2 IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3"
        )))
        .bind(webhook.as_str())
        .bind(before_seq)
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn get_webhook_delivery(
        &self,
        webhook: &WebhookId,
        event_id: &str,
    ) -> Result<Option<WebhookDeliveryRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
             AND event_id = $2"
        )))
        .bind(webhook.as_str())
        .bind(event_id)
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    async fn list_webhook_attempts(&self, deliveries: &[i64]) -> Result<Vec<WebhookAttemptRow>> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        // One query for a page of deliveries: `$1, $2, …` (a page is at
        // most a few hundred).
        let placeholders = (1..=deliveries.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT delivery_seq, attempt, at, status, error, duration_ms FROM webhook_attempts \
             WHERE delivery_seq IN ({placeholders}) ORDER BY delivery_seq, attempt"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for seq in deliveries {
            query = query.bind(seq);
        }
        let rows = query.fetch_all(self.reader()).await.db()?;
        rows.iter()
            .map(|r| {
                Ok(WebhookAttemptRow {
                    delivery_seq: col(r, "delivery_seq")?,
                    attempt: col(r, "attempt")?,
                    at: ts(col(r, "at")?),
                    status: col(r, "status")?,
                    error: col(r, "error")?,
                    duration_ms: col(r, "duration_ms")?,
                })
            })
            .collect()
    }

    async fn webhook_delivery_due(&self, now: Timestamp) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT seq FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) LIMIT 1",
        )
        .bind(now.as_millis())
        .fetch_optional(self.reader())
        .await
        .db()?;
        Ok(found.is_some())
    }
}

#[async_trait]
impl WebhookWriteTx for Tx {
    async fn insert_webhook_endpoint(&mut self, w: &WebhookEndpointRow) -> Result<()> {
        let events =
            serde_json::to_string(&w.events).map_err(|e| StoreError::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, url, events, secret_enc, service_account_id, \
             created_by, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(w.id.as_str())
        .bind(&w.url)
        .bind(events)
        .bind(&w.secret_enc)
        .bind(w.service_account_id.as_ref().map(UserId::as_str))
        .bind(w.created_by.as_ref().map(UserId::as_str))
        .bind(w.created_at.as_millis())
        .bind(w.deleted_at.map(Timestamp::as_millis))
        .execute(&mut *self.tx)
        .await
        .db()?;
        for event in &w.events {
            sqlx::query(
                "INSERT INTO webhook_subscriptions (event_type, webhook_id) VALUES ($1, $2)",
            )
            .bind(event)
            .bind(w.id.as_str())
            .execute(&mut *self.tx)
            .await
            .db()?;
        }
        Ok(())
    }

    async fn delete_webhook_endpoint(&mut self, id: &WebhookId, at: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(id.as_str())
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM webhook_subscriptions WHERE webhook_id = $1")
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await
            .db()?;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'dead', lease_until = NULL, \
             last_error = 'endpoint deleted' WHERE webhook_id = $1 AND state = 'pending'",
        )
        .bind(id.as_str())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(true)
    }

    async fn enqueue_webhook_event(&mut self, e: &WebhookEvent<'_>) -> Result<u64> {
        let conversation = e.conversation_id.map(|c| c.as_str());
        let done = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, ordering_key, \
             payload, created_at, state, attempts, attempts_before, next_attempt_at) \
             SELECT w.id, $1, $2, $3, $4, $5, 'pending', 0, 0, $5 \
             FROM webhook_subscriptions s JOIN webhook_endpoints w ON w.id = s.webhook_id \
             WHERE s.event_type = $2 AND w.deleted_at IS NULL \
             AND (w.service_account_id IS NULL OR EXISTS (SELECT 1 FROM conversation_members m \
                  WHERE m.conversation_id = $6 AND m.user_id = w.service_account_id))",
        )
        .bind(e.event_id)
        .bind(e.event_type)
        .bind(conversation.unwrap_or(""))
        .bind(e.payload)
        .bind(e.at.as_millis())
        .bind(conversation)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected())
    }

    async fn claim_webhook_deliveries(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>> {
        // PostgreSQL: rows another node is claiming are skipped, not waited
        // for; the line check still sees them pending, so a claimer never
        // jumps ahead of an older delivery of the same conversation.
        let lock = if BACKEND == "postgres" {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_deliveries SET lease_until = $2, attempts = attempts + 1 \
             WHERE seq IN (SELECT d.seq FROM webhook_deliveries d \
               WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
               AND (d.lease_until IS NULL OR d.lease_until <= $1) \
               AND (d.ordering_key = '' OR NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
                    WHERE e.webhook_id = d.webhook_id AND e.ordering_key = d.ordering_key \
                    AND e.state = 'pending' AND e.seq < d.seq)) \
               ORDER BY d.seq LIMIT $3 {lock}) \
             RETURNING {DELIVERY_COLUMNS}"
        )))
        .bind(now.as_millis())
        .bind(lease_until.as_millis())
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await
        .db()?;
        let mut out = rows
            .iter()
            .map(delivery_from_row)
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|d| d.seq);
        Ok(out)
    }

    async fn finish_webhook_attempt(
        &mut self,
        a: &WebhookAttemptRow,
        state: DeliveryState,
        next_attempt_at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_seq, attempt, at, status, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(a.delivery_seq)
        .bind(a.attempt)
        .bind(a.at.as_millis())
        .bind(a.status)
        .bind(&a.error)
        .bind(a.duration_ms)
        .execute(&mut *self.tx)
        .await
        .db()?;
        let delivered = (state == DeliveryState::Delivered).then_some(a.at.as_millis());
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $2, next_attempt_at = $3, lease_until = NULL, \
             last_status = $4, last_error = $5, delivered_at = COALESCE($6, delivered_at) \
             WHERE seq = $1 AND state = 'pending'",
        )
        .bind(a.delivery_seq)
        .bind(state.as_str())
        .bind(next_attempt_at.as_millis())
        .bind(a.status)
        .bind(&a.error)
        .bind(delivered)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn claim_next_in_line(
        &mut self,
        webhook: &WebhookId,
        ordering_key: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<WebhookDeliveryRow>> {
        if ordering_key.is_empty() {
            return Ok(None);
        }
        // The line's oldest pending delivery, whether due or not: only it
        // may go next (an older one waiting for its retry holds the line).
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_deliveries SET lease_until = $4, attempts = attempts + 1 \
             WHERE seq = (SELECT seq FROM webhook_deliveries WHERE webhook_id = $1 \
                          AND ordering_key = $2 AND state = 'pending' ORDER BY seq LIMIT 1) \
             AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
             RETURNING {DELIVERY_COLUMNS}"
        )))
        .bind(webhook.as_str())
        .bind(ordering_key)
        .bind(now.as_millis())
        .bind(lease_until.as_millis())
        .fetch_optional(&mut *self.tx)
        .await
        .db()?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    async fn redeliver_webhook(
        &mut self,
        webhook: &WebhookId,
        event_id: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $3, \
             lease_until = NULL, attempts_before = attempts \
             WHERE webhook_id = $1 AND event_id = $2 AND state = 'dead' \
             AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = $1 \
                         AND w.deleted_at IS NULL)",
        )
        .bind(webhook.as_str())
        .bind(event_id)
        .bind(at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }
}
