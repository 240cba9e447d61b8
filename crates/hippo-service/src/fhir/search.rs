//! `GET /fhir/r4/Communication?patient=…`: a patient conversation's
//! messages, oldest first, as a `searchset` Bundle, for its care team.
//!
//! Parameters: `patient` (`<id>` or `Patient/<id>`; `subject=Patient/<id>`
//! is the same), `_since` (an instant: only messages sent, edited,
//! recalled or whose WhatsApp status moved at or after it), `_count` (page
//! size, default 50, at most 500) and `_cursor` (from a `next` link). Any
//! other parameter is refused (400) rather than ignored, so a filter hippo
//! does not apply never widens what comes back.
//!
//! A page reads at most [`SCAN_BUDGET`] messages: with a `_since` far into
//! a long conversation a page may hold fewer than `_count` entries and
//! still have a `next` link. Reading is recorded as one `conversation.read`
//! (with the patient's id, `"via": "fhir"` and the range); it marks nothing
//! delivered or read.

use super::resources::{self, Origin, Parties};
use super::{Fhir, FhirError, Issue};
use crate::messages::{DEFAULT_PAGE, MAX_PAGE};
use crate::{Actor, ServiceError};
use hippo_core::{AuditAction, ErrorCode, Outcome, Timestamp, UserId};
use serde_json::Value;

/// Most messages one page looks at (matching `_since` or not).
pub const SCAN_BUDGET: i64 = 2_000;
/// Messages read from the store at a time.
const BATCH: i64 = 500;

/// A parsed search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunicationSearch {
    pub patient: String,
    pub since: Option<Timestamp>,
    pub count: i64,
    /// Messages after this `seq`.
    pub cursor: i64,
}

fn bad(param: &str, detail: impl Into<String>) -> FhirError {
    FhirError::invalid(Issue::new("value", detail).at(param.to_owned()))
}

impl CommunicationSearch {
    /// Reads the query's parameters (each at most once).
    pub fn parse(params: &[(String, String)]) -> Result<Self, FhirError> {
        let mut seen: Vec<&str> = Vec::new();
        let (mut patient, mut since, mut count, mut cursor) = (None, None, None, None);
        for (name, value) in params {
            if seen.contains(&name.as_str()) {
                return Err(bad(name, format!("{name} may be given once")));
            }
            seen.push(name);
            match name.as_str() {
                "patient" | "subject" => {
                    let id = value
                        .strip_prefix("Patient/")
                        .unwrap_or(if name == "subject" { "" } else { value });
                    if id.is_empty() {
                        return Err(bad(name, format!("{name} must be Patient/<id>")));
                    }
                    if patient.as_ref().is_some_and(|p: &String| p != id) {
                        return Err(bad(name, "patient and subject name different patients"));
                    }
                    patient = Some(id.to_owned());
                }
                "_since" => {
                    // A `+` offset sent unescaped arrives as a space.
                    let v = value.replace(' ', "+");
                    let t = Timestamp::parse_rfc3339(&v).ok_or_else(|| {
                        bad(
                            name,
                            "_since must be an instant with seconds and a time zone, e.g. 2026-11-30T08:00:00Z",
                        )
                    })?;
                    since = Some(t);
                }
                "_count" => {
                    let n: i64 = value
                        .parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad(name, "_count must be a whole number from 1"))?;
                    count = Some(n.min(MAX_PAGE));
                }
                "_cursor" => {
                    let n: i64 = value.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
                        bad(name, "_cursor is not one this server gave; start again")
                    })?;
                    cursor = Some(n);
                }
                // Content negotiation is the HTTP layer's.
                "_format" => {}
                other => {
                    return Err(FhirError::invalid(
                        Issue::new(
                            "not-supported",
                            format!(
                                "search parameter {other} is not supported (patient, subject, _since, _count, _cursor are)"
                            ),
                        )
                        .at(other.to_owned()),
                    ));
                }
            }
        }
        let patient = patient.ok_or_else(|| {
            FhirError::invalid(
                Issue::new(
                    "required",
                    "patient (or subject=Patient/<id>) is required: hippo searches one patient's conversation",
                )
                .at("patient"),
            )
        })?;
        Ok(Self {
            patient,
            since,
            count: count.unwrap_or(DEFAULT_PAGE),
            cursor: cursor.unwrap_or(0),
        })
    }

    /// The query string of this search (canonical), at `cursor`.
    fn query(&self, cursor: i64) -> String {
        let mut q = format!("patient={}", self.patient);
        if let Some(t) = self.since {
            q.push_str(&format!("&_since={}", t.to_rfc3339()));
        }
        q.push_str(&format!("&_count={}", self.count));
        if cursor > 0 {
            q.push_str(&format!("&_cursor={cursor}"));
        }
        q
    }
}

/// One page of the answer.
#[derive(Debug)]
pub struct CommunicationPage {
    /// The `searchset` Bundle.
    pub bundle: Value,
    /// How many Communications it holds.
    pub count: usize,
}

