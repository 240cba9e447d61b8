//! The evidence report on the wire: the JSON document of
//! `GET /api/v1/compliance/report` and of `hippo compliance report`
//! (both built by [`EvidenceReportResponse::from`], so they match), as
//! specified in the contract's "Compliance evidence report".

use crate::routes::audit::AlertResponse;
use crate::routes::enums;
use hippo_core::Timestamp;
use hippo_service::audit::evidence::{
    AccountRef, EvidenceReport, Finding, KeyAge, LastRun, Safeguard,
};
use serde::Serialize;
use utoipa::ToSchema;

/// One safeguard as configured.
#[derive(Debug, Serialize, ToSchema)]
pub struct SafeguardResponse {
    pub id: String,
    pub title: String,
    /// The HIPAA Security Rule section it implements (`164.312(d)`).
    pub hipaa: String,
    /// The setting in words.
    pub setting: String,
    /// The setting meets hippo's recommendation.
    pub ok: bool,
}

/// Something to act on.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingResponse {
    /// Stable: the same condition has the same id in every report
    /// (`accounts_without_mfa`, `restore_drill_missing`, …).
    pub id: String,
    #[schema(value_type = enums::FindingSeverity)]
    pub severity: String,
    pub title: String,
    pub detail: String,
    /// The HIPAA section concerned.
    pub hipaa: String,
}

/// An account named in the evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceAccountResponse {
    pub id: String,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = enums::Role)]
    pub role: String,
    /// Its last successful action; null if never.
    #[schema(format = DateTime)]
    pub last_activity_at: Option<String>,
}

/// The newest run of a recorded job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobRunResponse {
    #[schema(format = DateTime)]
    pub at: String,
    #[schema(value_type = enums::JobOutcome)]
    pub outcome: String,
    /// The newest run that succeeded; null if none did.
    #[schema(format = DateTime)]
    pub last_success_at: Option<String>,
}

/// Since when a key has been in use.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyAgeResponse {
    /// The key's id (the audit signing key); null for the master key.
    pub key_id: Option<String>,
    #[schema(format = DateTime)]
    pub since: String,
    pub age_days: u64,
}

/// An emergency access not yet reviewed.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenBreakGlassResponse {
    pub id: String,
    /// Who opened it (null if the account is gone).
    pub user: Option<EvidenceAccountResponse>,
    pub conversation_id: String,
    #[schema(format = DateTime)]
    pub opened_at: String,
}

/// One UTC day of the charts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayCountsResponse {
    /// `YYYY-MM-DD`, UTC.
    #[schema(format = Date)]
    pub date: String,
    /// Successful sign-ins.
    pub sign_ins: i64,
    /// Denied accesses, of any kind.
    pub denied: i64,
    /// Break-glass openings.
    pub break_glass: i64,
}

/// A breach incident not yet closed: its clock and notices (no summary,
/// no patient ids; auditors read those at `/api/v1/incidents/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenIncidentResponse {
    pub id: String,
    #[schema(format = DateTime)]
    pub discovered_at: String,
    #[schema(value_type = enums::IncidentStatus)]
    pub status: String,
    pub affected_count: usize,
    /// The notices still owed, with their deadlines.
    pub pending: Vec<PendingNoticeResponse>,
}

/// A notice still owed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingNoticeResponse {
    #[schema(value_type = enums::NoticeAudience)]
    pub audience: String,
    #[schema(format = DateTime)]
    pub due_at: String,
    pub overdue: bool,
}

/// How many accounts there are.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCountsResponse {
    pub total: usize,
    pub active: usize,
}

/// What the findings rest on.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceResponse {
    pub accounts: AccountCountsResponse,
    /// Active accounts without MFA.
    pub accounts_without_mfa: Vec<EvidenceAccountResponse>,
    /// Active accounts unused for 90 days.
    pub dormant_accounts: Vec<EvidenceAccountResponse>,
    /// Break-glass accesses awaiting review.
    pub open_break_glass: Vec<OpenBreakGlassResponse>,
    pub last_audit_verification: Option<JobRunResponse>,
    pub last_backup: Option<JobRunResponse>,
    pub last_restore_drill: Option<JobRunResponse>,
    pub master_key: Option<KeyAgeResponse>,
    /// Null when no audit signing key is loaded.
    pub signing_key: Option<KeyAgeResponse>,
    /// Security alerts not yet reviewed, newest first.
    pub open_alerts: Vec<AlertResponse>,
    /// Breach incidents not yet closed, newest discovery first.
    pub open_incidents: Vec<OpenIncidentResponse>,
    /// The last 30 UTC days, oldest first, today last.
    pub daily: Vec<DayCountsResponse>,
}

