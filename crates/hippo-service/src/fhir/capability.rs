//! `GET /fhir/r4/metadata`: the CapabilityStatement. Public, as FHIR
//! servers' usually is (clients read it before they have credentials); it
//! names hippo's software and the two interactions, nothing about data.

use super::resources::{FHIR_VERSION, Origin};
use serde_json::{Value, json};

/// When the statement last changed (its `date`, 1..1 in R4).
const REVISED: &str = "2026-12-01";

/// The CapabilityStatement of this server, as reached at `origin`.
pub fn capability_statement(origin: &Origin) -> Value {
    let search_params = json!([
        {
            "name": "patient",
            "definition": "http://hl7.org/fhir/SearchParameter/Communication-patient",
            "type": "reference",
            "documentation": "Required: the patient whose conversation to read, as <id> or Patient/<id>. Only the patient's care team finds it.",
        },
        {
            "name": "subject",
            "definition": "http://hl7.org/fhir/SearchParameter/Communication-subject",
            "type": "reference",
            "documentation": "The same as patient, written Patient/<id>.",
        },
        {
            "name": "_since",
            "type": "date",
            "documentation": "An instant: only messages sent, edited, recalled or whose WhatsApp status changed at or after it.",
        },
    ]);
    json!({
        "resourceType": "CapabilityStatement",
        "id": "hippo",
        "status": "active",
        "date": REVISED,
        "publisher": "hippo",
        "kind": "instance",
        "software": { "name": "hippo", "version": env!("CARGO_PKG_VERSION") },
        "implementation": {
            "description": "hippo secure messaging: patient conversations as Communication, care-team alerts from CommunicationRequest",
            "url": origin.fhir_base(),
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": "Responses are application/fhir+json; requests may be application/fhir+json or application/json. Unknown search parameters are refused (400), not ignored. Errors are OperationOutcome resources.",
            "security": {
                "service": [{ "text": "Bearer token (no OAuth): a hippo session token or an hpk_ API key of a service account" }],
                "description": "Send Authorization: Bearer <token>. Reads and sends are limited to the caller's care teams and recorded in hippo's audit trail. This statement is public.",
            },
            "resource": [
                {
                    "type": "Communication",
                    "documentation": "A message of a patient's conversation (read-only). status completed, in-progress (WhatsApp queued), not-done (WhatsApp failed) or entered-in-error (recalled); payload holds the text and attachment links.",
                    "interaction": [{
                        "code": "search-type",
                        "documentation": "Oldest first; _count (default 50, at most 500) and a next link for paging.",
                    }],
                    "searchParam": search_params,
                },
                {
                    "type": "CommunicationRequest",
                    "documentation": "Becomes a message: subject Patient/<id> (the patient's care team) or recipient Group/<conversation id>; payload[0].contentString is the text; priority urgent, asap and stat are urgent; identifier[0].value makes retries safe (the same message is returned).",
                    "interaction": [{
                        "code": "create",
                        "documentation": "201 with the accepted request (Prefer: return=minimal or return=OperationOutcome also honoured) and a Location header.",
                    }],
                },
            ],
        }],
    })
}
