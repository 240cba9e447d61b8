//! `POST /fhir/r4/CommunicationRequest`: an EHR or decision-support alert
//! becomes a message to a care team.
//!
//! Where it goes: `subject` = `Patient/<id>` sends it to that patient's
//! conversation (its members are the care team); without a subject, one
//! `recipient` naming a hippo conversation as `Group/<conversation id>` or
//! `CareTeam/<conversation id>` sends it there. With both, the recipient
//! must be the patient's conversation. Other recipients (a Practitioner…)
//! are refused rather than ignored. Either way the caller must be a member:
//! an unknown patient or conversation and one the caller is not on get the
//! same 422, and nothing is written but the denied attempt's record.
//!
//! What is sent: `payload[0].contentString` (the only payload; attachments
//! and references are refused), priority `urgent`, `asap` and `stat` as
//! hippo's `urgent`, else `normal`, and `identifier[0].value` as the
//! message's `client_id`, so a retried POST returns the first message
//! instead of a second. Only `status: active` is acted on; `doNotPerform`,
//! modifier extensions, `implicitRules` and contained resources are refused
//! (422), being things hippo would otherwise silently get wrong.
//!
//! Order of checks: the caller's session and role (403, recorded), then
//! the JSON against the R4 schema (400, see `schema.rs`), then hippo's
//! rules (422), then the send itself.

use super::resources::priority_code;
use super::{Fhir, FhirError, Issue, schema};
use crate::messages::NewMessage;
use crate::{Actor, ServiceError};
use hippo_core::{AuditAction, ErrorCode, MessageBody, Priority, Timestamp};
use serde_json::{Map, Value};

const ROOT: &str = "CommunicationRequest";
const STATUSES: &[&str] = &[
    "draft",
    "active",
    "on-hold",
    "revoked",
    "completed",
    "entered-in-error",
    "unknown",
];

/// The message a request became.
#[derive(Debug)]
pub struct Created {
    /// The message's id, which is also the request's (and the
    /// Communication's) id.
    pub id: String,
    /// The request as accepted: its `id`, `meta` and `status: completed`
    /// set by hippo.
    pub resource: Value,
    pub last_updated: Timestamp,
}

fn at(path: &str) -> String {
    format!("{ROOT}.{path}")
}

fn invalid(code: &'static str, path: &str, detail: impl Into<String>) -> FhirError {
    FhirError::invalid(Issue::new(code, detail).at(at(path)))
}

fn refuse(code: &'static str, path: &str, detail: impl Into<String>) -> FhirError {
    FhirError::unprocessable(Issue::new(code, detail).at(at(path)))
}

/// `Kind/<id>` of a reference, if that is its form.
fn relative<'a>(r: &'a Value, kinds: &[&str]) -> Option<(&'a str, &'a str)> {
    let text = r.get("reference")?.as_str()?;
    let (kind, id) = text.split_once('/')?;
    (kinds.contains(&kind) && !id.is_empty() && !id.contains('/')).then_some((kind, id))
}

/// Where a request's message goes.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// The patient's conversation; a recipient that names a conversation
    /// (with its index) must name that one.
    Patient(String, Option<(String, usize)>),
    /// The conversation recipient `.1` names.
    Conversation(String, usize),
}

/// What a valid request asks for.
struct Ask {
    body: String,
    priority: Priority,
    client_id: Option<String>,
    target: Target,
}

