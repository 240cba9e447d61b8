//! Checks a FHIR R4 Bundle of AuditEvent against the R4 definitions:
//! element names, required elements and cardinalities, data types, and the
//! required value sets (AuditEvent.action, .outcome, agent.network.type),
//! as written in the R4 specification (hl7.org/fhir/R4/auditevent.html).

use serde_json::Value;

fn only_keys(v: &Value, allowed: &[&str], path: &str) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{path} must be an object: {v}"));
    assert!(!obj.is_empty(), "{path} must not be empty");
    for k in obj.keys() {
        assert!(
            allowed.contains(&k.as_str()),
            "{path}.{k} is not an element of this R4 type"
        );
    }
}

fn string(v: &Value, path: &str) -> String {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{path} must be a string: {v}"));
    assert!(
        !s.is_empty() && s.trim() == s,
        "{path} must be a non-empty trimmed string"
    );
    s.to_owned()
}

fn uri(v: &Value, path: &str) {
    let s = string(v, path);
    assert!(!s.contains(char::is_whitespace), "{path} must be a uri");
    assert!(s.contains(':'), "{path} must be an absolute uri: {s}");
}

fn coding(v: &Value, path: &str) {
    only_keys(
        v,
        &["system", "version", "code", "display", "userSelected"],
        path,
    );
    if let Some(system) = v.get("system") {
        uri(system, &format!("{path}.system"));
    }
    string(&v["code"], &format!("{path}.code"));
    if let Some(d) = v.get("display") {
        string(d, &format!("{path}.display"));
    }
}

fn codeable_concept(v: &Value, path: &str) {
    only_keys(v, &["coding", "text"], path);
    for (i, c) in v["coding"].as_array().into_iter().flatten().enumerate() {
        coding(c, &format!("{path}.coding[{i}]"));
    }
}

fn reference(v: &Value, path: &str) {
    only_keys(v, &["reference", "type", "identifier", "display"], path);
    if let Some(id) = v.get("identifier") {
        only_keys(
            id,
            &["use", "type", "system", "value", "period", "assigner"],
            path,
        );
        uri(&id["system"], &format!("{path}.identifier.system"));
        string(&id["value"], &format!("{path}.identifier.value"));
    }
    if let Some(d) = v.get("display") {
        string(d, &format!("{path}.display"));
    }
}

fn instant(v: &Value, path: &str) {
    let s = string(v, path);
    let t = time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339);
    assert!(t.is_ok(), "{path} must be an instant: {s}");
    assert!(
        s.len() >= 20 && s.as_bytes()[10] == b'T' && (s.ends_with('Z') || s.contains('+')),
        "{path} must have seconds and a zone: {s}"
    );
}

