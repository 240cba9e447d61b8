//! Deactivation of dormant accounts (HIPAA §164.308(a)(3)(ii)(C),
//! termination procedures): with `deactivate_after` set, an active account
//! with no successful action for that long (counted from its creation when
//! it never did anything) is deactivated by `serve`'s hourly job, exactly as
//! an administrator would, and recorded as `user.deactivate` with
//! `reason: dormant`. The last active administrator is never deactivated
//! this way, so the installation cannot lock its administrators out.

use super::Users;
use crate::{Principal, Result};
use hippo_core::{AuditAction, Role, UserId, UserStatus};

impl Users {
    /// Deactivates every account dormant for `deactivate_after` (the
    /// setting; nothing when it is unset). Returns the accounts deactivated.
    pub async fn deactivate_dormant(&self, by: Principal<'_>) -> Result<Vec<UserId>> {
        let Some(after) = self.core.config.deactivate_after else {
            return Ok(Vec::new());
        };
        let now = self.core.clock.now();
        let cutoff = now.minus(after);
        let rows = self.core.store.list_users().await?;
        let mut active_admins = rows
            .iter()
            .filter(|r| r.status == UserStatus::Active && r.role == Role::Admin)
            .count();
        let mut done = Vec::new();
        for row in rows.iter().filter(|r| r.status == UserStatus::Active) {
            let activity = self
                .core
                .store
                .actor_activity(&row.id, AuditAction::AuthLogin.as_str())
                .await?;
            let last_seen = crate::audit::access_review::idle_since(&activity, row.created_at);
            if last_seen >= cutoff {
                continue;
            }
            if row.role == Role::Admin {
                if active_admins <= 1 {
                    tracing::warn!(user = %row.id, "the last active administrator is dormant; left active");
                    continue;
                }
                active_admins -= 1;
            }
            let idle_days = now.since(last_seen).as_secs() / 86_400;
            self.deactivate_noting(
                by,
                row.id.as_str(),
                serde_json::json!({ "reason": "dormant", "idle_days": idle_days }),
            )
            .await?;
            done.push(row.id.clone());
        }
        Ok(done)
    }
}
