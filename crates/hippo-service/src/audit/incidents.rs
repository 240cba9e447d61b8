//! Breach handling (45 CFR 164.404-410): an auditor records an incident
//! with when it was discovered and the scope the trail should be searched
//! in (an account, session or address and a window). hippo runs the breach
//! scope report over it, keeps the affected patients' ids and their count
//! per state of residence, and works out whom the law says must be told by
//! when:
//!
//! - the individuals, within 60 days of discovery (164.404(b));
//! - HHS, with the individuals when 500 or more are affected, else in the
//!   annual log, within 60 days of the calendar year's end (164.408);
//! - the media of a state, within 60 days, when more than 500 of its
//!   residents are affected (164.406).
//!
//! Auditors record each notice as it goes out, and close the incident as
//! `notified` (every notice recorded) or `low_probability` (the four-factor
//! risk assessment of 164.402(2) found a low probability of compromise).
//! The covered entity hears of each incident and change by webhook
//! (`incident.opened`, `incident.updated`), with ids and counts only. The
//! summary and the closing note are sealed with the directory key; every
//! reading and change is recorded.

use super::{Audit, AuditQuery, parse_time};
use crate::governance::break_glass::parse_text;
use crate::webhooks::{Outgoing, enqueue};
use crate::{Actor, Principal, Result, ServiceError};
use hippo_core::{AuditAction, ErrorCode, Outcome, PatientId, Timestamp, UserId};
use hippo_store::IncidentRow;
use std::collections::BTreeMap;
use std::time::Duration;

/// Notice to individuals (and the media, and HHS for large breaches) is due
/// this long after discovery at the latest.
pub const NOTIFY_WITHIN: Duration = Duration::from_secs(60 * 86_400);
/// From this many affected individuals HHS hears with them (164.408(b));
/// fewer go in the annual log.
pub const HHS_WITH_INDIVIDUALS_FROM: usize = 500;
/// More than this many residents of one state call for notice to its media
/// (164.406).
pub const MEDIA_OVER: u64 = 500;
/// The count of patients without a known state of residence.
pub const UNKNOWN_STATE: &str = "unknown";

const TABLE: &str = "incidents";
const MIN_SUMMARY: usize = 10;
const MAX_SUMMARY: usize = 2000;
const MAX_NOTE: usize = 2000;

/// Who must be told of a breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Audience {
    Individuals,
    Hhs,
    Media,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Individuals, Audience::Hhs, Audience::Media];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individuals => "individuals",
            Self::Hhs => "hhs",
            Self::Media => "media",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The section that requires this notice.
    pub fn hipaa(self) -> &'static str {
        match self {
            Self::Individuals => "164.404",
            Self::Hhs => "164.408",
            Self::Media => "164.406",
        }
    }
}

/// How an incident was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentOutcome {
    /// A breach, and every notice it called for went out.
    Notified,
    /// The risk assessment found a low probability that the information
    /// was compromised: not a breach, no notice due.
    LowProbability,
}

impl IncidentOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notified => "notified",
            Self::LowProbability => "low_probability",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "notified" => Some(Self::Notified),
            "low_probability" => Some(Self::LowProbability),
            _ => None,
        }
    }
}

/// One notice the law calls for: to whom, by when, and when it went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Obligation {
    pub audience: Audience,
    pub due: Timestamp,
    pub notified_at: Option<Timestamp>,
}

impl Obligation {
    /// Still owed after its deadline.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.notified_at.is_none() && now > self.due
    }
}

/// The notices a breach discovered at `discovered_at` calls for, with their
/// deadlines: none when the trail shows no one affected. The calendar year
/// of discovery is local to `offset_minutes` (the offset `discovered_at`
/// was given in).
pub fn obligations(
    discovered_at: Timestamp,
    offset_minutes: i64,
    affected: usize,
    by_state: &BTreeMap<String, u64>,
) -> Vec<(Audience, Timestamp)> {
    if affected == 0 {
        return Vec::new();
    }
    let within = discovered_at.plus(NOTIFY_WITHIN);
    let hhs = if affected >= HHS_WITH_INDIVIDUALS_FROM {
        within
    } else {
        discovered_at
            .next_year_start(offset_minutes)
            .plus(NOTIFY_WITHIN)
    };
    let mut out = vec![(Audience::Individuals, within), (Audience::Hhs, hhs)];
    if by_state
        .iter()
        .any(|(state, n)| state != UNKNOWN_STATE && *n > MEDIA_OVER)
    {
        out.push((Audience::Media, within));
    }
    out
}