/// The compliance evidence report.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceReportResponse {
    #[schema(format = DateTime)]
    pub generated_at: String,
    pub safeguards: Vec<SafeguardResponse>,
    /// Most severe first; empty when there is nothing to act on.
    pub findings: Vec<FindingResponse>,
    pub evidence: EvidenceResponse,
}

fn account(a: &AccountRef) -> EvidenceAccountResponse {
    EvidenceAccountResponse {
        id: a.id.to_string(),
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        role: a.role.as_str().into(),
        last_activity_at: a.last_activity.map(Timestamp::to_rfc3339),
    }
}

fn run(r: &LastRun) -> JobRunResponse {
    JobRunResponse {
        at: r.at.to_rfc3339(),
        outcome: if r.succeeded { "success" } else { "failure" }.into(),
        last_success_at: r.last_success.map(Timestamp::to_rfc3339),
    }
}

fn key(k: &KeyAge, now: Timestamp) -> KeyAgeResponse {
    KeyAgeResponse {
        key_id: k.key_id.clone(),
        since: k.since.to_rfc3339(),
        age_days: now.since(k.since).as_secs() / 86_400,
    }
}

/// `YYYY-MM-DD` of a UTC instant.
pub fn utc_date(t: Timestamp) -> String {
    t.to_rfc3339().chars().take(10).collect()
}

impl From<&Safeguard> for SafeguardResponse {
    fn from(s: &Safeguard) -> Self {
        Self {
            id: s.id.into(),
            title: s.title.into(),
            hipaa: s.hipaa.into(),
            setting: s.setting.clone(),
            ok: s.ok,
        }
    }
}

impl From<&Finding> for FindingResponse {
    fn from(f: &Finding) -> Self {
        Self {
            id: f.id.into(),
            severity: f.severity.as_str().into(),
            title: f.title.clone(),
            detail: f.detail.clone(),
            hipaa: f.hipaa.into(),
        }
    }
}

impl From<&EvidenceReport> for EvidenceReportResponse {
    fn from(r: &EvidenceReport) -> Self {
        let e = &r.evidence;
        let now = r.generated_at;
        Self {
            generated_at: now.to_rfc3339(),
            safeguards: r.safeguards.iter().map(SafeguardResponse::from).collect(),
            findings: r.findings.iter().map(FindingResponse::from).collect(),
            evidence: EvidenceResponse {
                accounts: AccountCountsResponse {
                    total: e.accounts_total,
                    active: e.accounts_active,
                },
                accounts_without_mfa: e.without_mfa.iter().map(account).collect(),
                dormant_accounts: e.dormant.iter().map(account).collect(),
                open_break_glass: e
                    .open_break_glass
                    .iter()
                    .map(|g| OpenBreakGlassResponse {
                        id: g.id.clone(),
                        user: g.user.as_ref().map(account),
                        conversation_id: g.conversation_id.clone(),
                        opened_at: g.opened_at.to_rfc3339(),
                    })
                    .collect(),
                last_audit_verification: e.last_audit_verification.as_ref().map(run),
                last_backup: e.last_backup.as_ref().map(run),
                last_restore_drill: e.last_restore_drill.as_ref().map(run),
                master_key: e.master_key.as_ref().map(|k| key(k, now)),
                signing_key: e.signing_key.as_ref().map(|k| key(k, now)),
                open_alerts: e.open_alerts.iter().map(AlertResponse::from).collect(),
                open_incidents: e
                    .open_incidents
                    .iter()
                    .map(|i| OpenIncidentResponse {
                        id: i.id.clone(),
                        discovered_at: i.discovered_at.to_rfc3339(),
                        status: i.status(now).into(),
                        affected_count: i.affected_patients.len(),
                        pending: i
                            .pending()
                            .map(|o| PendingNoticeResponse {
                                audience: o.audience.as_str().into(),
                                due_at: o.due.to_rfc3339(),
                                overdue: o.overdue(now),
                            })
                            .collect(),
                    })
                    .collect(),
                daily: e
                    .daily
                    .iter()
                    .map(|d| DayCountsResponse {
                        date: utc_date(d.day),
                        sign_ins: d.sign_ins,
                        denied: d.denied,
                        break_glass: d.break_glass,
                    })
                    .collect(),
            },
        }
    }
}
