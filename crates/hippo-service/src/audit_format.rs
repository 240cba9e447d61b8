//! How audit records are written out: the API's JSON shape, CSV rows, and
//! FHIR R4 AuditEvent resources (in a `collection` Bundle).
//!
//! The FHIR mapping: `type` is the DICOM audit event type where one fits
//! (user authentication, audit log used, export) and `rest` otherwise;
//! `subtype` carries hippo's action slug; `action` is C/R/U/D/E; `outcome` is
//! 0 (success), 4 (denied) or 8 (failure); the acting user is the requesting
//! agent with the source address; hippo is the observer; the resource and
//! the patient (role Patient) are entities.

use hippo_core::{AuditAction, Outcome};
use hippo_store::AuditRecord;
use serde_json::{Value, json};

/// A record as the API and JSON Lines export show it.
pub fn record_json(r: &AuditRecord) -> Value {
    json!({
        "seq": r.seq,
        "at": r.at.to_rfc3339(),
        "actor_id": r.actor_id.as_ref().map(ToString::to_string),
        "session_id": r.session_id.as_ref().map(ToString::to_string),
        "ip": r.ip,
        "user_agent": r.user_agent,
        "request_id": r.request_id,
        "action": r.action.as_str(),
        "resource_type": r.resource_type,
        "resource_id": r.resource_id,
        "patient_id": r.patient_id,
        "outcome": r.outcome.as_str(),
        "detail": serde_json::from_str::<Value>(&r.detail).unwrap_or(Value::Null),
        "prev_hash": r.prev_hash,
        "hash": r.hash,
        "leaf": leaf_base64(r),
    })
}

/// The record's canonical bytes (its Merkle leaf), base64.
pub fn leaf_base64(r: &AuditRecord) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(hippo_store::chain::leaf_bytes(r))
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 15] = [
    "seq",
    "at",
    "actor_id",
    "session_id",
    "ip",
    "user_agent",
    "request_id",
    "action",
    "resource_type",
    "resource_id",
    "patient_id",
    "outcome",
    "detail",
    "prev_hash",
    "hash",
];

/// A CSV writer into memory: RFC 4180 quoting (the `csv` crate quotes a
/// field only when it holds a comma, a quote or a line break), one `\n`
/// after each record.
fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