/// Where the trail was searched: an account, session or address, and the
/// window.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IncidentScope {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    pub since: String,
    pub until: String,
}

/// An incident to record.
#[derive(Debug, Clone, Default)]
pub struct NewIncident {
    pub summary: String,
    /// RFC 3339: the first day anyone in the organisation knew (or should
    /// have known).
    pub discovered_at: String,
    pub actor_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// An incident as auditors see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub summary: String,
    pub discovered_at: Timestamp,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub scope: IncidentScope,
    /// Patient ids, sorted.
    pub affected_patients: Vec<String>,
    pub by_state: BTreeMap<String, u64>,
    /// Every notice recorded, required or not.
    pub notified: BTreeMap<Audience, Timestamp>,
    /// The notices the law calls for (nothing once closed as
    /// `low_probability`).
    pub obligations: Vec<Obligation>,
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<UserId>,
    pub outcome: Option<IncidentOutcome>,
    pub close_note: Option<String>,
    pub version: i64,
}

impl Incident {
    /// `closed`, `overdue` (a notice past its deadline) or `open`.
    pub fn status(&self, now: Timestamp) -> &'static str {
        if self.closed_at.is_some() {
            "closed"
        } else if self.obligations.iter().any(|o| o.overdue(now)) {
            "overdue"
        } else {
            "open"
        }
    }

    /// The notices still owed (none once closed).
    pub fn pending(&self) -> impl Iterator<Item = &Obligation> {
        self.obligations
            .iter()
            .filter(|o| self.closed_at.is_none() && o.notified_at.is_none())
    }
}

fn notified_at(row: &IncidentRow, audience: Audience) -> Option<Timestamp> {
    match audience {
        Audience::Individuals => row.individuals_notified_at,
        Audience::Hhs => row.hhs_notified_at,
        Audience::Media => row.media_notified_at,
    }
}

/// A column's JSON text.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| ServiceError::Internal(e.to_string()))
}

fn corrupt(what: &str) -> ServiceError {
    ServiceError::Internal(format!("stored incident {what} is not valid JSON"))
}

impl Audit {
    fn incident_view(&self, row: &IncidentRow) -> Result<Incident> {
        let open = |column: &str, sealed: &[u8]| {
            self.core
                .keys
                .open_directory_field(TABLE, column, &row.id, sealed)
        };
        let affected: Vec<String> =
            serde_json::from_str(&row.affected).map_err(|_| corrupt("affected"))?;
        let by_state: BTreeMap<String, u64> =
            serde_json::from_str(&row.by_state).map_err(|_| corrupt("by_state"))?;
        let outcome = row.outcome.as_deref().and_then(IncidentOutcome::parse);
        let obligations = if outcome == Some(IncidentOutcome::LowProbability) {
            Vec::new()
        } else {
            obligations(
                row.discovered_at,
                row.discovered_offset_minutes,
                affected.len(),
                &by_state,
            )
            .into_iter()
            .map(|(audience, due)| Obligation {
                audience,
                due,
                notified_at: notified_at(row, audience),
            })
            .collect()
        };
        Ok(Incident {
            id: row.id.clone(),
            summary: open("summary", &row.summary_enc)?,
            discovered_at: row.discovered_at,
            created_at: row.created_at,
            created_by: row.created_by.clone(),
            scope: serde_json::from_str(&row.scope).map_err(|_| corrupt("scope"))?,
            notified: Audience::ALL
                .into_iter()
                .filter_map(|a| notified_at(row, a).map(|t| (a, t)))
                .collect(),
            affected_patients: affected,
            by_state,
            obligations,
            closed_at: row.closed_at,
            closed_by: row.closed_by.clone(),
            outcome,
            close_note: row
                .close_note_enc
                .as_deref()
                .map(|n| open("close_note", n))
                .transpose()?,
            version: row.version,
        })
    }

