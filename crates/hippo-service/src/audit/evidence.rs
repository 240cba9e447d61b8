//! The compliance evidence report: each safeguard with its setting and the
//! HIPAA section it answers, the findings an officer must act on (accounts
//! without MFA, dormant accounts, unreviewed break-glass, stale or failed
//! verification, backups and restore drills, old keys, alerts not yet
//! reviewed, breach notices due or overdue), the
//! evidence behind them, and 30 days of sign-ins, denied accesses and
//! break-glass openings per day. Read by administrators and auditors (and
//! the operator through `hippo compliance report`); each report is itself
//! recorded. The findings are computed here, once, so the API, the CLI
//! and the printable page cannot disagree.

mod findings;

pub use findings::{
    AUDIT_VERIFY_MAX_AGE, DRILL_MAX_AGE, Finding, KEY_MAX_AGE, LONG_IDLE_TIMEOUT, Severity,
};

use super::access_review::AccessReviewEntry;
use super::*;
use hippo_core::{Role, UserId, UserStatus};
use std::time::Duration;

/// How the binary serves and keeps data: settings outside the use cases
/// (TLS, backups) that the report states. Given by `hippo` through
/// [`crate::ServiceConfig::deployment`].
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub tls: TlsMode,
    /// Protocol versions offered, newest first (`TLS 1.3`).
    pub tls_versions: Vec<&'static str>,
    /// Clients must present a certificate from the configured CA.
    pub client_certificates: bool,
    /// Scheduled backups, if any.
    pub backups: Option<BackupSchedule>,
}

/// How the listener protects transmission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// A certificate the operator configured.
    Configured,
    /// The certificate hippo generated for itself (clients cannot verify it).
    SelfSigned,
    /// Plain HTTP (`--insecure-http`: only behind a TLS-terminating proxy).
    Off,
}

/// Scheduled backups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSchedule {
    pub interval: Duration,
    pub keep: u32,
    /// Restore drills on a schedule, if set.
    pub drill_interval: Option<Duration>,
}

/// One safeguard as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Safeguard {
    pub id: &'static str,
    pub title: &'static str,
    /// The HIPAA Security Rule section it implements.
    pub hipaa: &'static str,
    /// The setting in words (`15m`, `required`, `TLS 1.3, TLS 1.2`).
    pub setting: String,
    /// Whether the setting meets hippo's recommendation.
    pub ok: bool,
}

/// An account named in the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRef {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub last_activity: Option<Timestamp>,
}

/// The newest run of a recorded job (backup, drill, verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastRun {
    pub at: Timestamp,
    pub succeeded: bool,
    /// The newest successful run (the same as `at` when that succeeded).
    pub last_success: Option<Timestamp>,
}

/// Since when a key has been in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAge {
    /// Its id where it has one (the audit signing key).
    pub key_id: Option<String>,
    pub since: Timestamp,
}

/// An emergency access not yet reviewed.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenBreakGlass {
    pub id: String,
    pub user: Option<AccountRef>,
    pub conversation_id: String,
    pub opened_at: Timestamp,
}

/// One day's counts for the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCounts {
    /// The UTC day's first instant.
    pub day: Timestamp,
    pub sign_ins: i64,
    pub denied: i64,
    pub break_glass: i64,
}

/// What the findings rest on.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub accounts_total: usize,
    pub accounts_active: usize,
    /// Active accounts without MFA.
    pub without_mfa: Vec<AccountRef>,
    /// Active accounts unused for [`super::access_review::DORMANT_AFTER`].
    pub dormant: Vec<AccountRef>,
    pub open_break_glass: Vec<OpenBreakGlass>,
    pub last_audit_verification: Option<LastRun>,
    pub last_backup: Option<LastRun>,
    pub last_restore_drill: Option<LastRun>,
    pub master_key: Option<KeyAge>,
    /// `None` without a signing key.
    pub signing_key: Option<KeyAge>,
    /// Alerts not yet reviewed, newest first.
    pub open_alerts: Vec<hippo_store::AlertRow>,
    /// Breach incidents not yet closed, newest discovery first.
    pub open_incidents: Vec<super::incidents::Incident>,
    /// The last [`REPORT_DAYS`] days, oldest first, today last.
    pub daily: Vec<DayCounts>,
}

/// The report.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceReport {
    pub generated_at: Timestamp,
    pub safeguards: Vec<Safeguard>,
    /// Most severe first.
    pub findings: Vec<Finding>,
    pub evidence: Evidence,
}

/// Days the charts cover.
pub const REPORT_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

impl Audit {
    /// The evidence report (administrators and auditors), recorded as an
    /// `audit.query` with `report: evidence` and its finding ids.
    pub async fn evidence_report(&self, by: Principal<'_>) -> Result<EvidenceReport> {
        let action = AuditAction::AuditQuery;
        self.core.require_admin_or_auditor(by, action).await?;
        // Every record committed before the report counts in its charts.
        self.sequence_now().await?;
        let now = self.core.clock.now();
        let evidence = self.gather_evidence(now).await?;
        let config = &self.core.config;
        let report = EvidenceReport {
            generated_at: now,
            safeguards: findings::safeguards(config, self.core.audit_key.is_some()),
            findings: findings::findings(config, &evidence, now),
            evidence,
        };
        let ids: Vec<&str> = report.findings.iter().map(|f| f.id).collect();
        self.record_examination(
            by,
            action,
            serde_json::json!({ "report": "evidence", "findings": ids }),
        )
        .await?;
        Ok(report)
    }

