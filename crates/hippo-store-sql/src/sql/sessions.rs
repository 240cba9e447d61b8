//! Sessions: only the token's SHA-256 is stored; the idle timer
//! (`touch_session`) only moves forward.

use super::{DbRow, DbStore, Tx, col, corrupt, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{Session, SessionId, SessionKind, SessionScope, Timestamp, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;
use sqlx::Row;

pub(super) fn session_from_row(r: &DbRow) -> Result<Session> {
    Ok(Session {
        id: SessionId::from_stored(col(r, "id")?),
        user_id: UserId::from_stored(col(r, "user_id")?),
        scope: SessionScope::parse(&col::<String>(r, "scope")?)
            .ok_or_else(|| corrupt("sessions.scope"))?,
        kind: SessionKind::parse(&col::<String>(r, "kind")?)
            .ok_or_else(|| corrupt("sessions.kind"))?,
        created_at: ts(col(r, "created_at")?),
        last_seen_at: ts(col(r, "last_seen_at")?),
        expires_at: ts(col(r, "expires_at")?),
        ip: col(r, "ip")?,
        user_agent: col(r, "user_agent")?,
        ended_at: col::<Option<i64>>(r, "ended_at")?.map(ts),
        end_reason: col(r, "end_reason")?,
    })
}

#[async_trait]
impl SessionStore for DbStore {
    async fn get_session_by_token_hash(&self, token_hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query(select_sessions!("WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn get_session(&self, id: &SessionId) -> Result<Option<Session>> {
        let row = sqlx::query(select_sessions!("WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn list_open_sessions(&self, user: &UserId) -> Result<Vec<Session>> {
        let rows = sqlx::query(select_sessions!(
            "WHERE user_id = $1 AND ended_at IS NULL AND kind = 'login' ORDER BY created_at, id"
        ))
        .bind(user.as_str())
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(session_from_row).collect()
    }

    async fn list_expired_sessions(
        &self,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> Result<Vec<Session>> {
        let rows = sqlx::query(select_sessions!(
            "WHERE ended_at IS NULL AND (expires_at <= $1 OR (kind = 'login' AND last_seen_at <= \
             $2)) ORDER BY created_at, id"
        ))
        .bind(now.as_millis())
        .bind(idle_since.as_millis())
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(session_from_row).collect()
    }

    async fn touch_session(&self, id: &SessionId, at: Timestamp) -> Result<()> {
        let mut tx = self.begin_tx().await?;
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2 AND \
             ended_at IS NULL",
        )
        .bind(id.as_str())
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await
    }
}

#[async_trait]
impl SessionWriteTx for Tx {
    async fn insert_session(&mut self, s: &Session, token_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, token_hash, scope, created_at, last_seen_at, \
             expires_at, ip, user_agent, ended_at, end_reason, kind) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(s.id.as_str())
        .bind(s.user_id.as_str())
        .bind(token_hash)
        .bind(s.scope.as_str())
        .bind(s.created_at.as_millis())
        .bind(s.last_seen_at.as_millis())
        .bind(s.expires_at.as_millis())
        .bind(&s.ip)
        .bind(&s.user_agent)
        .bind(s.ended_at.map(Timestamp::as_millis))
        .bind(&s.end_reason)
        .bind(s.kind.as_str())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn end_session(&mut self, id: &SessionId, at: Timestamp, reason: &str) -> Result<bool> {
        super::ops::bump_access(self).await?;
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL",
        )
        .bind(id.as_str())
        .bind(at.as_millis())
        .bind(reason)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_user_sessions(
        &mut self,
        user: &UserId,
        keep: Option<&SessionId>,
        at: Timestamp,
        reason: &str,
        api_keys: bool,
    ) -> Result<Vec<SessionId>> {
        super::ops::bump_access(self).await?;
        let rows = sqlx::query(
            "UPDATE sessions SET ended_at = $2, end_reason = $3 \
             WHERE user_id = $1 AND ended_at IS NULL AND ($4 IS NULL OR id <> $4) \
             AND (kind = 'login' OR $5) RETURNING id",
        )
        .bind(user.as_str())
        .bind(at.as_millis())
        .bind(reason)
        .bind(keep.map(SessionId::as_str))
        .bind(api_keys)
        .fetch_all(&mut *self.tx)
        .await
        .db()?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map(SessionId::from_stored).db())
            .collect()
    }
}
