//! The access review (HIPAA §164.308(a)(3)(ii)(B) and (C),
//! §164.308(a)(4)(ii)(C)): every account with its role, status, MFA, last
//! sign-in and last activity, so an administrator or the privacy officer
//! can confirm who still needs access. An active account unused for
//! [`DORMANT_AFTER`] is flagged. The review is itself recorded.

use super::*;
use hippo_core::{User, UserStatus};
use std::time::Duration;

/// An active account with no successful action for this long is dormant.
pub const DORMANT_AFTER: Duration = Duration::from_secs(90 * 86_400);

/// Since when an account has been idle: its last successful action, or
/// its creation when it never did anything (the access review's dormancy
/// and `deactivate_after` both count from here).
pub(crate) fn idle_since(
    activity: &hippo_store::ActorActivity,
    created_at: Timestamp,
) -> Timestamp {
    activity.last_activity.unwrap_or(created_at)
}

/// One account in the review.
#[derive(Debug, Clone)]
pub struct AccessReviewEntry {
    pub user: User,
    pub last_sign_in: Option<Timestamp>,
    pub last_activity: Option<Timestamp>,
    /// Active, and nothing succeeded for [`DORMANT_AFTER`] (counted from
    /// its creation when it never did anything).
    pub dormant: bool,
}

impl Audit {
    /// Every account, oldest first (administrators and auditors).
    pub async fn access_review(&self, by: Principal<'_>) -> Result<Vec<AccessReviewEntry>> {
        let action = AuditAction::UserRead;
        self.core.require_admin_or_auditor(by, action).await?;
        let entries = self.review_accounts().await?;
        let dormant = entries.iter().filter(|e| e.dormant).count();
        self.record_examination(
            by,
            action,
            serde_json::json!({
                "report": "access-review",
                "listed": entries.len(),
                "dormant": dormant,
            }),
        )
        .await?;
        Ok(entries)
    }

    /// Every account with its activity, oldest first (no access check,
    /// not recorded: for the reports that do both).
    pub(super) async fn review_accounts(&self) -> Result<Vec<AccessReviewEntry>> {
        // Records still waiting for the sequencer count too (the store
        // reads both), so nothing needs sequencing first.
        let cutoff = self.core.clock.now().minus(DORMANT_AFTER);
        let mut entries = Vec::new();
        for row in self.core.store.list_users().await? {
            let activity = self
                .core
                .store
                .actor_activity(&row.id, AuditAction::AuthLogin.as_str())
                .await?;
            let user = self.core.user_from_row(&row)?;
            let last_seen = idle_since(&activity, user.created_at);
            entries.push(AccessReviewEntry {
                dormant: user.status == UserStatus::Active && last_seen < cutoff,
                user,
                last_sign_in: activity.last_sign_in,
                last_activity: activity.last_activity,
            });
        }
        Ok(entries)
    }
}
