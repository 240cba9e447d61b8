//! API keys: a session row of kind `api_key` plus its `api_keys` row
//! (name, allowed networks, client certificate), read together.

use super::sessions::session_from_row;
use super::{DbRow, DbStore, Tx, col, corrupt};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{Session, SessionId, UserId};
use hippo_store::Result;
use hippo_store::prelude::*;

const SELECT_KEYS: &str = "SELECT s.id, s.user_id, s.scope, s.created_at, s.last_seen_at, \
     s.expires_at, s.ip, s.user_agent, s.ended_at, s.end_reason, s.kind, k.name, k.allowed_ips, \
     k.client_cert_sha256, k.created_by FROM api_keys k JOIN sessions s ON s.id = k.id ";

fn key_from_row(r: &DbRow) -> Result<ApiKeyWithSession> {
    let session = session_from_row(r)?;
    let allowed_ips: Vec<String> = serde_json::from_str(&col::<String>(r, "allowed_ips")?)
        .map_err(|_| corrupt("api_keys.allowed_ips"))?;
    Ok(ApiKeyWithSession {
        key: ApiKeyRow {
            id: session.id.clone(),
            user_id: session.user_id.clone(),
            name: col(r, "name")?,
            allowed_ips,
            client_cert_sha256: col(r, "client_cert_sha256")?,
            created_by: col::<Option<String>>(r, "created_by")?.map(UserId::from_stored),
        },
        session,
    })
}

#[async_trait]
impl ApiKeyStore for DbStore {
    async fn get_api_key(&self, id: &SessionId) -> Result<Option<ApiKeyWithSession>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_KEYS} WHERE k.id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn list_api_keys(&self, user: &UserId) -> Result<Vec<ApiKeyWithSession>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_KEYS} WHERE k.user_id = $1 ORDER BY s.created_at, s.id"
        )))
        .bind(user.as_str())
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(key_from_row).collect()
    }
}

#[async_trait]
impl ApiKeyWriteTx for Tx {
    async fn insert_api_key(
        &mut self,
        key: &ApiKeyRow,
        session: &Session,
        token_hash: &str,
    ) -> Result<()> {
        self.insert_session(session, token_hash).await?;
        let allowed = serde_json::to_string(&key.allowed_ips)
            .map_err(|e| hippo_store::StoreError::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO api_keys (id, user_id, name, allowed_ips, client_cert_sha256, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key.id.as_str())
        .bind(key.user_id.as_str())
        .bind(&key.name)
        .bind(allowed)
        .bind(&key.client_cert_sha256)
        .bind(key.created_by.as_ref().map(UserId::as_str))
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }
}
