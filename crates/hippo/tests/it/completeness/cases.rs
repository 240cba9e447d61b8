//! The rows of the completeness table and how each is checked: every
//! documented operation has a row and every row is documented; a refused
//! caller leaves a `denied` record; each call records its action (or,
//! exempt, at least does not fail).

use crate::support::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) enum Expect {
    /// Succeeds and records `action` with outcome success.
    Records(&'static str),
    /// Records nothing, for the stated reason (kept in the table so the
    /// decision is written down where the next endpoint is added).
    Exempt(#[allow(dead_code, reason = "documentation in the table")] &'static str),
}

pub(super) struct Case {
    method: Method,
    template: &'static str,
    path: String,
    token: String,
    body: Option<Value>,
    expect: Expect,
    /// A caller that must be refused, leaving a `denied` record.
    refused: Option<String>,
}

pub(super) fn case(
    method: Method,
    template: &'static str,
    path: impl Into<String>,
    token: &str,
    body: Option<Value>,
    expect: Expect,
    refused: Option<&str>,
) -> Case {
    Case {
        method,
        template,
        path: path.into(),
        token: token.to_owned(),
        body,
        expect,
        refused: refused.map(str::to_owned),
    }
}

async fn count(s: &TestServer, action: &str, outcome: &str) -> usize {
    s.audit()
        .await
        .iter()
        .filter(|r| r.action.as_str() == action && r.outcome.as_str() == outcome)
        .count()
}

/// Checks every row of `cases` against the server (`token` reads the
/// OpenAPI document).
pub(super) async fn check_cases(s: &TestServer, cases: &[Case], token: &str) {
    use Expect::{Exempt, Records};
    // Every documented operation has a row, and every row is documented.
    let (_, doc) = s.get("/api/v1/openapi.json", token).await;
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let tabled: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.as_str().to_owned(), c.template.to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&tabled).collect();
    assert!(
        missing.is_empty(),
        "endpoints without a row in the audit table: {missing:?}"
    );
    let undocumented: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "rows for undocumented endpoints: {undocumented:?}"
    );

    let mut failures: Vec<String> = Vec::new();
    for c in cases {
        if let Expect::Records(action) = c.expect
            && let Some(refused) = &c.refused
        {
            let before = count(s, action, "denied").await;
            let (status, body) = s
                .call(c.method.clone(), &c.path, Some(refused), c.body.clone())
                .await;
            assert!(
                matches!(status.as_u16(), 403 | 404),
                "{} {}: a refused caller got {status}: {body}",
                c.method,
                c.template
            );
            assert!(
                count(s, action, "denied").await > before,
                "{} {}: the refusal left no denied {action} record",
                c.method,
                c.template
            );
        }
        let before = s.audit().await.len();
        let status = if c.template == "/api/v1/attachments" {
            s.client
                .post(s.url(&c.path))
                .bearer_auth(&c.token)
                .header("content-type", "text/plain")
                .body("note")
                .send()
                .await
                .unwrap()
                .status()
        } else {
            let token = (!c.token.is_empty()).then_some(c.token.as_str());
            s.call(c.method.clone(), &c.path, token, c.body.clone())
                .await
                .0
        };
        let trail = s.audit().await;
        let added = &trail[before..];
        match c.expect {
            Records(action) => {
                let recorded = added
                    .iter()
                    .any(|r| r.action.as_str() == action && r.outcome.as_str() == "success");
                if !status.is_success() || !recorded {
                    failures.push(format!(
                        "{} {} ({status}) recorded {:?}, expected a successful {action}",
                        c.method,
                        c.template,
                        added
                            .iter()
                            .map(|r| format!("{} {}", r.action.as_str(), r.outcome.as_str()))
                            .collect::<Vec<_>>()
                    ));
                }
            }
            Exempt(_) => {
                assert!(
                    status != StatusCode::INTERNAL_SERVER_ERROR,
                    "{} {}",
                    c.method,
                    c.template
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "rows that did not succeed with their record:\n{}",
        failures.join("\n")
    );
}
