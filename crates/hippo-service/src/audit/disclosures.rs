//! The accounting of disclosures (HIPAA §164.528): for one patient, over
//! six years unless asked otherwise, every time her information left
//! hippo — a copy given to her (`patient.export`), a message sent to her
//! over WhatsApp through Meta's Cloud API (`whatsapp.send` when Meta
//! accepted it, named after who sent it), and every read
//! of her information by an integration (a service account: the ERP or
//! EHR reading through the API or FHIR). Each entry names who made it by
//! name (auditors may resolve workforce names for this). Reads by her care
//! team are uses, not disclosures, and are in the patient-access report.
//! The report is itself recorded.

use super::*;
use hippo_core::{PatientId, Role, User, UserId};
use std::time::Duration;

/// How far back the accounting reaches by default (§164.528(a)(3)).
pub const ACCOUNTING_PERIOD: Duration = Duration::from_secs((6 * 365 + 2) * 86_400);

/// How her information left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureKind {
    /// A copy of her record given to her (the export).
    PatientCopy,
    /// A message to her over WhatsApp, through Meta.
    Whatsapp,
    /// Read by an integration (a service account).
    Integration,
}

impl DisclosureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PatientCopy => "patient_copy",
            Self::Whatsapp => "whatsapp",
            Self::Integration => "integration",
        }
    }

    /// What a record is, if a disclosure. `role` is its actor's role.
    fn of(r: &AuditRecord, role: Option<Role>) -> Option<Self> {
        if r.outcome != Outcome::Success {
            return None;
        }
        match r.action {
            AuditAction::PatientExport => Some(Self::PatientCopy),
            // When Meta accepted it: the information has left.
            AuditAction::WhatsappSend if stage(r) == Some("accepted".into()) => {
                Some(Self::Whatsapp)
            }
            a if role == Some(Role::Service) && hippo_store::READ_ACTIONS.contains(&a.as_str()) => {
                Some(Self::Integration)
            }
            _ => None,
        }
    }
}

/// A WhatsApp record's `stage` (`queued`, `accepted`, `failed`).
fn stage(r: &AuditRecord) -> Option<String> {
    let detail: serde_json::Value = serde_json::from_str(&r.detail).ok()?;
    detail["stage"].as_str().map(str::to_owned)
}

/// One disclosure.
#[derive(Debug, Clone)]
pub struct Disclosure {
    pub record: AuditRecord,
    pub kind: DisclosureKind,
    /// Who made it (`None`: the server itself or the operator).
    pub by: Option<User>,
}

/// The accounting for one patient.
#[derive(Debug, Clone)]
pub struct Accounting {
    pub patient_id: PatientId,
    pub since: Timestamp,
    pub until: Timestamp,
    /// Oldest first, at most [`MAX_REPORT_RECORDS`].
    pub disclosures: Vec<Disclosure>,
    pub truncated: bool,
}

impl Audit {
    /// The accounting of disclosures of `patient_id` (auditors), from
    /// `since` (default: six years ago) until `until` (default: now).
    pub async fn disclosures_report(
        &self,
        actor: &Actor,
        patient_id: &str,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Accounting> {
        let by = Principal::User(actor);
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        let patient_id = PatientId::parse(patient_id)
            .ok_or_else(|| ServiceError::validation("patient_id is not a patient id"))?;
        let now = self.core.clock.now();
        let since = parse_time("since", since)?.unwrap_or(now.minus(ACCOUNTING_PERIOD));
        let until = parse_time("until", until)?.unwrap_or(now.plus(Duration::from_millis(1)));
        self.sequence_now().await?;
        let users: HashMap<UserId, User> = self
            .core
            .store
            .list_users()
            .await?
            .iter()
            .map(|row| Ok((row.id.clone(), self.core.user_from_row(row)?)))
            .collect::<Result<_>>()?;
        let filter = AuditFilter {
            patient_id: Some(patient_id.to_string()),
            since: Some(since),
            until: Some(until),
            ..AuditFilter::default()
        };
        let mut disclosures = Vec::new();
        let mut truncated = false;
        // Who asked for each WhatsApp message (its `queued` record), for
        // the worker's record of Meta accepting it.
        let mut queued_by: HashMap<String, UserId> = HashMap::new();
        let mut after = 0;
        'scan: loop {
            let page = self
                .core
                .store
                .query_audit(&filter, after, SCAN_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for r in page {
                if r.action == AuditAction::WhatsappSend
                    && stage(&r).as_deref() == Some("queued")
                    && let (Some(message), Some(actor)) = (&r.resource_id, &r.actor_id)
                {
                    queued_by.insert(message.clone(), actor.clone());
                }
                let actor = match (&r.actor_id, &r.resource_id) {
                    (Some(id), _) => Some(id),
                    (None, Some(message)) if r.action == AuditAction::WhatsappSend => {
                        queued_by.get(message)
                    }
                    _ => None,
                };
                let user = actor.and_then(|id| users.get(id));
                let Some(kind) = DisclosureKind::of(&r, user.map(|u| u.role)) else {
                    continue;
                };
                if disclosures.len() == MAX_REPORT_RECORDS {
                    truncated = true;
                    break 'scan;
                }
                disclosures.push(Disclosure {
                    by: user.cloned(),
                    record: r,
                    kind,
                });
            }
        }
        self.record_examination(
            by,
            AuditAction::AuditQuery,
            serde_json::json!({
                "report": "disclosures",
                "patient_id": patient_id.as_str(),
                "count": disclosures.len(),
            }),
        )
        .await?;
        Ok(Accounting {
            patient_id,
            since,
            until,
            disclosures,
            truncated,
        })
    }
}
