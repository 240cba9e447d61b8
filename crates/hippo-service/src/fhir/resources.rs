//! hippo's data as FHIR R4 JSON: a message as a `Communication`, a page of
//! them as a `searchset` Bundle, and errors as an `OperationOutcome`.
//!
//! References are relative (`Patient/<id>`, `Practitioner/<user id>`,
//! `Device/<user id>` for a service account); URLs (Bundle links,
//! `fullUrl`, attachment URLs) start with the server's origin as the
//! request addressed it, or are relative when it is unknown.

use super::Issue;
use hippo_core::{ChannelState, Member, Message, PatientId, Priority, Role, Timestamp, UserId};
use serde_json::{Map, Value, json};

/// The FHIR version spoken.
pub const FHIR_VERSION: &str = "4.0.1";
/// Where FHIR resources live under the server's origin.
pub const FHIR_PATH: &str = "/fhir/r4";
/// The media type of every FHIR answer.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";
/// HL7 v3 ParticipationMode: how a Communication travelled.
pub const PARTICIPATION_MODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode";
/// hippo's own code for a message's channel (`hippo`, `whatsapp`).
pub const CHANNEL_SYSTEM: &str = "https://hippo.invalid/fhir/CodeSystem/channel";
/// The stable error codes of the API (as in problem details' `type`).
pub const PROBLEM_SYSTEM: &str = "https://hippo.invalid/problems";

/// Where the caller reached hippo: `https://host:port`, or `None`.
#[derive(Debug, Clone, Default)]
pub struct Origin(pub Option<String>);

impl Origin {
    /// The FHIR base (`https://host/fhir/r4`, or `/fhir/r4`).
    pub fn fhir_base(&self) -> String {
        format!("{}{FHIR_PATH}", self.0.as_deref().unwrap_or(""))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0.as_deref().unwrap_or(""))
    }
}

/// The people a patient conversation's messages are between.
pub(crate) struct Parties<'a> {
    pub patient: &'a PatientId,
    /// The care team now.
    pub members: &'a [UserId],
    /// Names and roles of the members and of every sender on the page.
    pub people: &'a [Member],
}

impl Parties<'_> {
    fn reference(&self, id: &UserId) -> Value {
        if id.as_str() == self.patient.as_str() {
            return json!({ "reference": format!("Patient/{}", self.patient) });
        }
        match self.people.iter().find(|p| p.id == *id) {
            Some(p) => {
                let kind = if p.role == Role::Service {
                    "Device"
                } else {
                    "Practitioner"
                };
                json!({ "reference": format!("{kind}/{id}"), "display": p.display_name })
            }
            None => json!({ "reference": format!("Practitioner/{id}") }),
        }
    }
}

/// The FHIR `request-priority` code of a hippo priority.
pub fn priority_code(p: Priority) -> &'static str {
    match p {
        Priority::Normal => "routine",
        Priority::Urgent => "urgent",
    }
}

