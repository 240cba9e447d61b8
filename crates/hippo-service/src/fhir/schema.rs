//! Validation against HL7's FHIR R4 JSON schema, as vendored in
//! `schema/fhir-r4-subset.schema.json` (provenance and version in that
//! file's `$comment` and in `schema/vendor.py`, which regenerates it).
//!
//! The schema is data: this module interprets the handful of draft-06
//! keywords it uses (`$ref`, `properties`, `additionalProperties: false`,
//! `required`, `type`, `items`, `enum`, `const`, `pattern` and `oneOf`); its
//! patterns are matched by `patterns.rs`. The integration tests run the
//! same file through the `jsonschema` crate and check that the two agree,
//! so this reading of it cannot drift from a reference validator.
//!
//! It is deliberately stricter than the schema in three ways that FHIR's
//! JSON rules (not the schema) require: an element whose definition has
//! properties must be a JSON object (the schema leaves complex types
//! untyped, so it would take `"subject": "Patient/1"`), no object or array
//! is empty, and `xhtml` is a string. So anything accepted here also passes
//! the schema.

use super::patterns;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// The vendored schema: the definitions reachable from CommunicationRequest,
/// Communication, Bundle, OperationOutcome, CapabilityStatement and
/// Patient (the patient export).
pub const R4_SCHEMA_JSON: &str = include_str!("schema/fhir-r4-subset.schema.json");

/// Stop after this many violations (the first ones are the useful ones).
const MAX_VIOLATIONS: usize = 20;

/// One way an instance breaks the schema: where (a FHIRPath-like location,
/// `CommunicationRequest.payload[0].contentString`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub location: String,
    pub message: String,
}

/// The parsed schema.
#[derive(Debug)]
pub struct Schema {
    definitions: Map<String, Value>,
}

static VENDORED: LazyLock<Result<Schema, String>> = LazyLock::new(|| Schema::parse(R4_SCHEMA_JSON));

/// The vendored R4 schema (an error names what in it could not be read,
/// which the tests rule out).
pub fn r4() -> Result<&'static Schema, String> {
    VENDORED.as_ref().map_err(Clone::clone)
}

/// Fails on a pattern for strings that `patterns.rs` cannot match (those
/// on numbers and booleans never apply: `pattern` constrains strings only).
fn check_patterns(node: &Value) -> Result<(), String> {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(p)) = map.get("pattern")
                && map.get("type").is_none_or(|t| t == "string")
                && !patterns::KNOWN.contains(&p.as_str())
            {
                return Err(format!("schema: no matcher for the pattern {p}"));
            }
            map.values().try_for_each(check_patterns)
        }
        Value::Array(items) => items.iter().try_for_each(check_patterns),
        _ => Ok(()),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A short rendering of a value for a message (never a whole body).