    /// Records an incident (auditors): runs the breach scope report over
    /// the scope, counts the affected patients per state, and tells the
    /// covered entity (`incident.opened`).
    pub async fn open_incident(&self, actor: &Actor, input: NewIncident) -> Result<Incident> {
        let action = AuditAction::IncidentCreate;
        self.core
            .require_auditor(Principal::User(actor), action)
            .await?;
        let summary = parse_text(&input.summary, "summary", MIN_SUMMARY, MAX_SUMMARY)?;
        let now = self.core.clock.now();
        let Some((discovered_at, offset_minutes)) =
            Timestamp::parse_rfc3339_with_offset(input.discovered_at.trim())
        else {
            return Err(ServiceError::validation(
                "discovered_at must be an RFC 3339 time with its UTC offset, such as 2026-11-01T09:00:00-05:00",
            ));
        };
        if discovered_at > now {
            return Err(ServiceError::validation(
                "discovered_at must not be in the future",
            ));
        }
        let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let query = AuditQuery {
            actor_id: clean(input.actor_id),
            session_id: clean(input.session_id),
            ip: clean(input.ip),
            since: clean(input.since),
            until: clean(input.until),
            // Denied attempts showed nothing: only what was done counts.
            outcome: Some("success".into()),
            ..AuditQuery::default()
        };
        let report = self.breach_scope_report(actor, query.clone()).await?;
        let mut affected: Vec<String> = report.by_patient.into_keys().collect();
        affected.sort();
        let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
        for id in &affected {
            let state = match PatientId::parse(id) {
                Some(pid) => self
                    .core
                    .store
                    .get_patient(&pid)
                    .await?
                    .and_then(|p| p.residence_state),
                None => None,
            };
            *by_state
                .entry(state.unwrap_or_else(|| UNKNOWN_STATE.to_owned()))
                .or_default() += 1;
        }
        let scope = IncidentScope {
            actor_id: query.actor_id,
            session_id: query.session_id,
            ip: query.ip,
            since: query.since.unwrap_or_default(),
            until: query.until.unwrap_or_default(),
        };
        let id = uuid::Uuid::now_v7().to_string();
        let row = IncidentRow {
            summary_enc: self
                .core
                .keys
                .seal_directory_field(TABLE, "summary", &id, &summary)?,
            id,
            discovered_at,
            discovered_offset_minutes: offset_minutes,
            created_at: now,
            created_by: actor.user.id.clone(),
            scope: to_json(&scope)?,
            affected: to_json(&affected)?,
            by_state: to_json(&by_state)?,
            individuals_notified_at: None,
            hhs_notified_at: None,
            media_notified_at: None,
            closed_at: None,
            closed_by: None,
            outcome: None,
            close_note_enc: None,
            version: 1,
        };
        let mut tx = self.core.store.begin_write().await?;
        tx.insert_incident(&row).await?;
        tx.append_audit(
            &actor
                .event(now, action, Outcome::Success)
                .resource("incident", row.id.as_str())
                .detail(serde_json::json!({
                    "discovered_at": discovered_at.to_rfc3339(),
                    "affected": affected.len(),
                    "by_state": by_state,
                })),
        )
        .await?;
        enqueue(
            &mut tx,
            &Outgoing::IncidentOpened {
                incident_id: &row.id,
                discovered_at,
                notify_by: discovered_at.plus(NOTIFY_WITHIN),
                patient_ids: &affected,
                by_state: &by_state,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.incident_view(&row)
    }

    /// Every incident, newest discovery first (auditors); the listing is
    /// recorded.
    pub async fn list_incidents(&self, actor: &Actor) -> Result<Vec<Incident>> {
        let by = Principal::User(actor);
        self.core
            .require_auditor(by, AuditAction::IncidentRead)
            .await?;
        let rows = self.core.store.list_incidents().await?;
        let out = rows
            .iter()
            .map(|r| self.incident_view(r))
            .collect::<Result<Vec<_>>>()?;
        self.record_examination(
            by,
            AuditAction::IncidentRead,
            serde_json::json!({ "listed": rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>() }),
        )
        .await?;
        Ok(out)
    }

    /// One incident with its affected patients (auditors); recorded.
    pub async fn get_incident(&self, actor: &Actor, id: &str) -> Result<Incident> {
        self.core
            .require_auditor(Principal::User(actor), AuditAction::IncidentRead)
            .await?;
        let Some(row) = self.core.store.get_incident(id).await? else {
            return Err(ServiceError::not_found());
        };
        let view = self.incident_view(&row)?;
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::IncidentRead,
                        Outcome::Success,
                    )
                    .resource("incident", row.id.as_str()),
            )
            .await?;
        Ok(view)
    }