/// The FHIR base rules beyond the schema (400), then hippo's (422).
fn read(r: &Map<String, Value>) -> Result<Ask, FhirError> {
    let status = r
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("required", "status", "status is required (1..1 in R4)"))?;
    if !STATUSES.contains(&status) {
        return Err(invalid(
            "code-invalid",
            "status",
            format!("{status} is not a request-status code"),
        ));
    }
    let priority = match r.get("priority").and_then(Value::as_str) {
        None | Some("routine") => Priority::Normal,
        Some("urgent" | "asap" | "stat") => Priority::Urgent,
        Some(other) => {
            return Err(invalid(
                "code-invalid",
                "priority",
                format!("{other} is not a request-priority code (routine, urgent, asap, stat)"),
            ));
        }
    };
    for (element, why) in [
        (
            "modifierExtension",
            "hippo understands no modifier extension",
        ),
        ("implicitRules", "hippo follows no implicit rules"),
    ] {
        if r.contains_key(element) {
            return Err(refuse("not-supported", element, why));
        }
    }
    if status != "active" {
        return Err(refuse(
            "business-rule",
            "status",
            format!("only an active request becomes a message (status is {status})"),
        ));
    }
    if r.get("doNotPerform") == Some(&Value::Bool(true)) {
        return Err(refuse(
            "not-supported",
            "doNotPerform",
            "a request not to communicate is not something hippo can send",
        ));
    }
    let payload = r.get("payload").and_then(Value::as_array).ok_or_else(|| {
        refuse(
            "required",
            "payload",
            "payload[0].contentString (the message text) is required",
        )
    })?;
    if payload.len() > 1 {
        return Err(refuse(
            "not-supported",
            "payload",
            "hippo sends one payload per request",
        ));
    }
    let first = &payload[0];
    if first.get("modifierExtension").is_some() {
        return Err(refuse(
            "not-supported",
            "payload[0].modifierExtension",
            "hippo understands no modifier extension",
        ));
    }
    let text = first
        .get("contentString")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            refuse(
                "not-supported",
                "payload[0]",
                "only contentString is supported (no attachments or references)",
            )
        })?;
    let body =
        MessageBody::parse(text).map_err(|e| refuse("value", "payload[0].contentString", e))?;
    let client_id = match r.get("identifier").and_then(Value::as_array) {
        None => None,
        Some(ids) => {
            let value = ids[0].get("value").and_then(Value::as_str).ok_or_else(|| {
                refuse(
                    "required",
                    "identifier[0].value",
                    "identifier[0].value is the request's idempotency key",
                )
            })?;
            if value.chars().count() > 128 || value.chars().any(char::is_control) {
                return Err(refuse(
                    "value",
                    "identifier[0].value",
                    "identifier[0].value must be at most 128 printable characters",
                ));
            }
            Some(value.to_owned())
        }
    };
    let patient = match r.get("subject") {
        None => None,
        Some(s) => match relative(s, &["Patient"]) {
            Some((_, id)) => Some(id.to_owned()),
            None => {
                return Err(refuse(
                    "not-supported",
                    "subject",
                    "subject must be a relative reference Patient/<id>",
                ));
            }
        },
    };
    let mut conversation: Option<(String, usize)> = None;
    for (i, rec) in r
        .get("recipient")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("recipient[{i}]");
        let Some((_, id)) = relative(rec, &["Group", "CareTeam"]) else {
            return Err(refuse(
                "not-supported",
                &path,
                "a recipient must name a hippo conversation: Group/<conversation id> or CareTeam/<conversation id>",
            ));
        };
        match &conversation {
            Some((c, _)) if c != id => {
                return Err(refuse(
                    "not-supported",
                    &path,
                    "all recipients must name one conversation",
                ));
            }
            Some(_) => {}
            None => conversation = Some((id.to_owned(), i)),
        }
    }
    let target = match (patient, conversation) {
        (Some(p), named) => Target::Patient(p, named),
        (None, Some((c, i))) => Target::Conversation(c, i),
        (None, None) => {
            return Err(refuse(
                "required",
                "subject",
                "say where the message goes: subject Patient/<id>, or a recipient Group/<conversation id>",
            ));
        }
    };
    Ok(Ask {
        body: body.as_str().to_owned(),
        priority,
        client_id,
        target,
    })
}

fn not_found_is_422(e: ServiceError, path: &str, detail: String) -> FhirError {
    if e.code() == ErrorCode::NotFound {
        refuse("not-found", path, detail)
    } else {
        FhirError::Service(e)
    }
}

