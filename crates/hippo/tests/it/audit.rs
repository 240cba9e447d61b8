//! The auditor's tools: querying, verifying (against tampering done
//! directly in the database), exporting, reports.

use crate::support::{TestServer, assert_problem, on_postgres};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Builds a little history: two clinicians, a conversation, messages.
async fn history(s: &TestServer) -> (String, String, String, String) {
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let conv = s.direct(&ana, &ben).await;
    for i in 0..3 {
        s.clock.advance(Duration::from_secs(60));
        s.send(&ana, &conv, &format!("note {i}")).await;
    }
    (ana.id, ana.token, ben.id, conv)
}

/// Runs SQL against the store directly, with the append-only triggers out
/// of the way: what an attacker with database access could do.
async fn tamper(s: &TestServer, statements: &[&str]) {
    use sqlx::Connection;
    // The attacker edits the trail as sequenced.
    s.hippo.audit().sequence_now().await.unwrap();
    if on_postgres() {
        let url = s.config.database_url.as_ref().unwrap().to_string();
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER USER")
            .execute(&mut conn)
            .await
            .unwrap();
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(*sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        sqlx::query("ALTER TABLE audit_events ENABLE TRIGGER USER")
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        let path = s.config.data_dir.join("hippo.db");
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        for sql in [
            "DROP TRIGGER IF EXISTS audit_events_no_update",
            "DROP TRIGGER IF EXISTS audit_events_no_delete",
        ]
        .iter()
        .chain(statements)
        {
            sqlx::query(sqlx::AssertSqlSafe(*sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

async fn api_verify(s: &TestServer, auditor: &str) -> Value {
    let (status, body) = s.get("/api/v1/audit/verify", auditor).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Verifies through the API and the CLI; both must name `bad`.
async fn assert_detected(s: &TestServer, auditor: &str, bad: i64, what: &str) {
    let report = api_verify(s, auditor).await;
    assert_eq!(report["ok"], json!(false), "{what}: {report}");
    assert_eq!(report["first_bad_seq"], json!(bad), "{what}: {report}");
    let out = s.run_cli(&["audit", "verify"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("first_bad_seq={bad}")),
        "{what}: {stdout}"
    );
}

#[tokio::test]
async fn an_intact_trail_verifies_through_api_and_cli() {
    let s = TestServer::start().await;
    history(&s).await;
    let auditor = s.auditor().await.token;
    s.hippo
        .audit()
        .write_checkpoint()
        .await
        .unwrap()
        .expect("a checkpoint");
    let report = api_verify(&s, &auditor).await;
    assert_eq!(report["ok"], json!(true), "{report}");
    assert!(report["checked"].as_i64().unwrap() > 10);
    assert_eq!(report["checkpoints_verified"], json!(1));
    assert!(report.get("first_bad_seq").is_none());
    let out = s.run_cli(&["audit", "verify"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
    // A checkpoint from the CLI, then nothing new to sign.
    let out = s.run_cli(&["audit", "checkpoint"]).await;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("checkpoint signed at record"));
    // Verification itself was recorded.
    let verifies = s
        .audit()
        .await
        .iter()
        .filter(|r| r.action.as_str() == "audit.verify")
        .count();
    assert_eq!(verifies, 2);
    s.stop().await;
}

#[tokio::test]
async fn tampering_is_detected_and_located() {
    // (what, statements, first bad seq); each on a fresh server.
    let cases: Vec<(&str, Vec<String>, i64)> = vec![
        (
            "a field edited",
            vec!["UPDATE audit_events SET outcome = 'denied' WHERE seq = 5".into()],
            5,
        ),
        (
            "a middle record deleted",
            vec!["DELETE FROM audit_events WHERE seq = 7".into()],
            7,
        ),
        (
            "two records swapped",
            vec![
                "UPDATE audit_events SET seq = -1 WHERE seq = 5".into(),
                "UPDATE audit_events SET seq = 5 WHERE seq = 6".into(),
                "UPDATE audit_events SET seq = 6 WHERE seq = -1".into(),
            ],
            5,
        ),
    ];
    for (what, statements, bad) in cases {
        let s = TestServer::start().await;
        history(&s).await;
        let auditor = s.auditor().await.token;
        let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
        tamper(&s, &statements).await;
        assert_detected(&s, &auditor, bad, what).await;
        s.stop().await;
    }
}

#[tokio::test]
async fn a_cut_off_tail_is_detected() {
    let s = TestServer::start().await;
    history(&s).await;
    let auditor = s.auditor().await.token;
    s.hippo.audit().sequence_now().await.unwrap();
    let (head, _) = s.hippo.store().audit_head().await.unwrap();
    // The last three records go; the chain head still knows the length.
    tamper(
        &s,
        &[&format!(
            "DELETE FROM audit_events WHERE seq > {}",
            head - 3
        )],
    )
    .await;
    assert_detected(&s, &auditor, head - 2, "tail deleted").await;
    s.stop().await;

    // A careful attacker also rewinds the head: the signed checkpoint
    // still knows.
    let s = TestServer::start().await;
    history(&s).await;
    let auditor = s.auditor().await.token;
    let cp = s.hippo.audit().write_checkpoint().await.unwrap().unwrap();
    let keep = cp.seq - 3;
    tamper(
        &s,
        &[
            &format!("DELETE FROM audit_events WHERE seq > {keep}"),
            &format!(
                "UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit_events WHERE seq = {keep})"
            ),
        ],
    )
    .await;
    let report = api_verify(&s, &auditor).await;
    assert_eq!(report["ok"], json!(false), "{report}");
    assert_eq!(report["first_bad_seq"], json!(keep + 1), "{report}");
    // That verification was recorded after the cut, as a new record
    // keep + 1 that links to the chain as it now is. The tree still holds
    // the record it replaced, so the CLI names the same place, whether or
    // not a tree head happened to be signed over the removed records.
    let out = s.run_cli(&["audit", "verify"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("first_bad_seq={}", keep + 1)),
        "{stdout}"
    );
    s.stop().await;

    // The same cut where a tree head (and then also a checkpoint) was
    // signed over exactly the records the CLI will read: either one's
    // mismatch is pinned to the same record.
    for with_checkpoint in [false, true] {
        let s = TestServer::start().await;
        history(&s).await;
        let auditor = s.auditor().await.token;
        s.hippo.audit().sequence_now().await.unwrap();
        let head = s.hippo.audit().sign_tree_head(true).await.unwrap().unwrap();
        if with_checkpoint {
            let cp = s.hippo.audit().write_checkpoint().await.unwrap().unwrap();
            assert_eq!(cp.seq, head.tree_size);
        }
        let keep = head.tree_size - 1;
        tamper(
        &s,
        &[
            &format!("DELETE FROM audit_events WHERE seq > {keep}"),
            &format!(
                "UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit_events WHERE seq = {keep})"
            ),
        ],
    )
    .await;
        let report = api_verify(&s, &auditor).await;
        assert_eq!(report["first_bad_seq"], json!(keep + 1), "{report}");
        let out = s.run_cli(&["audit", "verify"]).await;
        assert_eq!(out.status.code(), Some(1));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("first_bad_seq={}", keep + 1))
                && stdout.contains("is not the record the audit tree holds at that place"),
            "{with_checkpoint}: {stdout}"
        );
        s.stop().await;
    }
}

#[tokio::test]
async fn a_recomputed_chain_fails_its_signed_checkpoint() {
    let s = TestServer::start().await;
    history(&s).await;
    let auditor = s.auditor().await.token;
    s.hippo.audit().write_checkpoint().await.unwrap().unwrap();
    // Rewrite record 4 and recompute every hash after it so the chain
    // itself is consistent again.
    s.hippo.audit().sequence_now().await.unwrap();
    let mut records = s.hippo.store().list_audit(0, 100_000).await.unwrap();
    let head = records.last().unwrap().seq;
    let mut statements = Vec::new();
    let mut prev = records[2].hash.clone();
    for r in records.iter_mut().skip(3) {
        if r.seq == 4 {
            r.outcome = hippo_core::Outcome::Failure;
        }
        r.prev_hash = prev.clone();
        r.hash = hippo_store::chain::hash_stored(r);
        prev = r.hash.clone();
        statements.push(format!(
            "UPDATE audit_events SET outcome = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
            r.outcome.as_str(),
            r.prev_hash,
            r.hash,
            r.seq
        ));
    }
    statements.push(format!(
        "UPDATE audit_head SET hash = '{prev}' WHERE seq = {head}"
    ));
    let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
    tamper(&s, &statements).await;
    let report = api_verify(&s, &auditor).await;
    assert_eq!(report["ok"], json!(false), "{report}");
    // The chain alone only knows records 1..=head changed; the tree's
    // leaves name the one that did.
    assert_eq!(report["first_bad_seq"], json!(4), "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("checkpoint"),
        "{report}"
    );
    s.stop().await;
}

#[tokio::test]
async fn an_auditor_searches_the_trail_and_nobody_else_can() {
    let s = TestServer::start().await;
    let (a_id, a, _, conv) = history(&s).await;
    let admin = s.admin().await.token;
    let auditor = s.auditor().await.token;

    let (status, page) = s
        .get(
            &format!("/api/v1/audit?actor_id={a_id}&action=message.send"),
            &auditor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    for e in events {
        assert_eq!(e["actor_id"], json!(a_id));
        assert_eq!(e["action"], json!("message.send"));
        assert_eq!(e["outcome"], json!("success"));
        assert_eq!(e["detail"]["conversation_id"], json!(conv));
        assert!(e["at"].as_str().unwrap().ends_with('Z'));
        assert!(e["request_id"].is_string(), "{e}");
    }
    // Time window: the second message only.
    let second = events[1]["at"].as_str().unwrap();
    let third = events[2]["at"].as_str().unwrap();
    let (_, page) = s
        .get(
            &format!("/api/v1/audit?action=message.send&since={second}&until={third}"),
            &auditor,
        )
        .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    // Pagination.
    let (_, first) = s.get("/api/v1/audit?limit=2", &auditor).await;
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    let next = first["next_after_seq"].as_i64().unwrap();
    let (_, more) = s
        .get(&format!("/api/v1/audit?limit=2&after_seq={next}"), &auditor)
        .await;
    assert_eq!(more["events"][0]["seq"], json!(next + 1));

    // Nonsense gets problem details.
    for bad in [
        "action=nonsense",
        "outcome=maybe",
        "since=yesterday",
        "since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
        "limit=5000",
        "limit=ten",
        "after_seq=-1",
        "colour=blue",
    ] {
        let (status, body) = s.get(&format!("/api/v1/audit?{bad}"), &auditor).await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    // Clinicians and administrators may not read the trail.
    for token in [&a, &admin] {
        let (status, body) = s.get("/api/v1/audit", token).await;
        assert_problem(status, &body, 403, "forbidden");
        let (status, _) = s.get("/api/v1/audit/verify", token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // Reading the trail is itself recorded; so are refused attempts.
    let trail = s.audit().await;
    assert!(trail.iter().any(|r| r.action.as_str() == "audit.query"
        && r.outcome.as_str() == "success"
        && r.detail.contains(&a_id)));
    assert!(
        trail
            .iter()
            .any(|r| r.action.as_str() == "audit.query" && r.outcome.as_str() == "denied")
    );
    s.stop().await;
}

#[tokio::test]
async fn exports_and_reports() {
    let s = TestServer::start().await;
    let (a_id, _, _, conv) = history(&s).await;
    let auditor = s.auditor().await.token;
    let total = s.audit().await.len();

    let get = |path: String| {
        let req = s.client.get(s.url(&path)).bearer_auth(&auditor);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
            (ct, resp.text().await.unwrap())
        }
    };
    let (ct, jsonl) = get("/api/v1/audit/export?format=jsonl".into()).await;
    assert_eq!(ct, "application/jsonl");
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= total, "{} < {total}", lines.len());
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["seq"], json!(i + 1));
    }

    let (ct, csv) = get("/api/v1/audit/export?format=csv".into()).await;
    assert!(ct.starts_with("text/csv"));
    let mut rows = csv.lines();
    assert!(rows.next().unwrap().starts_with("seq,at,actor_id"));
    assert!(rows.count() >= total);

    let (ct, fhir) = get("/api/v1/audit/export?format=fhir".into()).await;
    assert_eq!(ct, "application/fhir+json");
    let bundle: Value = serde_json::from_str(&fhir).unwrap();
    crate::fhir::assert_valid_bundle_of_audit_events(&bundle);
    let entries = bundle["entry"].as_array().unwrap();
    assert!(entries.len() >= total);
    let send = entries
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["subtype"][0]["code"] == json!("message.send"))
        .unwrap();
    assert_eq!(send["action"], json!("C"));
    assert_eq!(send["outcome"], json!("0"));
    assert_eq!(send["agent"][0]["who"]["identifier"]["value"], json!(a_id));
    assert_eq!(send["agent"][0]["requestor"], json!(true));

    // The CLI writes the same formats.
    let out = s.run_cli(&["audit", "export", "--format", "fhir"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::fhir::assert_valid_bundle_of_audit_events(&bundle);
    let out = s.run_cli(&["audit", "export", "--format", "xml"]).await;
    assert!(!out.status.success());

    // Reports.
    let (status, report) = s
        .get(&format!("/api/v1/reports/user-activity/{a_id}"), &auditor)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let actions: Vec<&str> = report["by_action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"message.send"), "{actions:?}");
    let sends = report["by_action"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == json!("message.send"))
        .unwrap();
    assert_eq!(sends["count"], json!(3));

    let since = "2020-01-01T00:00:00Z";
    let until = "2100-01-01T00:00:00Z";
    let (status, scope) = s
        .get(
            &format!("/api/v1/reports/breach-scope?actor_id={a_id}&since={since}&until={until}"),
            &auditor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{scope}");
    let touched = scope["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == json!(format!("conversation/{conv}")))
        .unwrap_or_else(|| panic!("{scope}"));
    assert!(touched["count"].as_u64().unwrap() >= 4, "create + 3 sends");
    let (status, body) = s
        .get(
            "/api/v1/reports/breach-scope?since=2020-01-01T00:00:00Z",
            &auditor,
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");

    let (status, report) = s
        .get("/api/v1/reports/patient-access/p-123", &auditor)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["total"], json!(0));

    let exports = s
        .audit()
        .await
        .iter()
        .filter(|r| r.action.as_str() == "audit.export")
        .count();
    assert_eq!(exports, 4, "three through the API, one through the CLI");
    s.stop().await;
}
