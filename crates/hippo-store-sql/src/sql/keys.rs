//! Data keys wrapped by the master key: creation, rewrapping (master key
//! rotation), and putting the wrapped bytes back after a restore.

use super::{DbRow, DbStore, Tx, col, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::ConversationId;
use hippo_store::Result;
use hippo_store::prelude::*;

pub(super) fn data_key_from_row(r: &DbRow) -> Result<DataKeyRow> {
    Ok(DataKeyRow {
        id: col(r, "id")?,
        purpose: col(r, "purpose")?,
        wrapped: col(r, "wrapped")?,
        master_key_check: col(r, "master_key_check")?,
        created_at: ts(col(r, "created_at")?),
    })
}

#[async_trait]
impl KeyStore for DbStore {
    async fn list_data_keys(&self) -> Result<Vec<DataKeyRow>> {
        let rows = sqlx::query(
            "SELECT id, purpose, wrapped, master_key_check, created_at FROM data_keys ORDER BY \
             created_at, id",
        )
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(data_key_from_row).collect()
    }

    async fn get_data_key(&self, id: &str) -> Result<Option<DataKeyRow>> {
        let row = sqlx::query(
            "SELECT id, purpose, wrapped, master_key_check, created_at FROM data_keys WHERE id = \
             $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(data_key_from_row).transpose()
    }

    async fn live_data_key_ids(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut live = Vec::new();
        for chunk in ids.chunks(500) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql =
                format!("SELECT id FROM data_keys WHERE purpose <> 'destroyed' AND id IN ({list})");
            let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            live.extend(q.fetch_all(self.reader()).await.db()?);
        }
        Ok(live)
    }
}

#[async_trait]
impl KeyWriteTx for Tx {
    async fn insert_data_key(&mut self, k: &DataKeyRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO data_keys (id, purpose, wrapped, master_key_check, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&k.id)
        .bind(&k.purpose)
        .bind(&k.wrapped)
        .bind(&k.master_key_check)
        .bind(k.created_at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn rewrap_data_key(&mut self, id: &str, wrapped: &[u8], check: &str) -> Result<()> {
        let done =
            sqlx::query("UPDATE data_keys SET wrapped = $2, master_key_check = $3 WHERE id = $1")
                .bind(id)
                .bind(wrapped)
                .bind(check)
                .execute(&mut *self.tx)
                .await
                .db()?;
        if done.rows_affected() != 1 {
            return Err(hippo_store::StoreError::Other(format!(
                "data key {id} vanished"
            )));
        }
        Ok(())
    }

    async fn restore_data_keys(&mut self, keys: &[DataKeyRow]) -> Result<Vec<String>> {
        // A restore replaces sessions and memberships wholesale.
        super::ops::bump_access(self).await?;
        for key in keys {
            sqlx::query(
                "UPDATE data_keys SET wrapped = $2, master_key_check = $3 WHERE id = $1 AND \
                 purpose <> 'destroyed'",
            )
            .bind(&key.id)
            .bind(&key.wrapped)
            .bind(&key.master_key_check)
            .execute(&mut *self.tx)
            .await
            .db()?;
        }
        let gone: Vec<String> = sqlx::query_scalar(
            "UPDATE data_keys SET purpose = 'destroyed' WHERE length(wrapped) = 0 AND purpose <> \
             'destroyed' RETURNING id",
        )
        .fetch_all(&mut *self.tx)
        .await
        .db()?;
        Ok(gone)
    }

    async fn conversations_with_keys(&mut self, ids: &[String]) -> Result<Vec<ConversationId>> {
        let mut out = Vec::new();
        for id in ids {
            let found: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM conversations WHERE data_key_id = $1 AND erased_at IS NULL",
            )
            .bind(id)
            .fetch_all(&mut *self.tx)
            .await
            .db()?;
            out.extend(found.into_iter().map(ConversationId::from_stored));
        }
        Ok(out)
    }
}