/// The last time anything a Communication shows changed: sent, edited,
/// recalled, or a WhatsApp status moved.
pub(crate) fn last_updated(row: &hippo_store::MessageRow) -> Timestamp {
    [
        Some(row.created_at),
        row.edited_at,
        row.deleted_at,
        row.whatsapp.as_ref().map(|w| w.updated_at),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(row.created_at)
}

fn medium(whatsapp: bool) -> Value {
    let (code, display) = if whatsapp {
        ("whatsapp", "WhatsApp")
    } else {
        ("hippo", "hippo (in-app)")
    };
    json!([{
        "coding": [
            { "system": PARTICIPATION_MODE, "code": "ONLINEWRIT", "display": "online written" },
            { "system": CHANNEL_SYSTEM, "code": code, "display": display },
        ],
        "text": display,
    }])
}

/// A message of a patient conversation as a Communication.
pub(crate) fn communication(
    m: &Message,
    updated: Timestamp,
    parties: &Parties<'_>,
    origin: &Origin,
) -> Value {
    let whatsapp = m.channel_status.is_some();
    let from_patient = m.sender_id.as_str() == parties.patient.as_str();
    let (status, reason) = if m.deleted {
        ("entered-in-error", Some("recalled by the sender"))
    } else {
        match m.channel_status.as_ref().map(|s| s.state) {
            Some(ChannelState::Queued) => ("in-progress", None),
            Some(ChannelState::Failed) => ("not-done", Some("WhatsApp delivery failed")),
            _ => ("completed", None),
        }
    };
    let mut recipients: Vec<Value> = parties
        .members
        .iter()
        .filter(|u| **u != m.sender_id)
        .map(|u| parties.reference(u))
        .collect();
    if whatsapp && !from_patient {
        recipients.push(json!({ "reference": format!("Patient/{}", parties.patient) }));
    }
    let mut c = Map::new();
    c.insert("resourceType".into(), "Communication".into());
    c.insert("id".into(), m.id.as_str().into());
    c.insert(
        "meta".into(),
        json!({ "lastUpdated": updated.to_rfc3339() }),
    );
    c.insert("status".into(), status.into());
    if let Some(text) = reason {
        c.insert("statusReason".into(), json!({ "text": text }));
    }
    c.insert("priority".into(), priority_code(m.priority).into());
    c.insert("medium".into(), medium(whatsapp));
    c.insert(
        "subject".into(),
        json!({ "reference": format!("Patient/{}", parties.patient) }),
    );
    c.insert("sent".into(), m.created_at.to_rfc3339().into());
    if !recipients.is_empty() {
        c.insert("recipient".into(), recipients.into());
    }
    c.insert("sender".into(), parties.reference(&m.sender_id));
    let mut payload = Vec::new();
    if !m.deleted {
        if let Some(body) = m.body.as_deref().filter(|b| !b.is_empty()) {
            payload.push(json!({ "contentString": body }));
        }
        for a in &m.attachments {
            payload.push(json!({ "contentAttachment": {
                "contentType": a.content_type,
                "url": origin.url(&format!("/api/v1/attachments/{}", a.id)),
                "size": a.size,
                "title": a.filename,
            }}));
        }
    }
    if !payload.is_empty() {
        c.insert("payload".into(), payload.into());
    }
    Value::Object(c)
}

/// A `searchset` Bundle: `self` (and `next`) links as given, one `match`
/// entry per resource.
pub(crate) fn searchset(
    origin: &Origin,
    resources: Vec<Value>,
    self_link: String,
    next_link: Option<String>,
) -> Value {
    let base = origin.fhir_base();
    let mut links = vec![json!({ "relation": "self", "url": self_link })];
    if let Some(next) = next_link {
        links.push(json!({ "relation": "next", "url": next }));
    }
    let mut bundle = Map::new();
    bundle.insert("resourceType".into(), "Bundle".into());
    bundle.insert("type".into(), "searchset".into());
    bundle.insert("link".into(), links.into());
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let url = format!(
                "{base}/{}/{}",
                r["resourceType"].as_str().unwrap_or_default(),
                r["id"].as_str().unwrap_or_default()
            );
            json!({ "fullUrl": url, "resource": r, "search": { "mode": "match" } })
        })
        .collect();
    // FHIR JSON has no empty arrays: an empty page has no `entry`.
    if !entries.is_empty() {
        bundle.insert("entry".into(), entries.into());
    }
    Value::Object(bundle)
}

/// An OperationOutcome of `issues` at `severity` (`error`, `information`…),
/// each carrying hippo's stable error code when there is one.
pub fn operation_outcome(severity: &str, issues: &[Issue], hippo_code: Option<&str>) -> Value {
    let issues: Vec<Value> = issues
        .iter()
        .map(|i| {
            let mut issue = Map::new();
            issue.insert("severity".into(), severity.into());
            issue.insert("code".into(), i.code.into());
            if let Some(code) = hippo_code {
                issue.insert(
                    "details".into(),
                    json!({ "coding": [{ "system": PROBLEM_SYSTEM, "code": code }] }),
                );
            }
            if !i.diagnostics.is_empty() {
                issue.insert("diagnostics".into(), i.diagnostics.clone().into());
            }
            if let Some(e) = &i.expression {
                issue.insert("expression".into(), json!([e]));
            }
            Value::Object(issue)
        })
        .collect();
    // R4 needs at least one issue.
    let issues = if issues.is_empty() {
        vec![json!({ "severity": severity, "code": "processing" })]
    } else {
        issues
    };
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}
