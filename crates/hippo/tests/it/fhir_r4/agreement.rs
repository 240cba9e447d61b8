//! The server reads the vendored R4 schema itself (no regex engine, no
//! validator crate in the binary); here the `jsonschema` crate, a reference
//! validator, reads the same file and the two must agree.

use super::{assert_valid, schema_errors};
use hippo_service::fhir::{patterns, schema};
use serde_json::{Value, json};

/// The server's reading of the vendored schema against the `jsonschema`
/// crate's: never more lenient, and the same on the patterns.
#[test]
fn the_servers_schema_reading_agrees_with_a_reference_validator() {
    let strings = [
        "",
        " ",
        "a",
        "a b",
        "a  b",
        " a",
        "a\tb",
        "a\u{a0}b",
        "x\u{2028}",
        "2026",
        "0000",
        "2026-11",
        "2026-13",
        "2026-11-30",
        "2026-02-31",
        "2026-11-30T10:00:00Z",
        "2026-11-30T10:00Z",
        "2026-11-30T24:00:00Z",
        "2026-11-30T23:59:60.123+14:00",
        "2026-11-30T10:00:00+14:01",
        "2026-11-30T10:00:00-13:59",
        "2026-11-30T10:00:00.Z",
        "10:00:00",
        "23:60:00",
        "23:59:60.5",
        "QUJD",
        "QUJD RA==",
        "QUJ",
        "QU JD",
        " QUJD ",
        "urn:oid:2.16.840",
        "urn:oid:2.016",
        "urn:oid:3.1",
        "urn:oid:1",
        "Ab-1.2",
        "a_b",
        &"a".repeat(64),
        &"a".repeat(65),
        "urn:uuid:0192f3c4-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
        "urn:uuid:0192F3C4-1d2e-7a3b-8c4d-5e6f7a8b9c0d",
        "é",
        "a\nb",
        "a\rb",
    ];
    for p in patterns::KNOWN {
        let validator =
            jsonschema::draft6::new(&json!({ "type": "string", "pattern": p })).unwrap();
        for s in strings {
            assert_eq!(
                patterns::matches(p, s),
                Some(validator.is_valid(&json!(s))),
                "{p} on {s:?}"
            );
        }
    }
    let ok = json!({
        "resourceType": "CommunicationRequest", "status": "active",
        "meta": { "profile": ["http://example.org/p"], "lastUpdated": "2026-11-30T10:00:00.000Z" },
        "text": { "status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">alert</div>" },
        "extension": [{ "url": "http://example.org/e", "valueQuantity": { "value": 6.8, "unit": "mmol/L" } }],
        "_status": { "extension": [{ "url": "http://example.org/s", "valueCode": "x" }] },
        "occurrencePeriod": { "start": "2026-11-30" },
        "reasonCode": [{ "coding": [{ "system": "http://snomed.info/sct", "code": "1", "userSelected": true }] }],
        "note": [{ "authorString": "lab", "text": "**critical**" }],
        "payload": [{ "contentString": "x" }],
    });
    let bad: Vec<Value> = vec![
        json!({ "resourceType": "CommunicationRequest", "meta": { "lastUpdated": "2026-11-30" } }),
        json!({ "resourceType": "CommunicationRequest", "extension": [{ "url": "u", "valueQuantity": { "value": "6.8" } }] }),
        json!({ "resourceType": "CommunicationRequest", "extension": [{ "url": "u", "valueFoo": 1 }] }),
        json!({ "resourceType": "CommunicationRequest", "reasonCode": [{ "coding": [{ "userSelected": "yes" }] }] }),
        json!({ "resourceType": "CommunicationRequest", "text": { "status": "generated" } }),
        json!({ "resourceType": "CommunicationRequest", "identifier": [{ "use": "primary" }] }),
        json!({ "resourceType": "CommunicationRequest", "id": "a b" }),
        json!({ "resourceType": "CommunicationRequest", "payload": [{ "contentString": "x", "extra": 1 }] }),
        json!({ "resourceType": "CommunicationRequest", "doNotPerform": "false" }),
    ];
    let ours = schema::r4().unwrap();
    assert_valid("CommunicationRequest", &ok);
    for v in &bad {
        assert!(
            !schema_errors("CommunicationRequest", v).is_empty(),
            "jsonschema takes {v}"
        );
        assert!(
            !ours
                .validate("CommunicationRequest", v, "CommunicationRequest")
                .is_empty(),
            "hippo takes {v}"
        );
    }
    // Stricter on purpose: FHIR JSON's rules the schema leaves out.
    for v in [
        json!({ "resourceType": "CommunicationRequest", "subject": "Patient/1" }),
        json!({ "resourceType": "CommunicationRequest", "note": [] }),
        json!({ "resourceType": "CommunicationRequest", "subject": {} }),
    ] {
        assert!(schema_errors("CommunicationRequest", &v).is_empty(), "{v}");
        assert!(
            !ours
                .validate("CommunicationRequest", &v, "CommunicationRequest")
                .is_empty(),
            "{v}"
        );
    }
}
