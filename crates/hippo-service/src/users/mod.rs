//! User administration: create, list, read, update, deactivate, reactivate,
//! reset passwords; API keys (`api_keys.rs`) and other users' sign-in
//! sessions (`sessions.rs`). Administrators only through the API; the admin CLI
//! (operator at the server's shell) runs the same code as [`Principal::Operator`].

use crate::{Event, Principal, Result, ServiceError};
use hippo_core::{
    AuditAction, DisplayName, ErrorCode, Outcome, Role, SessionId, User, UserId, UserStatus,
    Username,
};
use hippo_crypto::{PasswordPolicy, random, totp};
use hippo_store::UserRow;
use zeroize::Zeroizing;

mod api_keys;
mod dormant;
mod sessions;
pub(crate) use api_keys::address_allowed;
pub use api_keys::{ApiKeyView, CreatedApiKey, NewApiKey};
pub use sessions::{USER_AGENT_SHOWN, UserSessionView};

/// A new account.
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub role: String,
    pub password: Zeroizing<String>,
}

/// Changes to an account.
#[derive(Debug, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<String>,
}

/// User administration (`hippo.users()`).
#[derive(Debug, Clone)]
pub struct Users {
    core: std::sync::Arc<crate::core::Core>,
    /// Deactivation drops the user from their calls.
    calls: crate::calls::Calls,
}

impl Users {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self {
            calls: crate::calls::Calls::new(core.clone()),
            core,
        }
    }
}

impl Users {
    /// Access check for administration: full session and role `admin`.
    async fn require_admin(
        &self,
        by: Principal<'_>,
        action: AuditAction,
        target: Option<&str>,
    ) -> Result<()> {
        let Principal::User(actor) = by else {
            return Ok(());
        };
        let resource = target.map(|t| ("user", t.to_owned()));
        if let Err(e) = actor.require_full() {
            return Err(self.core.deny(actor, action, resource, e).await);
        }
        if !actor.user.role.can_manage_users() {
            return Err(self
                .core
                .deny(actor, action, resource, ServiceError::forbidden())
                .await);
        }
        Ok(())
    }

