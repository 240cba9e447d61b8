//! Names for the ids in the trail, for auditors: the audit search and the
//! reports list accounts and patients by id, and an auditor's job needs to
//! know who they are (the minimum necessary: a workforce member's username,
//! name, role and status; a patient's name and MRN, nothing of her
//! messages). Every resolution is itself recorded as `audit.resolve`: the
//! accounts in one record, and each patient in one carrying her id, so her
//! patient-access report shows that an auditor looked her up. It is not a
//! read of her record, so the activity review does not count it.

use super::Audit;
use crate::{Actor, Principal, Result, ServiceError};
use hippo_core::{AuditAction, Outcome, PatientId, Role, UserId, UserStatus};

/// Ids resolved in one call at most, of each kind.
pub const MAX_RESOLVE: usize = 200;

/// An account as the trail's reader needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
}

/// A patient as the trail's reader needs her.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPatient {
    pub id: PatientId,
    pub display_name: String,
    pub mrn: Option<String>,
}

/// What the ids name; ids that name nobody are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    pub users: Vec<ResolvedUser>,
    pub patients: Vec<ResolvedPatient>,
}

/// `ids` without blanks and repeats, in their order, at most
/// [`MAX_RESOLVE`].
fn distinct(ids: &[String], what: &str) -> Result<Vec<String>> {
    if ids.len() > MAX_RESOLVE {
        return Err(ServiceError::validation(format!(
            "at most {MAX_RESOLVE} {what} per call"
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for id in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}

impl Audit {
    /// The accounts and patients behind `user_ids` and `patient_ids`
    /// (auditors); recorded as described in the module.
    pub async fn resolve_names(
        &self,
        actor: &Actor,
        user_ids: &[String],
        patient_ids: &[String],
    ) -> Result<Resolved> {
        self.core
            .require_auditor(Principal::User(actor), AuditAction::AuditResolve)
            .await?;
        let user_ids = distinct(user_ids, "user_ids")?;
        let patient_ids = distinct(patient_ids, "patient_ids")?;
        let store = &self.core.store;
        let mut out = Resolved::default();
        for id in &user_ids {
            let Some(uid) = UserId::parse(id) else {
                continue;
            };
            if let Some(row) = store.get_user(&uid).await? {
                let user = self.core.user_from_row(&row)?;
                out.users.push(ResolvedUser {
                    id: user.id,
                    username: user.username,
                    display_name: user.display_name,
                    role: user.role,
                    status: user.status,
                });
            }
        }
        for id in &patient_ids {
            let Some(pid) = PatientId::parse(id) else {
                continue;
            };
            if let Some(row) = store.get_patient(&pid).await? {
                let open = |column: &str, sealed: &[u8]| {
                    self.core
                        .keys
                        .open_directory_field("patients", column, row.id.as_str(), sealed)
                };
                out.patients.push(ResolvedPatient {
                    display_name: open("display_name", &row.display_name_enc)?,
                    mrn: row.mrn_enc.as_deref().map(|m| open("mrn", m)).transpose()?,
                    id: row.id.clone(),
                });
            }
        }
        let now = self.core.clock.now();
        let mut tx = store.begin_write().await?;
        if !out.users.is_empty() {
            tx.append_audit(
                &actor
                    .event(now, AuditAction::AuditResolve, Outcome::Success)
                    .detail(serde_json::json!({
                        "resolved_for": "audit",
                        "users": out.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
                    })),
            )
            .await?;
        }
        for p in &out.patients {
            let mut ev = actor
                .event(now, AuditAction::AuditResolve, Outcome::Success)
                .resource("patient", p.id.as_str())
                .detail(serde_json::json!({ "resolved_for": "audit" }));
            ev.patient_id = Some(p.id.to_string());
            tx.append_audit(&ev).await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}