impl Fhir {
    /// Turns a CommunicationRequest (the request body, as sent) into a
    /// message to a care team.
    pub async fn create_communication_request(
        &self,
        actor: &Actor,
        body: &[u8],
    ) -> Result<Created, FhirError> {
        self.core
            .require_messaging(actor, AuditAction::MessageSend)
            .await?;
        let mut resource: Value = serde_json::from_slice(body)
            .map_err(|e| FhirError::invalid(Issue::new("structure", format!("not JSON: {e}"))))?;
        let Some(r) = resource.as_object() else {
            return Err(FhirError::invalid(Issue::new(
                "structure",
                "a resource is a JSON object",
            )));
        };
        match r.get("resourceType").and_then(Value::as_str) {
            Some(ROOT) => {}
            other => {
                return Err(FhirError::invalid(
                    Issue::new(
                        "structure",
                        format!(
                            "this endpoint takes a CommunicationRequest, not {}",
                            other.unwrap_or("a resource without resourceType")
                        ),
                    )
                    .at("resourceType"),
                ));
            }
        }
        // Refused before the schema: contained resources of other types
        // are not in the vendored part of it.
        if r.contains_key("contained") {
            return Err(refuse(
                "not-supported",
                "contained",
                "contained resources are not supported",
            ));
        }
        let schema = schema::r4().map_err(ServiceError::Internal)?;
        let violations = schema.validate(ROOT, &resource, ROOT);
        if !violations.is_empty() {
            return Err(FhirError::Invalid(
                violations
                    .into_iter()
                    .map(|v| Issue::new("structure", v.message).at(v.location))
                    .collect(),
            ));
        }
        let ask = read(r)?;
        let (conversation_id, recipient) = match &ask.target {
            Target::Patient(pid, named) => {
                let (_, conv, _) = self
                    .patients
                    .care_team_patient(actor, pid, AuditAction::MessageSend)
                    .await
                    .map_err(|e| {
                        not_found_is_422(
                            e,
                            "subject",
                            format!("Patient/{pid} is not a patient whose care team you are on"),
                        )
                    })?;
                if let Some((c, i)) = named
                    && c != conv.id.as_str()
                {
                    return Err(refuse(
                        "business-rule",
                        &format!("recipient[{i}]"),
                        "the recipient is not this patient's conversation",
                    ));
                }
                (conv.id.to_string(), None)
            }
            Target::Conversation(c, i) => (c.clone(), Some(*i)),
        };
        let message = self
            .messages
            .send(
                actor,
                &conversation_id,
                NewMessage {
                    body: ask.body,
                    client_id: ask.client_id,
                    priority: Some(ask.priority.as_str().to_owned()),
                    attachment_ids: Vec::new(),
                },
            )
            .await
            .map_err(|e| match recipient {
                Some(i) => not_found_is_422(
                    e,
                    &format!("recipient[{i}]"),
                    format!("{conversation_id} is not a conversation you are a member of"),
                ),
                None => FhirError::Service(e),
            })?;
        let last_updated = message.created_at;
        if let Some(r) = resource.as_object_mut() {
            r.insert("id".into(), message.id.as_str().into());
            let mut meta = r
                .get("meta")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            meta.insert("versionId".into(), "1".into());
            meta.insert("lastUpdated".into(), last_updated.to_rfc3339().into());
            r.insert("meta".into(), meta.into());
            r.insert("status".into(), "completed".into());
            r.entry("priority")
                .or_insert_with(|| priority_code(ask.priority).into());
            r.entry("authoredOn")
                .or_insert_with(|| last_updated.to_rfc3339().into());
        }
        Ok(Created {
            id: message.id.to_string(),
            resource,
            last_updated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ask(v: Value) -> Result<Ask, FhirError> {
        read(v.as_object().unwrap())
    }

    fn base() -> Value {
        json!({
            "resourceType": "CommunicationRequest",
            "status": "active",
            "subject": { "reference": "Patient/p1" },
            "payload": [{ "contentString": "K+ 6.1" }],
        })
    }

    fn with(key: &str, value: Value) -> Value {
        let mut v = base();
        v[key] = value;
        v
    }

    #[test]
    fn priorities_map_and_identifiers_become_client_ids() {
        for (code, want) in [
            ("routine", Priority::Normal),
            ("urgent", Priority::Urgent),
            ("asap", Priority::Urgent),
            ("stat", Priority::Urgent),
        ] {
            assert_eq!(ask(with("priority", json!(code))).unwrap().priority, want);
        }
        assert_eq!(ask(base()).unwrap().priority, Priority::Normal);
        let a = ask(with("identifier", json!([{ "value": "cds-42" }]))).unwrap();
        assert_eq!(a.client_id.as_deref(), Some("cds-42"));
        assert_eq!(a.target, Target::Patient("p1".into(), None));
    }

    #[test]
    fn base_rule_breaks_are_400_and_hippo_rule_breaks_422() {
        let mut no_status = base();
        no_status.as_object_mut().unwrap().remove("status");
        assert!(matches!(ask(no_status), Err(FhirError::Invalid(_))));
        assert!(matches!(
            ask(with("status", json!("done"))),
            Err(FhirError::Invalid(_))
        ));
        assert!(matches!(
            ask(with("priority", json!("high"))),
            Err(FhirError::Invalid(_))
        ));
        for (key, value) in [
            ("status", json!("draft")),
            ("doNotPerform", json!(true)),
            (
                "payload",
                json!([{ "contentReference": { "reference": "Binary/1" } }]),
            ),
            (
                "payload",
                json!([{ "contentString": "a" }, { "contentString": "b" }]),
            ),
            ("payload", json!([{ "contentString": "   " }])),
            ("subject", json!({ "reference": "Group/1" })),
            ("recipient", json!([{ "reference": "Practitioner/1" }])),
            (
                "recipient",
                json!([{ "reference": "Group/a" }, { "reference": "Group/b" }]),
            ),
            ("identifier", json!([{ "system": "urn:x" }])),
            (
                "modifierExtension",
                json!([{ "url": "urn:x", "valueBoolean": true }]),
            ),
        ] {
            assert!(
                matches!(
                    ask(with(key, value.clone())),
                    Err(FhirError::Unprocessable(_))
                ),
                "{key}: {value}"
            );
        }
        let mut nowhere = base();
        nowhere.as_object_mut().unwrap().remove("subject");
        assert!(matches!(ask(nowhere), Err(FhirError::Unprocessable(_))));
    }

    #[test]
    fn a_group_recipient_names_the_conversation() {
        let mut v = base();
        v.as_object_mut().unwrap().remove("subject");
        v["recipient"] = json!([{ "reference": "CareTeam/c1" }, { "reference": "Group/c1" }]);
        let a = ask(v).unwrap();
        assert_eq!(a.target, Target::Conversation("c1".into(), 0));
    }
}
