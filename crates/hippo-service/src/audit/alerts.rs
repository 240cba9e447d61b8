//! Security alerts: account lockouts, bursts of failed sign-ins across many
//! accounts (credential stuffing), break-glass openings, failed audit
//! verifications, a stalled audit sequencer, and the activity review's
//! patterns (`activity.rs`). Each is stored (auditors list them through the API) and
//! broadcast to subscribers (the syslog forwarder). Alerts carry ids and
//! counts only, never names, usernames or content.

use crate::audit::Audit;
use crate::core::Core;
use crate::{Actor, Principal, Result, ServiceError};
use hippo_core::{AuditAction, Outcome, Timestamp};
pub use hippo_store::AlertRow;
use std::sync::Mutex;
use std::time::Duration;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    AccountLocked,
    CredentialStuffing,
    BreakGlass,
    AuditVerificationFailed,
    AuditSequencingStalled,
    /// The activity review: one account read many records in one window.
    BulkRead,
    /// … touched many different patients in one window.
    ManyPatients,
    /// … was denied many times in one window.
    RepeatedDenials,
    /// … opened break-glass repeatedly in one window.
    BreakGlassRepeated,
    /// … read records at hours it does not usually work.
    AfterHours,
    /// … read a VIP's or a workforce member's records from outside her
    /// care team.
    FlaggedPatientAccess,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountLocked => "account_locked",
            Self::CredentialStuffing => "credential_stuffing",
            Self::BreakGlass => "break_glass",
            Self::AuditVerificationFailed => "audit_verification_failed",
            Self::AuditSequencingStalled => "audit_sequencing_stalled",
            Self::BulkRead => "bulk_read",
            Self::ManyPatients => "many_patients",
            Self::RepeatedDenials => "repeated_denials",
            Self::BreakGlassRepeated => "break_glass_repeated",
            Self::AfterHours => "after_hours",
            Self::FlaggedPatientAccess => "flagged_patient_access",
        }
    }

    /// `warning` or `critical` (syslog severities 4 and 2).
    pub fn severity(self) -> &'static str {
        match self {
            Self::AccountLocked
            | Self::BreakGlass
            | Self::ManyPatients
            | Self::RepeatedDenials
            | Self::BreakGlassRepeated
            | Self::AfterHours
            | Self::FlaggedPatientAccess => "warning",
            Self::CredentialStuffing
            | Self::AuditVerificationFailed
            | Self::AuditSequencingStalled
            | Self::BulkRead => "critical",
        }
    }

    /// One line for humans (no identifiers; those are in `detail`).
    pub fn summary(self) -> &'static str {
        match self {
            Self::AccountLocked => "account locked after repeated failed sign-ins",
            Self::CredentialStuffing => "failed sign-ins across many accounts",
            Self::BreakGlass => "emergency access opened; review it",
            Self::AuditVerificationFailed => "the audit trail failed verification",
            Self::AuditSequencingStalled => {
                "audit records have waited over a minute to enter the tree"
            }
            Self::BulkRead => "one account read an unusual number of records",
            Self::ManyPatients => "one account touched an unusual number of patients",
            Self::RepeatedDenials => "one account was denied access repeatedly",
            Self::BreakGlassRepeated => "one account opened emergency access repeatedly",
            Self::AfterHours => "one account read records outside its usual hours",
            Self::FlaggedPatientAccess => {
                "a VIP's or workforce member's record was read from outside the care team"
            }
        }
    }
}

/// A raised alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: String,
    pub at: Timestamp,
    pub kind: AlertKind,
    /// Ids and counts only.
    pub detail: serde_json::Value,
}

/// Failed sign-ins within this window count towards credential stuffing.
pub const STUFFING_WINDOW: Duration = Duration::from_secs(300);
/// … at least this many failures …
pub const STUFFING_FAILURES: usize = 20;
/// … against at least this many different accounts.
pub const STUFFING_ACCOUNTS: usize = 10;

/// When this node last raised a credential-stuffing alert (the failures
/// themselves are counted in the database, across nodes).
#[derive(Debug, Default)]
pub(crate) struct StuffingDetector {
    last_alert: Mutex<Option<Timestamp>>,
}