/// Panics with the first violation of the R4 AuditEvent definition.
pub fn assert_valid_audit_event(e: &Value, path: &str) {
    only_keys(
        e,
        &[
            "resourceType",
            "id",
            "meta",
            "implicitRules",
            "language",
            "text",
            "contained",
            "extension",
            "modifierExtension",
            "type",
            "subtype",
            "action",
            "period",
            "recorded",
            "outcome",
            "outcomeDesc",
            "purposeOfEvent",
            "agent",
            "source",
            "entity",
        ],
        path,
    );
    assert_eq!(e["resourceType"], "AuditEvent", "{path}.resourceType");
    if let Some(id) = e.get("id") {
        let id = string(id, &format!("{path}.id"));
        assert!(
            id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            "{path}.id must match [A-Za-z0-9\\-\\.]{{1,64}}"
        );
    }
    // type 1..1 Coding
    coding(&e["type"], &format!("{path}.type"));
    for (i, c) in e["subtype"].as_array().into_iter().flatten().enumerate() {
        coding(c, &format!("{path}.subtype[{i}]"));
    }
    if let Some(a) = e.get("action") {
        assert!(
            ["C", "R", "U", "D", "E"].contains(&a.as_str().unwrap_or("")),
            "{path}.action must be in audit-event-action: {a}"
        );
    }
    instant(&e["recorded"], &format!("{path}.recorded"));
    if let Some(o) = e.get("outcome") {
        assert!(
            ["0", "4", "8", "12"].contains(&o.as_str().unwrap_or("")),
            "{path}.outcome must be in audit-event-outcome: {o}"
        );
    }
    if let Some(d) = e.get("outcomeDesc") {
        string(d, &format!("{path}.outcomeDesc"));
    }
    // agent 1..*
    let agents = e["agent"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}.agent is required"));
    assert!(!agents.is_empty(), "{path}.agent needs at least one agent");
    for (i, a) in agents.iter().enumerate() {
        let p = format!("{path}.agent[{i}]");
        only_keys(
            a,
            &[
                "type",
                "role",
                "who",
                "altId",
                "name",
                "requestor",
                "location",
                "policy",
                "media",
                "network",
                "purposeOfUse",
            ],
            &p,
        );
        assert!(a["requestor"].is_boolean(), "{p}.requestor (1..1 boolean)");
        if let Some(t) = a.get("type") {
            codeable_concept(t, &format!("{p}.type"));
        }
        if let Some(w) = a.get("who") {
            reference(w, &format!("{p}.who"));
        }
        if let Some(n) = a.get("network") {
            only_keys(n, &["address", "type"], &format!("{p}.network"));
            string(&n["address"], &format!("{p}.network.address"));
            assert!(
                ["1", "2", "3", "4", "5"].contains(&n["type"].as_str().unwrap_or("")),
                "{p}.network.type must be in network-type"
            );
        }
    }
    // source 1..1 with observer 1..1
    let source = &e["source"];
    only_keys(
        source,
        &["site", "observer", "type"],
        &format!("{path}.source"),
    );
    reference(&source["observer"], &format!("{path}.source.observer"));
    for (i, c) in source["type"].as_array().into_iter().flatten().enumerate() {
        coding(c, &format!("{path}.source.type[{i}]"));
    }
    for (i, en) in e["entity"].as_array().into_iter().flatten().enumerate() {
        let p = format!("{path}.entity[{i}]");
        only_keys(
            en,
            &[
                "what",
                "type",
                "role",
                "lifecycle",
                "securityLabel",
                "name",
                "description",
                "query",
                "detail",
            ],
            &p,
        );
        assert!(
            !(en.get("name").is_some() && en.get("query").is_some()),
            "{p}: sev-1, either a name or a query (not both)"
        );
        if let Some(w) = en.get("what") {
            reference(w, &format!("{p}.what"));
        }
        for key in ["type", "role", "lifecycle"] {
            if let Some(c) = en.get(key) {
                coding(c, &format!("{p}.{key}"));
            }
        }
        for (j, d) in en["detail"].as_array().into_iter().flatten().enumerate() {
            let dp = format!("{p}.detail[{j}]");
            only_keys(d, &["type", "valueString", "valueBase64Binary"], &dp);
            string(&d["type"], &format!("{dp}.type"));
            let values = ["valueString", "valueBase64Binary"]
                .iter()
                .filter(|k| d.get(**k).is_some())
                .count();
            assert_eq!(values, 1, "{dp}.value[x] is 1..1");
        }
    }
}

/// A `collection` Bundle whose entries are all valid AuditEvents.
pub fn assert_valid_bundle_of_audit_events(b: &Value) {
    only_keys(
        b,
        &[
            "resourceType",
            "id",
            "meta",
            "identifier",
            "type",
            "timestamp",
            "total",
            "link",
            "entry",
            "signature",
        ],
        "Bundle",
    );
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["type"], "collection");
    let entries = b["entry"].as_array().expect("Bundle.entry");
    let mut seen = std::collections::HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let p = format!("Bundle.entry[{i}]");
        only_keys(
            entry,
            &[
                "fullUrl", "resource", "search", "request", "response", "link",
            ],
            &p,
        );
        let url = string(&entry["fullUrl"], &format!("{p}.fullUrl"));
        let uuid = url
            .strip_prefix("urn:uuid:")
            .unwrap_or_else(|| panic!("{p}.fullUrl: {url}"));
        assert!(
            uuid::Uuid::parse_str(uuid).is_ok(),
            "{p}.fullUrl is not a uuid"
        );
        assert!(seen.insert(url), "{p}.fullUrl must be unique (bdl-7)");
        assert_valid_audit_event(&entry["resource"], &format!("{p}.resource"));
    }
}