/// What the writer wrote, as text.
fn csv_text(writer: csv::Writer<Vec<u8>>) -> Result<String, String> {
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    // Every field went in as `&str`, so the bytes are UTF-8.
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// The CSV header line.
pub fn csv_header() -> Result<String, String> {
    let mut w = csv_writer();
    w.write_record(CSV_COLUMNS).map_err(|e| e.to_string())?;
    csv_text(w)
}

/// A field with a leading `= + - @`, tab or carriage return gets a `'` in
/// front, so a spreadsheet opening the export shows it as text instead of
/// evaluating it as a formula (CSV injection). The `csv` crate quotes; this
/// defence is hippo's, as no CSV library decides what a spreadsheet runs.
fn formula_guarded(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// Records as CSV lines, one per record.
pub fn csv_rows(records: &[AuditRecord]) -> Result<String, String> {
    let mut w = csv_writer();
    for r in records {
        let seq = r.seq.to_string();
        let at = r.at.to_rfc3339();
        let actor = r.actor_id.as_ref().map(ToString::to_string);
        let session = r.session_id.as_ref().map(ToString::to_string);
        let fields: [Option<&str>; 15] = [
            Some(&seq),
            Some(&at),
            actor.as_deref(),
            session.as_deref(),
            r.ip.as_deref(),
            r.user_agent.as_deref(),
            r.request_id.as_deref(),
            Some(r.action.as_str()),
            r.resource_type.as_deref(),
            r.resource_id.as_deref(),
            r.patient_id.as_deref(),
            Some(r.outcome.as_str()),
            Some(&r.detail),
            Some(&r.prev_hash),
            Some(&r.hash),
        ];
        w.write_record(fields.map(|f| formula_guarded(f.unwrap_or_default()).into_owned()))
            .map_err(|e| e.to_string())?;
    }
    csv_text(w)
}

/// The opening of a FHIR Bundle whose entries follow.
pub fn fhir_bundle_open() -> String {
    r#"{"resourceType":"Bundle","type":"collection","entry":["#.to_owned()
}

/// A stable UUID for a record's Bundle entry (derived from its seq).
pub fn fhir_entry_uuid(r: &AuditRecord) -> String {
    let n = u64::try_from(r.seq).unwrap_or_default();
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// C, R, U, D or E (FHIR `audit-event-action`).
pub fn fhir_action(a: AuditAction) -> &'static str {
    use AuditAction as A;
    match a {
        A::UserCreate
        | A::ConversationCreate
        | A::MessageSend
        | A::AttachmentUpload
        | A::BreakGlassOpen
        | A::PatientCreate
        | A::WhatsappSend
        | A::WhatsappInbound
        | A::WhatsappWebhook
        | A::BackupCreate
        | A::ApiKeyCreate
        | A::WebhookCreate
        | A::CallStart
        | A::IncidentCreate => "C",
        A::UserRead
        | A::DirectorySearch
        | A::ConversationRead
        | A::AttachmentDownload
        | A::AuditQuery
        | A::AuditExport
        | A::PatientExport
        | A::AuditVerify
        | A::AuditResolve
        | A::BackupVerify
        | A::PatientRead
        | A::WebhookRead
        | A::PatientLookup
        | A::IncidentRead => "R",
        A::UserUpdate
        | A::UserDeactivate
        | A::UserReactivate
        | A::UserPasswordReset
        | A::UserMfaReset
        | A::UserPasswordChange
        | A::ConversationUpdate
        | A::ConversationMemberAdd
        | A::ConversationMemberRemove
        | A::MessageEdit
        | A::MessageRead
        | A::WhatsappStatus
        | A::PatientUpdate
        | A::PatientConsent
        | A::WhatsappTemplateSync
        | A::WhatsappTemplateUpdate
        | A::WhatsappRetry
        | A::LegalHoldSet
        | A::LegalHoldClear
        | A::KeyRotate
        | A::WebhookRedeliver
        | A::BreakGlassReview
        | A::AlertReview
        | A::IncidentUpdate => "U",
        A::MessageDelete
        | A::ConversationErase
        | A::RetentionPurge
        | A::SessionRevoke
        | A::ApiKeyRevoke
        | A::WebhookDelete => "D",
        A::AuthLogin
        | A::AuthLogout
        | A::AuthMfa
        | A::AuthLockout
        | A::ApiKeyUse
        | A::SessionExpired
        | A::BackupRestore
        | A::BackupDrill
        | A::SystemInit
        | A::CallJoin
        | A::CallDecline
        | A::CallLeave
        | A::CallEnd => "E",
    }
}

fn fhir_type(a: AuditAction) -> Value {
    const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
    match a.as_str().split('.').next() {
        Some("auth" | "session") => {
            json!({ "system": DCM, "code": "110114", "display": "User Authentication" })
        }
        _ if matches!(a, AuditAction::AuditExport | AuditAction::PatientExport) => {
            json!({ "system": DCM, "code": "110106", "display": "Export" })
        }
        Some("audit") => json!({ "system": DCM, "code": "110101", "display": "Audit Log Used" }),
        _ => json!({
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation"
        }),
    }
}

/// A record as a FHIR R4 AuditEvent.
pub fn fhir_audit_event(r: &AuditRecord) -> Value {
    let outcome = match r.outcome {
        Outcome::Success => "0",
        Outcome::Denied => "4",
        Outcome::Failure => "8",
    };
    let mut agent = match &r.actor_id {
        Some(id) => json!({
            "type": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                "code": "humanuser",
                "display": "human user"
            }]},
            "who": { "identifier": { "system": "urn:hippo:user", "value": id.as_str() } },
            "requestor": true
        }),
        None => json!({
            "who": { "display": "hippo (system)" },
            "requestor": false
        }),
    };
    if let Some(ip) = &r.ip {
        agent["network"] = json!({ "address": ip, "type": "2" });
    }
    let mut entity = Vec::new();
    let mut details = vec![json!({ "type": "hippo.seq", "valueString": r.seq.to_string() })];
    if let Some(session) = &r.session_id {
        details.push(json!({ "type": "hippo.session_id", "valueString": session.as_str() }));
    }
    if let Some(request) = &r.request_id {
        details.push(json!({ "type": "hippo.request_id", "valueString": request }));
    }
    if r.detail != "{}" {
        details.push(json!({ "type": "hippo.detail", "valueString": r.detail }));
    }
    let mut what = json!({
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
            "code": "2",
            "display": "System Object"
        },
        "detail": details
    });
    if let (Some(kind), Some(id)) = (&r.resource_type, &r.resource_id) {
        what["what"] =
            json!({ "identifier": { "system": format!("urn:hippo:{kind}"), "value": id } });
    }
    entity.push(what);
    if let Some(patient) = &r.patient_id {
        entity.push(json!({
            "what": { "identifier": { "system": "urn:hippo:patient", "value": patient } },
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "1",
                "display": "Person"
            },
            "role": {
                "system": "http://terminology.hl7.org/CodeSystem/object-role",
                "code": "1",
                "display": "Patient"
            }
        }));
    }
    json!({
        "resourceType": "AuditEvent",
        "id": r.seq.to_string(),
        "type": fhir_type(r.action),
        "subtype": [{ "system": "urn:hippo:audit-action", "code": r.action.as_str() }],
        "action": fhir_action(r.action),
        "recorded": r.at.to_rfc3339(),
        "outcome": outcome,
        "outcomeDesc": r.outcome.as_str(),
        "agent": [agent],
        "source": {
            "observer": { "display": "hippo" },
            "type": [{
                "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                "code": "4",
                "display": "Application Server"
            }]
        },
        "entity": entity
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(user_agent: &str, detail: &str) -> AuditRecord {
        AuditRecord {
            seq: 7,
            at: hippo_core::Timestamp::from_millis(1_700_000_000_000),
            actor_id: None,
            session_id: None,
            ip: Some("192.0.2.1".into()),
            user_agent: Some(user_agent.into()),
            request_id: None,
            action: AuditAction::AuthLogin,
            resource_type: None,
            resource_id: None,
            patient_id: None,
            outcome: Outcome::Success,
            detail: detail.into(),
            prev_hash: "p".into(),
            hash: "h".into(),
        }
    }

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        let rows = csv_rows(&[
            record("plain", "{}"),
            record("=HYPERLINK(\"http://x\")", "{\"note\":\"a,b\"}"),
            record("@SUM(A1)\r\nline two", "-1"),
        ])
        .unwrap();
        let mut lines = rows.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "7,{},,,192.0.2.1,plain,,auth.login,,,,success,{{}},p,h",
                record("", "").at.to_rfc3339()
            )
        );
        // Read back as a spreadsheet would: every field where it was, and
        // none starting with a formula character.
        let parsed: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(rows.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(parsed.len(), 3);
        assert!(parsed.iter().all(|r| r.len() == CSV_COLUMNS.len()));
        assert_eq!(&parsed[1][5], "'=HYPERLINK(\"http://x\")");
        assert_eq!(&parsed[1][12], "{\"note\":\"a,b\"}");
        assert_eq!(&parsed[2][5], "'@SUM(A1)\r\nline two");
        assert_eq!(&parsed[2][12], "'-1");
        assert_eq!(
            csv_header().unwrap(),
            format!("{}\n", CSV_COLUMNS.join(","))
        );
    }

    #[test]
    fn every_action_has_a_fhir_action_code() {
        for a in AuditAction::ALL {
            assert!(["C", "R", "U", "D", "E"].contains(&fhir_action(*a)));
        }
    }
}