impl StuffingDetector {
    /// True when no alert was raised within the window (and notes `now`).
    pub(crate) fn claim(&self, now: Timestamp) -> bool {
        let mut last = self
            .last_alert
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|t| t >= now.minus(STUFFING_WINDOW)) {
            return false;
        }
        *last = Some(now);
        true
    }
}

/// Most alerts one listing returns.
pub const MAX_ALERTS: i64 = 1000;

impl Core {
    /// Stores and broadcasts an alert. A failure to store it is logged
    /// (the action that raised it has already happened and stays done).
    pub(crate) async fn raise_alert(&self, kind: AlertKind, detail: serde_json::Value) {
        let alert = Alert {
            id: hippo_core::SessionId::generate().to_string(),
            at: self.clock.now(),
            kind,
            detail,
        };
        tracing::warn!(
            alert = kind.as_str(),
            severity = kind.severity(),
            id = %alert.id,
            detail = %alert.detail,
            "{}",
            kind.summary()
        );
        let row = AlertRow {
            id: alert.id.clone(),
            at: alert.at,
            kind: kind.as_str().to_owned(),
            severity: kind.severity().to_owned(),
            detail: alert.detail.to_string(),
            reviewed_at: None,
            reviewed_by: None,
        };
        let stored = async {
            let mut tx = self.store.begin_write().await?;
            tx.insert_alert(&row).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = stored {
            tracing::error!(alert = kind.as_str(), error = %e, "could not store a security alert");
        }
        // No subscriber is not an error.
        let _ = self.alerts.send(alert);
    }
}

impl Audit {
    /// Alerts as they are raised (the syslog forwarder listens here).
    pub fn subscribe_alerts(&self) -> tokio::sync::broadcast::Receiver<Alert> {
        self.core.alerts.subscribe()
    }

    /// Stored alerts, newest first (auditors). Recorded as an audit query.
    pub async fn list_alerts(
        &self,
        actor: &Actor,
        since: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Vec<AlertRow>> {
        self.core
            .require_auditor(Principal::User(actor), AuditAction::AuditQuery)
            .await?;
        let since = match since.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                Timestamp::parse_rfc3339(s)
                    .ok_or_else(|| ServiceError::validation("since must be an RFC 3339 time"))?,
            ),
        };
        let limit = limit.unwrap_or(100);
        if !(1..=MAX_ALERTS).contains(&limit) {
            return Err(ServiceError::validation(format!(
                "limit must be 1 to {MAX_ALERTS}"
            )));
        }
        let rows = self.core.store.list_alerts(since, limit).await?;
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::AuditQuery,
                        Outcome::Success,
                    )
                    .detail(serde_json::json!({ "alerts": rows.len() })),
            )
            .await?;
        Ok(rows)
    }
}

impl Audit {
    /// Marks an alert reviewed (auditors): it leaves the open alerts, and
    /// with them the compliance report's findings. Recorded as
    /// `alert.review`; 409 if it was reviewed already.
    pub async fn review_alert(&self, actor: &Actor, id: &str) -> Result<AlertRow> {
        let action = AuditAction::AlertReview;
        self.core
            .require_auditor(Principal::User(actor), action)
            .await?;
        let Some(alert) = self.core.store.get_alert(id).await? else {
            return Err(ServiceError::not_found());
        };
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        if !tx.review_alert(&alert.id, now, &actor.user.id).await? {
            return Err(ServiceError::public(
                hippo_core::ErrorCode::Conflict,
                "this alert was already reviewed",
            ));
        }
        tx.append_audit(
            &actor
                .event(now, action, Outcome::Success)
                .resource("alert", alert.id.as_str())
                .detail(serde_json::json!({ "kind": alert.kind })),
        )
        .await?;
        tx.commit().await?;
        Ok(AlertRow {
            reviewed_at: Some(now),
            reviewed_by: Some(actor.user.id.clone()),
            ..alert
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stuffing_alert_is_raised_once_per_window() {
        let d = StuffingDetector::default();
        let t0 = Timestamp::from_millis(1_000_000);
        assert!(d.claim(t0));
        assert!(!d.claim(t0.plus(Duration::from_secs(60))));
        assert!(d.claim(t0.plus(STUFFING_WINDOW * 2)));
    }
}