impl Fhir {
    /// A patient conversation's messages as Communications, for the
    /// patient's care team (anyone else: not found, recorded as denied).
    pub async fn search_communications(
        &self,
        actor: &Actor,
        search: &CommunicationSearch,
        origin: &Origin,
    ) -> Result<CommunicationPage, FhirError> {
        let (patient, conv, members) = self
            .patients
            .care_team_patient(actor, &search.patient, AuditAction::ConversationRead)
            .await
            .map_err(|e| match e.code() {
                ErrorCode::NotFound => ServiceError::public(
                    ErrorCode::NotFound,
                    format!(
                        "Patient/{} is not a patient whose care team you are on",
                        search.patient.chars().take(64).collect::<String>()
                    ),
                ),
                _ => e,
            })?;
        let mut cursor = search.cursor;
        let mut scanned = 0;
        let mut exhausted = false;
        let mut rows = Vec::new();
        'scan: while scanned < SCAN_BUDGET {
            let want = BATCH.min(SCAN_BUDGET - scanned);
            let batch = self
                .core
                .store
                .list_messages(&conv.id, cursor, want)
                .await?;
            let got = i64::try_from(batch.len()).unwrap_or(want);
            for row in batch {
                cursor = row.seq;
                scanned += 1;
                if search
                    .since
                    .is_none_or(|t| resources::last_updated(&row) >= t)
                {
                    rows.push(row);
                    if i64::try_from(rows.len()).unwrap_or(i64::MAX) >= search.count {
                        break 'scan;
                    }
                }
            }
            if got < want {
                exhausted = true;
                break;
            }
        }
        let key = self.core.conversation_key(&conv).await?;
        let messages = self.messages.messages_view(&key, &rows).await?;
        let mut people: Vec<UserId> = members.clone();
        for m in &messages {
            if !people.contains(&m.sender_id) && m.sender_id.as_str() != patient.id.as_str() {
                people.push(m.sender_id.clone());
            }
        }
        let people = self.core.members_of(&people).await?;
        let parties = Parties {
            patient: &patient.id,
            members: &members,
            people: &people,
        };
        let resources: Vec<Value> = messages
            .iter()
            .zip(&rows)
            .map(|(m, row)| {
                resources::communication(m, resources::last_updated(row), &parties, origin)
            })
            .collect();
        let count = resources.len();
        let now = self.core.clock.now();
        let mut ev = actor
            .event(now, AuditAction::ConversationRead, Outcome::Success)
            .resource("conversation", conv.id.as_str())
            .detail(serde_json::json!({
                "via": "fhir",
                "resource": "Communication",
                "after_seq": search.cursor,
                "up_to_seq": cursor,
                "count": count,
                "since": search.since.map(Timestamp::to_rfc3339),
            }));
        ev.patient_id = Some(patient.id.to_string());
        self.core.audit_alone(ev).await?;
        let base = format!("{}/Communication", origin.fhir_base());
        // Links name the patient as stored (a canonical id, safe in a URL).
        let canonical = CommunicationSearch {
            patient: patient.id.to_string(),
            ..search.clone()
        };
        let more = !exhausted && cursor < conv.last_seq;
        let bundle = resources::searchset(
            origin,
            resources,
            format!("{base}?{}", canonical.query(search.cursor)),
            more.then(|| format!("{base}?{}", canonical.query(cursor))),
        );
        Ok(CommunicationPage { bundle, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &[(&str, &str)]) -> Result<CommunicationSearch, FhirError> {
        let owned: Vec<(String, String)> = q
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        CommunicationSearch::parse(&owned)
    }

    #[test]
    fn parameters_parse_and_round_trip() {
        let s = parse(&[
            ("subject", "Patient/p1"),
            ("_since", "2026-11-30T09:00:00 01:00"),
            ("_count", "9999"),
        ])
        .unwrap();
        assert_eq!(s.patient, "p1");
        assert_eq!(s.count, MAX_PAGE);
        assert_eq!(
            s.query(7),
            "patient=p1&_since=2026-11-30T08:00:00.000Z&_count=500&_cursor=7"
        );
        assert_eq!(
            parse(&[("patient", "Patient/p1")]).unwrap().count,
            DEFAULT_PAGE
        );
    }

    #[test]
    fn unknown_repeated_and_missing_parameters_are_refused() {
        for q in [
            vec![("patient", "p1"), ("_sort", "-sent")],
            vec![("patient", "p1"), ("patient", "p2")],
            vec![("patient", "p1"), ("subject", "Patient/p2")],
            vec![("subject", "p1")],
            vec![("_count", "5")],
            vec![("patient", "p1"), ("_since", "2026-11-30")],
            vec![("patient", "p1"), ("_count", "0")],
            vec![("patient", "p1"), ("_cursor", "-1")],
        ] {
            assert!(
                matches!(parse(&q), Err(FhirError::Invalid(_))),
                "{q:?} was accepted"
            );
        }
    }
}