    /// Creates an account. Passwords follow the policy for the MFA setting.
    pub async fn create(&self, by: Principal<'_>, input: NewUser) -> Result<User> {
        self.require_admin(by, AuditAction::UserCreate, None)
            .await?;
        let username = Username::parse(&input.username).map_err(ServiceError::validation)?;
        let display_name =
            DisplayName::parse(input.display_name.as_deref().unwrap_or(username.as_str()))
                .map_err(ServiceError::validation)?;
        let role = Role::parse(&input.role).ok_or_else(|| {
            ServiceError::validation(
                "role must be one of admin, clinician, staff, auditor, service",
            )
        })?;
        PasswordPolicy::for_mfa(self.core.config.require_mfa)
            .check_in_context(
                &input.password,
                username.as_str(),
                self.core.config.organisation_name.as_deref(),
            )
            .map_err(|e| ServiceError::validation(e.to_string()))?;
        let password_hash = self.core.hash_password(&input.password).await?;
        let now = self.core.clock.now();
        let id = UserId::generate();
        let row = UserRow {
            username_index: self.core.keys.username_index(username.as_str()),
            username_enc: self.core.keys.seal_user_field(
                "username",
                id.as_str(),
                username.as_str(),
            )?,
            display_name_enc: self.core.keys.seal_user_field(
                "display_name",
                id.as_str(),
                display_name.as_str(),
            )?,
            role,
            status: UserStatus::Active,
            password_hash,
            must_change_password: false,
            mfa_enabled: false,
            mfa_secret_enc: None,
            mfa_pending_secret_enc: None,
            totp_last_step: None,
            mfa_recovery_enc: None,
            failed_logins: 0,
            locked_until: None,
            created_at: now,
            updated_at: now,
            id,
        };
        let mut tx = self.core.store.begin_write().await?;
        match tx.insert_user(&row).await {
            Ok(()) => {}
            Err(hippo_store::StoreError::Conflict(_)) => {
                return Err(ServiceError::public(
                    ErrorCode::Conflict,
                    "that username is taken",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tx.append_audit(
            &by.event(
                self.core.clock.now(),
                AuditAction::UserCreate,
                Outcome::Success,
            )
            .resource("user", row.id.as_str())
            .detail(by.with_via(serde_json::json!({ "role": role.as_str() }))),
        )
        .await?;
        tx.commit().await?;
        self.core.user_from_row(&row)
    }

    /// Every account, oldest first.
    pub async fn list(&self, by: Principal<'_>) -> Result<Vec<User>> {
        self.require_admin(by, AuditAction::UserRead, None).await?;
        let rows = self.core.store.list_users().await?;
        let users = rows
            .iter()
            .map(|r| self.core.user_from_row(r))
            .collect::<Result<Vec<_>>>()?;
        self.core
            .audit_alone(
                by.event(
                    self.core.clock.now(),
                    AuditAction::UserRead,
                    Outcome::Success,
                )
                .detail_field("listed", users.len()),
            )
            .await?;
        Ok(users)
    }

    /// One account.
    pub async fn get(&self, by: Principal<'_>, id: &str) -> Result<User> {
        self.require_admin(by, AuditAction::UserRead, Some(id))
            .await?;
        let row = self.find_user(id).await?;
        let user = self.core.user_from_row(&row)?;
        self.core
            .audit_alone(
                by.event(
                    self.core.clock.now(),
                    AuditAction::UserRead,
                    Outcome::Success,
                )
                .resource("user", row.id.as_str()),
            )
            .await?;
        Ok(user)
    }

    /// Finds by id, or (CLI) by username.
    async fn find_user(&self, id_or_name: &str) -> Result<UserRow> {
        if let Some(id) = UserId::parse(id_or_name)
            && let Some(row) = self.core.store.get_user(&id).await?
        {
            return Ok(row);
        }
        if let Ok(name) = Username::parse(id_or_name)
            && let Some(row) = self
                .core
                .store
                .get_user_by_index(&self.core.keys.username_index(name.as_str()))
                .await?
        {
            return Ok(row);
        }
        Err(ServiceError::not_found())
    }

    fn refuse_self(by: Principal<'_>, target: &UserId, what: &str) -> Result<()> {
        if let Principal::User(actor) = by
            && &actor.user.id == target
        {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                format!("administrators cannot {what} their own account"),
            ));
        }
        Ok(())
    }

    /// Changes display name and/or role.
    pub async fn update(&self, by: Principal<'_>, id: &str, patch: UserPatch) -> Result<User> {
        self.require_admin(by, AuditAction::UserUpdate, Some(id))
            .await?;
        let display_name = patch
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()
            .map_err(ServiceError::validation)?;
        let role = patch
            .role
            .as_deref()
            .map(|r| {
                Role::parse(r).ok_or_else(|| {
                    ServiceError::validation(
                        "role must be one of admin, clinician, staff, auditor, service",
                    )
                })
            })
            .transpose()?;
        let current = self.find_user(id).await?;
        if role.is_some_and(|r| r != current.role) {
            Self::refuse_self(by, &current.id, "change the role of")?;
        }
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let mut row = tx
            .get_user(&current.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let mut changed = Vec::new();
        let mut detail = serde_json::Map::new();
        if let Some(name) = display_name {
            row.display_name_enc =
                self.core
                    .keys
                    .seal_user_field("display_name", row.id.as_str(), name.as_str())?;
            changed.push("display_name");
        }
        if let Some(role) = role
            && role != row.role
        {
            detail.insert("role_from".into(), row.role.as_str().into());
            detail.insert("role_to".into(), role.as_str().into());
            row.role = role;
            changed.push("role");
        }
        let role_changed = changed.contains(&"role");
        detail.insert("fields".into(), changed.into());
        row.updated_at = now;
        tx.update_user(&row).await?;
        // A new role is a new set of permissions: sessions (and sockets)
        // opened under the old one end, so nothing keeps what it allowed.
        let ended = if role_changed {
            let ended = tx
                .end_user_sessions(&row.id, None, now, "revoked", true)
                .await?;
            detail.insert("sessions_ended".into(), ended.len().into());
            ended
        } else {
            Vec::new()
        };
        tx.append_audit(
            &by.event(
                self.core.clock.now(),
                AuditAction::UserUpdate,
                Outcome::Success,
            )
            .resource("user", row.id.as_str())
            .detail(by.with_via(serde_json::Value::Object(detail))),
        )
        .await?;
        tx.commit().await?;
        self.publish_ended(&row.id, ended, "revoked");
        self.core.user_from_row(&row)
    }

    /// Termination: the account can no longer sign in and every session
    /// (and so every socket) ends now. Nothing else is removed.
    pub async fn deactivate(&self, by: Principal<'_>, id: &str) -> Result<User> {
        self.deactivate_noting(by, id, serde_json::json!({})).await
    }

    /// [`Self::deactivate`], with `note` (ids and counts only) added to
    /// the record's detail.
    async fn deactivate_noting(
        &self,
        by: Principal<'_>,
        id: &str,
        note: serde_json::Value,
    ) -> Result<User> {
        self.require_admin(by, AuditAction::UserDeactivate, Some(id))
            .await?;
        let current = self.find_user(id).await?;
        Self::refuse_self(by, &current.id, "deactivate")?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let mut row = tx
            .get_user(&current.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        row.status = UserStatus::Deactivated;
        row.updated_at = now;
        tx.update_user(&row).await?;
        let ended = tx
            .end_user_sessions(&row.id, None, now, "deactivated", true)
            .await?;
        tx.append_audit(
            &by.event(
                self.core.clock.now(),
                AuditAction::UserDeactivate,
                Outcome::Success,
            )
            .resource("user", row.id.as_str())
            .detail(by.with_via({
                let mut detail = note;
                if let Some(map) = detail.as_object_mut() {
                    map.insert("sessions_ended".into(), ended.len().into());
                }
                detail
            })),
        )
        .await?;
        tx.commit().await?;
        self.publish_ended(&row.id, ended, "deactivated");
        // Out of every call at once (each step its own record).
        self.calls
            .drop_user(
                &row.id,
                by.event(now, AuditAction::CallLeave, Outcome::Success),
            )
            .await?;
        self.core.user_from_row(&row)
    }

    /// Reinstatement: the account may sign in again; lockout is cleared.
    pub async fn reactivate(&self, by: Principal<'_>, id: &str) -> Result<User> {
        self.require_admin(by, AuditAction::UserReactivate, Some(id))
            .await?;
        let current = self.find_user(id).await?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let mut row = tx
            .get_user(&current.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        row.status = UserStatus::Active;
        row.failed_logins = 0;
        row.locked_until = None;
        row.updated_at = now;
        tx.update_user(&row).await?;
        tx.append_audit(
            &by.event(
                self.core.clock.now(),
                AuditAction::UserReactivate,
                Outcome::Success,
            )
            .resource("user", row.id.as_str()),
        )
        .await?;
        tx.commit().await?;
        self.core.user_from_row(&row)
    }

    /// Sets a random temporary password that must be changed at next
    /// sign-in, clears lockout and ends the user's sessions. The enrolled
    /// authenticator stays.
    pub async fn reset_password(&self, by: Principal<'_>, id: &str) -> Result<Zeroizing<String>> {
        self.require_admin(by, AuditAction::UserPasswordReset, Some(id))
            .await?;
        let current = self.find_user(id).await?;
        Self::refuse_self(by, &current.id, "reset the password of")?;
        let temporary = temporary_password()?;
        let hash = self.core.hash_password(&temporary).await?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let mut row = tx
            .get_user(&current.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        row.password_hash = hash;
        row.must_change_password = true;
        row.failed_logins = 0;
        row.locked_until = None;
        row.updated_at = now;
        tx.update_user(&row).await?;
        let ended = tx
            .end_user_sessions(&row.id, None, now, "password_reset", false)
            .await?;
        tx.append_audit(
            &by.event(
                self.core.clock.now(),
                AuditAction::UserPasswordReset,
                Outcome::Success,
            )
            .resource("user", row.id.as_str())
            .detail(by.with_via(serde_json::json!({ "sessions_ended": ended.len() }))),
        )
        .await?;
        tx.commit().await?;
        self.publish_ended(&row.id, ended, "revoked");
        Ok(temporary)
    }

    /// MFA recovery by an administrator (a lost phone): the user's
    /// authenticator and recovery codes are removed and every session ends;
    /// the next sign-in enrols again (when MFA is required).
    pub async fn reset_mfa(&self, by: Principal<'_>, id: &str) -> Result<User> {
        self.require_admin(by, AuditAction::UserMfaReset, Some(id))
            .await?;
        let current = self.find_user(id).await?;
        Self::refuse_self(by, &current.id, "reset the MFA of")?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let mut row = tx
            .get_user(&current.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let was_enrolled = row.mfa_enabled;
        row.mfa_enabled = false;
        row.mfa_secret_enc = None;
        row.mfa_pending_secret_enc = None;
        // The step counter stays: a code of the old authenticator can never
        // be replayed against a new secret anyway, and keeping it is simpler
        // than reasoning about it.
        row.updated_at = now;
        tx.update_user(&row).await?;
        tx.set_recovery_codes(&row.id, None).await?;
        let ended = tx
            .end_user_sessions(&row.id, None, now, "revoked", false)
            .await?;
        tx.append_audit(
            &by.event(
                self.core.clock.now(),
                AuditAction::UserMfaReset,
                Outcome::Success,
            )
            .resource("user", row.id.as_str())
            .detail(by.with_via(serde_json::json!({
                "was_enrolled": was_enrolled,
                "sessions_ended": ended.len(),
            }))),
        )
        .await?;
        tx.commit().await?;
        self.publish_ended(&row.id, ended, "revoked");
        self.core.user_from_row(&row)
    }

    fn publish_ended(&self, user: &UserId, ended: Vec<SessionId>, reason: &'static str) {
        for session_id in ended {
            self.core.events.publish(Event::SessionEnded {
                session_id,
                user_id: user.clone(),
                reason,
            });
        }
    }
}

/// 20 random base32 characters in groups of five (100 bits), e.g.
/// `K7QXM-2ZP4R-…`: easy to read out, never in any common-password list.
fn temporary_password() -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(random::bytes::<13>()?);
    let encoded = Zeroizing::new(totp::base32(bytes.as_ref()));
    let chars: Vec<char> = encoded.chars().take(20).collect();
    let groups: Vec<String> = chars.chunks(5).map(|c| c.iter().collect()).collect();
    Ok(Zeroizing::new(groups.join("-")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn temporary_passwords_are_long_and_distinct() {
        let a = super::temporary_password().unwrap();
        let b = super::temporary_password().unwrap();
        assert_eq!(a.len(), 23);
        assert_ne!(*a, *b);
    }
}
