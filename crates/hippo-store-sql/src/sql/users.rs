//! Users: the account row and its sign-in counters (failed logins, the
//! last accepted TOTP step).

use super::{BACKEND, DbRow, DbStore, Tx, col, corrupt, ts};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::{Role, Timestamp, UserId, UserStatus};
use hippo_store::Result;
use hippo_store::prelude::*;
use sqlx::Row;

const SELECT_USER_BY_ID: &str = select_users!("WHERE id = $1");

fn user_from_row(r: &DbRow) -> Result<UserRow> {
    Ok(UserRow {
        id: UserId::from_stored(col(r, "id")?),
        username_index: col(r, "username_index")?,
        username_enc: col(r, "username_enc")?,
        display_name_enc: col(r, "display_name_enc")?,
        role: Role::parse(&col::<String>(r, "role")?).ok_or_else(|| corrupt("users.role"))?,
        status: UserStatus::parse(&col::<String>(r, "status")?)
            .ok_or_else(|| corrupt("users.status"))?,
        password_hash: col(r, "password_hash")?,
        must_change_password: col(r, "must_change_password")?,
        mfa_enabled: col(r, "mfa_enabled")?,
        mfa_secret_enc: col(r, "mfa_secret_enc")?,
        mfa_pending_secret_enc: col(r, "mfa_pending_secret_enc")?,
        totp_last_step: col(r, "totp_last_step")?,
        mfa_recovery_enc: col(r, "mfa_recovery_enc")?,
        failed_logins: col(r, "failed_logins")?,
        locked_until: col::<Option<i64>>(r, "locked_until")?.map(ts),
        created_at: ts(col(r, "created_at")?),
        updated_at: ts(col(r, "updated_at")?),
    })
}

/// Marks the directory changed (names, roles or statuses), so every
/// node's in-memory index reloads. The version is a fresh random token,
/// not a counter, so a restored database never repeats a version a running
/// node already holds.
fn bump_directory(only_if_changed: bool) -> &'static str {
    match (BACKEND == "postgres", only_if_changed) {
        (true, false) => {
            "UPDATE meta SET value = md5(random()::text || clock_timestamp()::text) \
             WHERE key = 'directory_version'"
        }
        (false, false) => {
            "UPDATE meta SET value = lower(hex(randomblob(16))) WHERE key = 'directory_version'"
        }
        (true, true) => {
            "UPDATE meta SET value = md5(random()::text || clock_timestamp()::text) \
             WHERE key = 'directory_version' AND EXISTS (SELECT 1 FROM users WHERE id = $1 \
             AND (username_enc <> $2 OR display_name_enc <> $3 OR role <> $4 OR status <> $5))"
        }
        (false, true) => {
            "UPDATE meta SET value = lower(hex(randomblob(16))) \
             WHERE key = 'directory_version' AND EXISTS (SELECT 1 FROM users WHERE id = $1 \
             AND (username_enc <> $2 OR display_name_enc <> $3 OR role <> $4 OR status <> $5))"
        }
    }
}

/// Bumps [`hippo_store::ACCESS_VERSION_KEY`] if the account changes in
/// anything a cached session carries or an access check reads (not the
/// sign-in counters). Run before the update, like [`bump_directory`].
fn bump_access_if_changed() -> &'static str {
    if BACKEND == "postgres" {
        "INSERT INTO meta (key, value) SELECT 'access_version', \
         md5(random()::text || clock_timestamp()::text) \
         WHERE EXISTS (SELECT 1 FROM users WHERE id = $1 AND (username_enc <> $2 \
         OR display_name_enc <> $3 OR role <> $4 OR status <> $5 OR password_hash <> $6 \
         OR must_change_password <> $7 OR mfa_enabled <> $8)) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    } else {
        "INSERT INTO meta (key, value) SELECT 'access_version', lower(hex(randomblob(16))) \
         WHERE EXISTS (SELECT 1 FROM users WHERE id = $1 AND (username_enc <> $2 \
         OR display_name_enc <> $3 OR role <> $4 OR status <> $5 OR password_hash <> $6 \
         OR must_change_password <> $7 OR mfa_enabled <> $8)) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    }
}