fn preview(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

impl Schema {
    /// Reads a schema document (`definitions` at the top).
    pub fn parse(text: &str) -> Result<Schema, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("schema: {e}"))?;
        let definitions = doc
            .get("definitions")
            .and_then(Value::as_object)
            .cloned()
            .ok_or("schema: no definitions")?;
        for def in definitions.values() {
            check_patterns(def)?;
        }
        Ok(Schema { definitions })
    }

    /// Whether the schema defines `name`.
    pub fn defines(&self, name: &str) -> bool {
        self.definitions.contains_key(name)
    }

    /// Checks `instance` against definition `name`; locations start with
    /// `root` (the resource type). Empty: valid.
    pub fn validate(&self, name: &str, instance: &Value, root: &str) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut at = root.to_owned();
        self.check_definition(name, instance, &mut at, &mut out);
        out
    }

    fn violation(out: &mut Vec<Violation>, at: &str, message: String) {
        if out.len() < MAX_VIOLATIONS {
            out.push(Violation {
                location: at.to_owned(),
                message,
            });
        }
    }

    fn check_definition(&self, name: &str, v: &Value, at: &mut String, out: &mut Vec<Violation>) {
        let Some(def) = self.definitions.get(name) else {
            Self::violation(out, at, format!("no definition {name} in the schema"));
            return;
        };
        // FHIR's JSON rules, beyond the schema (see the module docs).
        if def.get("properties").is_some() && !v.is_object() {
            Self::violation(
                out,
                at,
                format!("must be a JSON object ({name}), not {}", kind_of(v)),
            );
            return;
        }
        if name == "xhtml" && !v.is_string() {
            Self::violation(
                out,
                at,
                format!("must be a string (xhtml), not {}", kind_of(v)),
            );
            return;
        }
        self.check(def, v, at, out);
    }

    fn check(&self, schema: &Value, v: &Value, at: &mut String, out: &mut Vec<Violation>) {
        if out.len() >= MAX_VIOLATIONS {
            return;
        }
        let Some(schema) = schema.as_object() else {
            return;
        };
        match v {
            Value::Array(a) if a.is_empty() => {
                Self::violation(out, at, "must not be an empty array (FHIR JSON)".into());
                return;
            }
            Value::Object(o) if o.is_empty() => {
                Self::violation(out, at, "must not be an empty object (FHIR JSON)".into());
                return;
            }
            _ => {}
        }
        // Draft 6: a `$ref` stands for its target; its siblings are ignored.
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            match r.strip_prefix("#/definitions/") {
                Some(name) => self.check_definition(name, v, at, out),
                None => Self::violation(out, at, format!("unsupported reference {r}")),
            }
            return;
        }
        if let Some(t) = schema.get("type").and_then(Value::as_str)
            && t != kind_of(v)
        {
            Self::violation(out, at, format!("must be a {t}, not {}", kind_of(v)));
            return;
        }
        if let (Some(p), Value::String(s)) = (schema.get("pattern").and_then(Value::as_str), v) {
            match patterns::matches(p, s) {
                Some(true) => {}
                Some(false) => Self::violation(
                    out,
                    at,
                    format!("{} does not match the pattern {p}", preview(v)),
                ),
                None => Self::violation(out, at, format!("no matcher for the pattern {p}")),
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(v)
        {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            Self::violation(
                out,
                at,
                format!("{} is not one of {}", preview(v), list.join(", ")),
            );
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            Self::violation(out, at, format!("must be {c}, not {}", preview(v)));
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            self.check_one_of(branches, v, at, out);
        }
        if let (Some(items), Value::Array(a)) = (schema.get("items"), v) {
            for (i, item) in a.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                self.check(items, item, at, out);
                at.truncate(len);
            }
        }
        if let Value::Object(o) = v {
            self.check_object(schema, o, at, out);
        }
    }

    fn check_object(
        &self,
        schema: &Map<String, Value>,
        o: &Map<String, Value>,
        at: &mut String,
        out: &mut Vec<Violation>,
    ) {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !o.contains_key(name) {
                    Self::violation(out, at, format!("{name} is required"));
                }
            }
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (key, value) in o {
            let len = at.len();
            at.push('.');
            at.push_str(key);
            match props.and_then(|p| p.get(key)) {
                Some(sub) => self.check(sub, value, at, out),
                None if closed => {
                    Self::violation(out, at, "is not an element of FHIR R4 here".into());
                }
                None => {}
            }
            at.truncate(len);
        }
    }

    fn check_one_of(
        &self,
        branches: &[Value],
        v: &Value,
        at: &mut String,
        out: &mut Vec<Violation>,
    ) {
        let mut matched = 0;
        let mut first_errors = None;
        for branch in branches {
            let mut errors = Vec::new();
            self.check(branch, v, at, &mut errors);
            if errors.is_empty() {
                matched += 1;
            } else {
                // The branch the instance says it is (its resourceType) has
                // the useful errors.
                let named = branch
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/definitions/"))
                    .is_some_and(|n| v.get("resourceType").and_then(Value::as_str) == Some(n));
                if named || first_errors.is_none() {
                    first_errors = Some(errors);
                }
            }
        }
        match matched {
            1 => {}
            0 => match first_errors {
                Some(errors) if v.get("resourceType").is_some() => {
                    for e in errors {
                        Self::violation(out, &e.location, e.message);
                    }
                }
                _ => Self::violation(out, at, "is not one of the accepted resources".into()),
            },
            _ => Self::violation(out, at, "matches more than one resource".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(v: Value) -> Vec<String> {
        r4().unwrap()
            .validate("CommunicationRequest", &v, "CommunicationRequest")
            .into_iter()
            .map(|e| format!("{}: {}", e.location, e.message))
            .collect()
    }

    #[test]
    fn the_vendored_schema_reads_and_every_pattern_has_a_matcher() {
        let s = r4().unwrap();
        for name in [
            "CommunicationRequest",
            "Communication",
            "Bundle",
            "OperationOutcome",
        ] {
            assert!(s.defines(name), "{name}");
        }
        let unknown = r#"{"definitions": {"x": {"type": "string", "pattern": "^x$"}}}"#;
        assert!(Schema::parse(unknown).is_err());
    }

    #[test]
    fn a_plain_request_is_valid() {
        let ok = json!({
            "resourceType": "CommunicationRequest",
            "status": "active",
            "priority": "urgent",
            "subject": { "reference": "Patient/0192" },
            "payload": [{ "contentString": "K+ 6.1 mmol/L" }],
            "identifier": [{ "system": "urn:ehr", "value": "alert-1" }],
            "authoredOn": "2026-11-30T10:00:00+01:00",
        });
        assert_eq!(errors(ok), Vec::<String>::new());
    }

    #[test]
    fn wrong_types_unknown_elements_and_empty_values_are_named() {
        let bad = json!({
            "resourceType": "CommunicationRequest",
            "status": 3,
            "subject": "Patient/1",
            "payload": [{ "contentString": "" }, {}],
            "color": "red",
            "authoredOn": "yesterday",
            "note": [],
        });
        let got = errors(bad);
        for want in [
            "CommunicationRequest.status: must be a string, not number",
            "CommunicationRequest.subject: must be a JSON object (Reference), not string",
            "CommunicationRequest.payload[0].contentString: \"\" does not match",
            "CommunicationRequest.payload[1]: must not be an empty object",
            "CommunicationRequest.color: is not an element of FHIR R4 here",
            "CommunicationRequest.authoredOn: \"yesterday\" does not match",
            "CommunicationRequest.note: must not be an empty array",
        ] {
            assert!(
                got.iter().any(|g| g.starts_with(want)),
                "{want} not in {got:#?}"
            );
        }
    }

    #[test]
    fn contained_resources_are_checked_as_what_they_say_they_are() {
        let got = errors(json!({
            "resourceType": "CommunicationRequest",
            "contained": [{ "resourceType": "OperationOutcome", "issue": [{ "severity": "bad" }] }],
        }));
        assert!(
            got.iter()
                .any(|g| g.contains("contained[0].issue[0].severity")),
            "{got:#?}"
        );
    }
}
