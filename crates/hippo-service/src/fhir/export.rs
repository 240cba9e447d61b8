//! The patient's right of access (HIPAA §164.524): a copy of every message
//! to and from the patient — her conversation, which holds what was sent
//! to her, what she sent, and what the care team wrote about her there —
//! with its files, as a FHIR R4 `collection` Bundle (her `Patient`, then
//! one `Communication` per message, oldest first, files inline as
//! base64 `Attachment.data`) and, rendered by the HTTP layer, as a
//! readable page. For her care team through the API and for the operator
//! through `hippo patient export`; each export is recorded as
//! `patient.export`, a disclosure the accounting of disclosures lists.

use super::Fhir;
use super::resources::{self, Origin, Parties};
use crate::{Principal, Result, ServiceError};
use base64::Engine as _;
use hippo_core::{AuditAction, ErrorCode, Member, Message, Outcome, Patient, PatientId, Timestamp};
use serde_json::{Value, json};

/// Most file bytes one export holds (it is built in memory).
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;
/// Messages read per round trip.
const BATCH: i64 = 500;

/// A patient's record of messages, decrypted.
#[derive(Debug)]
pub struct PatientRecord {
    pub generated_at: Timestamp,
    pub patient: Patient,
    /// Every message of her conversation, oldest first.
    pub messages: Vec<Message>,
    /// The senders other than the patient (names and roles).
    pub people: Vec<Member>,
    /// The bytes of every file of `messages` not recalled, by attachment id.
    pub files: Vec<(hippo_core::AttachmentId, Vec<u8>)>,
}

impl PatientRecord {
    /// Who sent `m`: the patient's name, or the sender's.
    pub fn sender_name(&self, m: &Message) -> String {
        if m.sender_id.as_str() == self.patient.id.as_str() {
            return self.patient.display_name.clone();
        }
        self.people
            .iter()
            .find(|p| p.id == m.sender_id)
            .map_or_else(|| "(former member)".to_owned(), |p| p.display_name.clone())
    }

    /// The bytes of a file of the record.
    pub fn file(&self, id: &hippo_core::AttachmentId) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, b)| b.as_slice())
    }

    /// The record as a FHIR R4 `collection` Bundle.
    pub fn fhir_bundle(&self) -> Value {
        let origin = Origin::default();
        let members: Vec<hippo_core::UserId> = self.patient.member_ids.clone();
        let parties = Parties {
            patient: &self.patient.id,
            members: &members,
            people: &self.people,
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut entries = vec![json!({
            "fullUrl": format!("urn:uuid:{}", self.patient.id),
            "resource": patient_resource(&self.patient),
        })];
        for m in &self.messages {
            let mut c =
                resources::communication(m, m.edited_at.unwrap_or(m.created_at), &parties, &origin);
            // Self-contained: each file inline instead of a link to the API
            // (`communication` lists them in the message's order).
            if let Some(payload) = c.get_mut("payload").and_then(Value::as_array_mut) {
                let attachments = payload
                    .iter_mut()
                    .filter_map(|p| p.get_mut("contentAttachment"))
                    .filter_map(Value::as_object_mut);
                for (att, info) in attachments.zip(&m.attachments) {
                    if let Some(bytes) = self.file(&info.id) {
                        att.remove("url");
                        att.insert("data".into(), b64.encode(bytes).into());
                    }
                }
            }
            entries.push(json!({ "fullUrl": format!("urn:uuid:{}", m.id), "resource": c }));
        }
        json!({
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": self.generated_at.to_rfc3339(),
            "meta": { "lastUpdated": self.generated_at.to_rfc3339() },
            "entry": entries,
        })
    }
}

fn patient_resource(p: &Patient) -> Value {
    let mut r = json!({
        "resourceType": "Patient",
        "id": p.id.as_str(),
        "name": [{ "text": p.display_name }],
        "telecom": [{ "system": "phone", "value": p.phone.as_str(), "use": "mobile" }],
    });
    if let Some(mrn) = &p.mrn {
        r["identifier"] = json!([{
            "type": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                "code": "MR",
                "display": "Medical record number",
            }]},
            "value": mrn,
        }]);
    }
    if let Some(state) = &p.residence_state {
        r["address"] = json!([{ "use": "home", "state": state, "country": "US" }]);
    }
    r
}

impl Fhir {
    /// Everything to and from patient `id`, for her care team (anyone
    /// else: not found, recorded as denied) or the operator. Recorded as
    /// `patient.export` with what it holds.
    pub async fn export_patient(&self, by: Principal<'_>, id: &str) -> Result<PatientRecord> {
        let action = AuditAction::PatientExport;
        let (row, conv, members) = match by {
            Principal::User(actor) => self.patients.care_team_patient(actor, id, action).await?,
            _ => {
                let pid = PatientId::parse(id).ok_or_else(ServiceError::not_found)?;
                let row = self
                    .core
                    .store
                    .get_patient(&pid)
                    .await?
                    .ok_or_else(ServiceError::not_found)?;
                let conv = self
                    .core
                    .store
                    .get_conversation(&row.conversation_id)
                    .await?
                    .ok_or_else(ServiceError::not_found)?;
                let members = self.core.store.list_members(&conv.id).await?;
                (row, conv, members)
            }
        };
        let key = self.core.conversation_key(&conv).await?;
        let mut messages = Vec::new();
        let mut after = 0;
        loop {
            let rows = self
                .core
                .store
                .list_messages(&conv.id, after, BATCH)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            let full = i64::try_from(rows.len()).unwrap_or(0) == BATCH;
            messages.extend(self.messages.messages_view(&key, &rows).await?);
            if !full {
                break;
            }
        }
        let total: u64 = messages
            .iter()
            .filter(|m| !m.deleted)
            .flat_map(|m| &m.attachments)
            .map(|a| a.size)
            .sum();
        if total > MAX_EXPORT_BYTES {
            return Err(ServiceError::public(
                ErrorCode::PayloadTooLarge,
                format!(
                    "the patient's files come to {total} bytes, more than one export holds \
                     ({MAX_EXPORT_BYTES}); ask the operator for a copy"
                ),
            ));
        }
        let mut files = Vec::new();
        for a in messages
            .iter()
            .filter(|m| !m.deleted)
            .flat_map(|m| &m.attachments)
        {
            if !files.iter().any(|(id, _)| id == &a.id) {
                files.push((a.id.clone(), self.files.read_whole(&a.id).await?));
            }
        }
        let mut people: Vec<hippo_core::UserId> = members.clone();
        for m in &messages {
            if !people.contains(&m.sender_id) && m.sender_id.as_str() != row.id.as_str() {
                people.push(m.sender_id.clone());
            }
        }
        let people = self.core.members_of(&people).await?;
        let patient = self.patients.patient_view(&row, members)?;
        let now = self.core.clock.now();
        let mut ev = by
            .event(now, action, Outcome::Success)
            .resource("patient", row.id.as_str())
            .detail(by.with_via(json!({
                "messages": messages.len(),
                "files": files.len(),
            })));
        ev.patient_id = Some(row.id.to_string());
        self.core.audit_alone(ev).await?;
        Ok(PatientRecord {
            generated_at: now,
            patient,
            messages,
            people,
            files,
        })
    }
}