    /// Records that `audience` was notified at `at` (default now).
    pub async fn record_incident_notice(
        &self,
        actor: &Actor,
        id: &str,
        audience: &str,
        at: Option<&str>,
    ) -> Result<Incident> {
        self.core
            .require_auditor(Principal::User(actor), AuditAction::IncidentUpdate)
            .await?;
        let Some(audience) = Audience::parse(audience) else {
            return Err(ServiceError::validation(
                "audience must be individuals, hhs or media",
            ));
        };
        let now = self.core.clock.now();
        let at = parse_time("notified_at", at)?.unwrap_or(now);
        let mut row = self.open_incident_row(id).await?;
        if at > now || at < row.discovered_at {
            return Err(ServiceError::validation(
                "notified_at must lie between the discovery and now",
            ));
        }
        if notified_at(&row, audience).is_some() {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                format!("the {} notice is already recorded", audience.as_str()),
            ));
        }
        match audience {
            Audience::Individuals => row.individuals_notified_at = Some(at),
            Audience::Hhs => row.hhs_notified_at = Some(at),
            Audience::Media => row.media_notified_at = Some(at),
        }
        self.save_incident(
            actor,
            row,
            serde_json::json!({ "notified": audience.as_str(), "at": at.to_rfc3339() }),
        )
        .await
    }

    /// Closes an incident with its outcome and the auditor's note (the
    /// risk assessment, or how the notices went). `notified` needs every
    /// required notice recorded.
    pub async fn close_incident(
        &self,
        actor: &Actor,
        id: &str,
        outcome: &str,
        note: &str,
    ) -> Result<Incident> {
        self.core
            .require_auditor(Principal::User(actor), AuditAction::IncidentUpdate)
            .await?;
        let Some(outcome) = IncidentOutcome::parse(outcome) else {
            return Err(ServiceError::validation(
                "outcome must be notified or low_probability",
            ));
        };
        let note = parse_text(note, "note", 1, MAX_NOTE)?;
        let mut row = self.open_incident_row(id).await?;
        if outcome == IncidentOutcome::Notified {
            let missing: Vec<&str> = self
                .incident_view(&row)?
                .pending()
                .map(|o| o.audience.as_str())
                .collect();
            if !missing.is_empty() {
                return Err(ServiceError::public(
                    ErrorCode::Conflict,
                    format!(
                        "notices still to record before closing as notified: {}",
                        missing.join(", ")
                    ),
                ));
            }
        }
        let now = self.core.clock.now();
        row.close_note_enc = Some(self.core.keys.seal_directory_field(
            TABLE,
            "close_note",
            &row.id,
            &note,
        )?);
        row.closed_at = Some(now);
        row.closed_by = Some(actor.user.id.clone());
        row.outcome = Some(outcome.as_str().to_owned());
        self.save_incident(
            actor,
            row,
            serde_json::json!({ "closed": outcome.as_str() }),
        )
        .await
    }

    /// The incident, if it exists and is not closed.
    async fn open_incident_row(&self, id: &str) -> Result<IncidentRow> {
        let Some(row) = self.core.store.get_incident(id).await? else {
            return Err(ServiceError::not_found());
        };
        if row.closed_at.is_some() {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "this incident is closed",
            ));
        }
        Ok(row)
    }

    /// Stores a changed incident (compare-and-swap), records the change and
    /// tells the covered entity (`incident.updated`).
    async fn save_incident(
        &self,
        actor: &Actor,
        mut row: IncidentRow,
        detail: serde_json::Value,
    ) -> Result<Incident> {
        let now = self.core.clock.now();
        row.version += 1;
        let view = self.incident_view(&row)?;
        let mut tx = self.core.store.begin_write().await?;
        if !tx.update_incident(&row).await? {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "the incident changed meanwhile; reload it and try again",
            ));
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::IncidentUpdate, Outcome::Success)
                .resource("incident", row.id.as_str())
                .detail(detail),
        )
        .await?;
        enqueue(
            &mut tx,
            &Outgoing::IncidentUpdated {
                incident_id: &row.id,
                status: view.status(now),
                notified: view
                    .notified
                    .iter()
                    .map(|(a, t)| (a.as_str(), *t))
                    .collect(),
                outcome: row.outcome.as_deref(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Open incidents for the evidence report (no audit record of its own:
    /// the report records itself).
    pub(super) async fn open_incidents(&self) -> Result<Vec<Incident>> {
        let rows = self.core.store.list_incidents().await?;
        rows.iter()
            .filter(|r| r.closed_at.is_none())
            .map(|r| self.incident_view(r))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn states(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect()
    }

    #[test]
    fn a_small_breach_tells_individuals_in_60_days_and_hhs_in_the_annual_log() {
        let found = at("2026-11-10T09:00:00Z");
        let due = obligations(found, 0, 3, &states(&[("CA", 2), ("unknown", 1)]));
        assert_eq!(
            due,
            vec![
                (Audience::Individuals, at("2027-01-09T09:00:00Z")),
                // 60 days after 31 December: the end of 1 March 2027.
                (Audience::Hhs, at("2027-03-02T00:00:00Z")),
            ]
        );
    }

    #[test]
    fn the_annual_log_counts_from_the_end_of_the_local_year() {
        // Discovered on New Year's Eve in New York (1 January in UTC): the
        // 2026 log, due 60 days after midnight New York time.
        let (found, offset) =
            Timestamp::parse_rfc3339_with_offset("2026-12-31T20:00:00-05:00").unwrap();
        let due = obligations(found, offset, 1, &states(&[("NY", 1)]));
        assert_eq!(due[1], (Audience::Hhs, at("2027-03-02T05:00:00Z")));
    }

    #[test]
    fn from_500_affected_hhs_hears_with_the_individuals() {
        let found = at("2026-02-01T00:00:00Z");
        let due = obligations(found, 0, 500, &states(&[("NY", 250), ("NJ", 250)]));
        assert_eq!(
            due,
            vec![
                (Audience::Individuals, at("2026-04-02T00:00:00Z")),
                (Audience::Hhs, at("2026-04-02T00:00:00Z")),
            ]
        );
        // 499 go in the log, due 60 days after the year's end.
        let log = obligations(found, 0, 499, &states(&[("NY", 499)]));
        assert_eq!(log[1], (Audience::Hhs, at("2027-03-02T00:00:00Z")));
    }

    #[test]
    fn media_notice_needs_more_than_500_residents_of_one_state() {
        let found = at("2026-05-01T00:00:00Z");
        let media = |by: &[(&str, u64)]| {
            obligations(found, 0, 2000, &states(by))
                .iter()
                .any(|(a, _)| *a == Audience::Media)
        };
        assert!(media(&[("TX", 501)]));
        assert!(!media(&[("TX", 500), ("OK", 500)]));
        // Patients of unknown residence are not a state.
        assert!(!media(&[("unknown", 2000)]));
    }

    #[test]
    fn no_one_affected_calls_for_no_notice() {
        assert!(obligations(at("2026-05-01T00:00:00Z"), 0, 0, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn an_obligation_is_overdue_only_unmet_after_its_deadline() {
        let o = Obligation {
            audience: Audience::Individuals,
            due: at("2026-05-01T00:00:00Z"),
            notified_at: None,
        };
        assert!(!o.overdue(at("2026-05-01T00:00:00Z")));
        assert!(o.overdue(at("2026-05-01T00:00:01Z")));
        let met = Obligation {
            notified_at: Some(at("2026-04-01T00:00:00Z")),
            ..o
        };
        assert!(!met.overdue(at("2027-01-01T00:00:00Z")));
    }
}