    async fn gather_evidence(&self, now: Timestamp) -> Result<Evidence> {
        let store = &self.core.store;
        let accounts = self.review_accounts().await?;
        let by_id: HashMap<&str, &AccessReviewEntry> =
            accounts.iter().map(|e| (e.user.id.as_str(), e)).collect();
        let account_ref = |e: &AccessReviewEntry| AccountRef {
            id: e.user.id.clone(),
            username: e.user.username.clone(),
            display_name: e.user.display_name.clone(),
            role: e.user.role,
            last_activity: e.last_activity,
        };
        let active: Vec<&AccessReviewEntry> = accounts
            .iter()
            .filter(|e| e.user.status == UserStatus::Active)
            .collect();
        let open_break_glass = store
            .list_break_glass(true)
            .await?
            .into_iter()
            .map(|g| OpenBreakGlass {
                user: by_id.get(g.user_id.as_str()).map(|e| account_ref(e)),
                id: g.id,
                conversation_id: g.conversation_id.to_string(),
                opened_at: g.opened_at,
            })
            .collect();
        let actions: Vec<&str> = [
            AuditAction::AuditVerify,
            AuditAction::BackupCreate,
            AuditAction::BackupDrill,
        ]
        .iter()
        .map(|a| a.as_str())
        .collect();
        let last = store.ops_figures(&actions).await?.last_records;
        let last_run = |action: AuditAction| -> Option<LastRun> {
            let of = |outcome: &str| {
                last.iter()
                    .filter(|(a, o, _)| a == action.as_str() && o == outcome)
                    .map(|(_, _, at)| *at)
                    .max()
            };
            let success = of("success");
            let failure = of("failure");
            let at = success.max(failure)?;
            Some(LastRun {
                at,
                succeeded: success == Some(at),
                last_success: success,
            })
        };
        let since = Timestamp::from_millis((now.as_millis() / DAY_MS - (REPORT_DAYS - 1)) * DAY_MS);
        Ok(Evidence {
            accounts_total: accounts.len(),
            accounts_active: active.len(),
            without_mfa: active
                .iter()
                .filter(|e| !e.user.mfa_enabled)
                .map(|e| account_ref(e))
                .collect(),
            dormant: active
                .iter()
                .filter(|e| e.dormant)
                .map(|e| account_ref(e))
                .collect(),
            open_break_glass,
            last_audit_verification: last_run(AuditAction::AuditVerify),
            last_backup: last_run(AuditAction::BackupCreate),
            last_restore_drill: last_run(AuditAction::BackupDrill),
            master_key: self.master_key_since().await?,
            signing_key: self.signing_key_since().await?,
            open_alerts: store.list_open_alerts(alerts::MAX_ALERTS).await?,
            open_incidents: self.open_incidents().await?,
            daily: self.daily_counts(since, now).await?,
        })
    }

    /// Sign-ins, denied accesses and break-glass openings per UTC day from
    /// `since` (a day's start) through today, days without any as zero.
    async fn daily_counts(&self, since: Timestamp, now: Timestamp) -> Result<Vec<DayCounts>> {
        let store = &self.core.store;
        let per_day = |rows: Vec<(Timestamp, i64)>| -> HashMap<i64, i64> {
            rows.into_iter().map(|(d, n)| (d.as_millis(), n)).collect()
        };
        let sign_ins = per_day(
            store
                .daily_audit_counts(Some(AuditAction::AuthLogin.as_str()), "success", since)
                .await?,
        );
        let denied = per_day(store.daily_audit_counts(None, "denied", since).await?);
        let break_glass = per_day(
            store
                .daily_audit_counts(Some(AuditAction::BreakGlassOpen.as_str()), "success", since)
                .await?,
        );
        let mut days = Vec::new();
        let mut day = since.as_millis();
        while day <= now.as_millis() {
            let count = |m: &HashMap<i64, i64>| m.get(&day).copied().unwrap_or(0);
            days.push(DayCounts {
                day: Timestamp::from_millis(day),
                sign_ins: count(&sign_ins),
                denied: count(&denied),
                break_glass: count(&break_glass),
            });
            day += DAY_MS;
        }
        Ok(days)
    }

    /// When the master key in use was made current: its newest rotation,
    /// else the installation's first record.
    async fn master_key_since(&self) -> Result<Option<KeyAge>> {
        let mut since = None;
        let filter = AuditFilter {
            action: Some(AuditAction::KeyRotate.as_str().into()),
            outcome: Some("success".into()),
            ..AuditFilter::default()
        };
        let mut after = 0;
        loop {
            let page = self
                .core
                .store
                .query_audit(&filter, after, SCAN_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for r in &page {
                let detail: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
                if detail["key"] == "master" {
                    since = Some(r.at);
                }
            }
        }
        let since = match since {
            Some(at) => Some(at),
            None => self.installed_at().await?,
        };
        Ok(since.map(|since| KeyAge {
            key_id: None,
            since,
        }))
    }

    /// When the signing key in use took over: the endorsement of its
    /// predecessor, else the installation's first record.
    async fn signing_key_since(&self) -> Result<Option<KeyAge>> {
        let Some(key) = self.core.audit_key.as_deref() else {
            return Ok(None);
        };
        let key_id = key.key_id();
        let endorsed = self
            .core
            .store
            .list_key_endorsements()
            .await?
            .into_iter()
            .filter(|e| e.endorsed_by == key_id)
            .map(|e| e.at)
            .max();
        let since = match endorsed {
            Some(at) => Some(at),
            None => self.installed_at().await?,
        };
        Ok(since.map(|since| KeyAge {
            key_id: Some(key_id),
            since,
        }))
    }

    /// The time of `system.init`, the trail's first record.
    async fn installed_at(&self) -> Result<Option<Timestamp>> {
        let filter = AuditFilter {
            action: Some(AuditAction::SystemInit.as_str().into()),
            ..AuditFilter::default()
        };
        let first = self.core.store.query_audit(&filter, 0, 1).await?;
        Ok(first.first().map(|r| r.at))
    }
}