#[async_trait]
impl UserStore for DbStore {
    async fn get_user(&self, id: &UserId) -> Result<Option<UserRow>> {
        let row = sqlx::query(SELECT_USER_BY_ID)
            .bind(id.as_str())
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn get_user_by_index(&self, username_index: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(select_users!("WHERE username_index = $1"))
            .bind(username_index)
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(select_users!("ORDER BY created_at, id"))
            .fetch_all(self.reader())
            .await
            .db()?;
        rows.iter().map(user_from_row).collect()
    }
}

#[async_trait]
impl UserWriteTx for Tx {
    async fn get_user(&mut self, id: &UserId) -> Result<Option<UserRow>> {
        let row = sqlx::query(SELECT_USER_BY_ID)
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .db()?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn insert_user(&mut self, u: &UserRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, username_index, username_enc, display_name_enc, role, status, \
             password_hash, must_change_password, mfa_enabled, mfa_secret_enc, \
             mfa_pending_secret_enc, \
             totp_last_step, failed_logins, locked_until, created_at, updated_at, \
             mfa_recovery_enc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(u.id.as_str())
        .bind(&u.username_index)
        .bind(&u.username_enc)
        .bind(&u.display_name_enc)
        .bind(u.role.as_str())
        .bind(u.status.as_str())
        .bind(&u.password_hash)
        .bind(u.must_change_password)
        .bind(u.mfa_enabled)
        .bind(&u.mfa_secret_enc)
        .bind(&u.mfa_pending_secret_enc)
        .bind(u.totp_last_step)
        .bind(u.failed_logins)
        .bind(u.locked_until.map(Timestamp::as_millis))
        .bind(u.created_at.as_millis())
        .bind(u.updated_at.as_millis())
        .bind(&u.mfa_recovery_enc)
        .execute(&mut *self.tx)
        .await
        .db()?;
        sqlx::query(bump_directory(false))
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }

    async fn update_user(&mut self, u: &UserRow) -> Result<()> {
        // Before the update, while the old values are there to compare.
        sqlx::query(bump_directory(true))
            .bind(u.id.as_str())
            .bind(&u.username_enc)
            .bind(&u.display_name_enc)
            .bind(u.role.as_str())
            .bind(u.status.as_str())
            .execute(&mut *self.tx)
            .await
            .db()?;
        sqlx::query(bump_access_if_changed())
            .bind(u.id.as_str())
            .bind(&u.username_enc)
            .bind(&u.display_name_enc)
            .bind(u.role.as_str())
            .bind(u.status.as_str())
            .bind(&u.password_hash)
            .bind(u.must_change_password)
            .bind(u.mfa_enabled)
            .execute(&mut *self.tx)
            .await
            .db()?;
        sqlx::query(
            "UPDATE users SET username_index = $2, username_enc = $3, display_name_enc = $4, \
             role = $5, status = $6, password_hash = $7, must_change_password = $8, \
             mfa_enabled = $9, mfa_secret_enc = $10, mfa_pending_secret_enc = $11, \
             totp_last_step = $12, failed_logins = $13, locked_until = $14, updated_at = $15 \
             WHERE id = $1",
        )
        .bind(u.id.as_str())
        .bind(&u.username_index)
        .bind(&u.username_enc)
        .bind(&u.display_name_enc)
        .bind(u.role.as_str())
        .bind(u.status.as_str())
        .bind(&u.password_hash)
        .bind(u.must_change_password)
        .bind(u.mfa_enabled)
        .bind(&u.mfa_secret_enc)
        .bind(&u.mfa_pending_secret_enc)
        .bind(u.totp_last_step)
        .bind(u.failed_logins)
        .bind(u.locked_until.map(Timestamp::as_millis))
        .bind(u.updated_at.as_millis())
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(())
    }

    async fn increment_failed_logins(&mut self, id: &UserId, at: Timestamp) -> Result<i64> {
        let row = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, updated_at = $2 \
             WHERE id = $1 RETURNING failed_logins",
        )
        .bind(id.as_str())
        .bind(at.as_millis())
        .fetch_one(&mut *self.tx)
        .await
        .db()?;
        row.try_get(0).db()
    }

    async fn claim_totp_step(&mut self, id: &UserId, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $2 \
             WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(id.as_str())
        .bind(step)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_recovery_codes(&mut self, id: &UserId, codes: Option<&[u8]>) -> Result<()> {
        sqlx::query("UPDATE users SET mfa_recovery_enc = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(codes)
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }

    async fn swap_recovery_codes(
        &mut self,
        id: &UserId,
        current: &[u8],
        next: Option<&[u8]>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET mfa_recovery_enc = $3 WHERE id = $1 AND mfa_recovery_enc = $2",
        )
        .bind(id.as_str())
        .bind(current)
        .bind(next)
        .execute(&mut *self.tx)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }
}
