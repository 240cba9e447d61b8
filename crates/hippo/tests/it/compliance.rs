//! Issue 20, for the compliance officer: the access review lists every
//! account with its MFA, last sign-in and last activity by name, flags the
//! dormant ones, and is itself recorded.

use crate::support::{TestServer, assert_problem};
use serde_json::{Value, json};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn the_access_review_shows_every_account_and_flags_the_dormant_ones() {
    let s = TestServer::start().await;
    let ana = s.clinician("ana").await;
    let auditor = s.auditor().await;
    // Ben's account was made and never used.
    s.create_user("ben", "staff").await;

    // A quarter later ana signs in again; ben still has not.
    s.clock.advance(91 * DAY);
    let ana_now = s.second_session(&ana).await;
    let auditor_now = s.second_session(&auditor).await;
    let (status, body) = s.get("/api/v1/compliance/access-review", &ana_now).await;
    assert_problem(status, &body, 403, "forbidden");

    let (status, body) = s
        .get("/api/v1/compliance/access-review", &auditor_now)
        .await;
    assert_eq!(status, 200, "{body}");
    let account = |username: &str| -> Value {
        body["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["user"]["username"] == json!(username))
            .cloned()
            .unwrap_or_else(|| panic!("{username} missing from {body}"))
    };
    let (ana_row, ben_row) = (account("ana"), account("ben"));
    assert_eq!(ana_row["user"]["mfa_enabled"], json!(true));
    assert_eq!(ana_row["dormant"], json!(false), "{ana_row}");
    assert!(ana_row["last_sign_in_at"].is_string(), "{ana_row}");
    assert!(ana_row["last_activity_at"].is_string());
    assert_eq!(ben_row["user"]["mfa_enabled"], json!(false));
    assert_eq!(ben_row["last_sign_in_at"], Value::Null);
    assert_eq!(ben_row["dormant"], json!(true), "{ben_row}");

    // The review is in the trail, with what it found; the clinician's
    // attempt is there as denied.
    let trail = s.audit().await;
    let reviews: Vec<_> = trail
        .iter()
        .filter(|r| r.action.as_str() == "user.read" && r.detail.contains("access-review"))
        .collect();
    assert_eq!(reviews.len(), 1);
    assert!(
        reviews[0].detail.contains("\"dormant\":1"),
        "{}",
        reviews[0].detail
    );
    assert!(
        trail
            .iter()
            .any(|r| r.action.as_str() == "user.read" && r.outcome.as_str() == "denied")
    );
    s.stop().await;
}

/// The finding ids of a report.
fn finding_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {report}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_evidence_report_lists_what_to_fix_and_forgets_it_once_fixed() {
    let backups = tempfile::tempdir().unwrap();
    let s = TestServer::start().await;
    let [ana, cat] = s.clinicians(["ana", "cat"]).await;
    let admin = s.admin().await;
    let auditor = s.auditor().await;
    // Ben's account was made, never enrolled MFA, and was never used.
    let ben = s.create_user("ben", "staff").await;
    let bea = s.user("bea", "staff").await;
    let conv = s.group(&ana, [&bea], "Bed 9").await;
    // Cat opens emergency access; nobody reviews it.
    let (status, grant) = s
        .post(
            &format!("/api/v1/conversations/{conv}/break-glass"),
            Some(&cat.token),
            json!({ "reason": "Patient in bed 9 deteriorating; need the care plan" }),
        )
        .await;
    assert_eq!(status, 200, "{grant}");

    // A quarter later everyone but ben is back at work.
    s.clock.advance(91 * DAY);
    let [ana_now, admin_now, auditor_now, _cat_now, _bea_now] = [
        s.second_session(&ana).await,
        s.second_session(&admin).await,
        s.second_session(&auditor).await,
        s.second_session(&cat).await,
        s.second_session(&bea).await,
    ];
    let (status, body) = s.get("/api/v1/compliance/report", &ana_now).await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = s
        .get("/api/v1/compliance/report?format=pdf", &auditor_now)
        .await;
    assert_problem(status, &body, 422, "validation_failed");

    let (status, report) = s.get("/api/v1/compliance/report", &auditor_now).await;
    assert_eq!(status, 200, "{report}");
    let ids = finding_ids(&report);
    for want in [
        "accounts_without_mfa",
        "dormant_accounts",
        "break_glass_unreviewed",
        "restore_drill_missing",
        "backup_missing",
        "audit_never_verified",
    ] {
        assert!(ids.iter().any(|id| id == want), "{want} missing: {ids:?}");
    }
    let finding = |id: &str| -> Value {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == json!(id))
            .cloned()
            .unwrap()
    };
    assert_eq!(finding("accounts_without_mfa")["detail"], json!("ben"));
    assert_eq!(
        finding("accounts_without_mfa")["hipaa"],
        json!("164.312(d)")
    );
    assert_eq!(finding("break_glass_unreviewed")["severity"], json!("high"));
    let evidence = &report["evidence"];
    assert_eq!(evidence["dormant_accounts"][0]["username"], json!("ben"));
    assert_eq!(
        evidence["open_break_glass"][0]["user"]["username"],
        json!("cat")
    );
    let mfa = report["safeguards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == json!("mfa"))
        .cloned()
        .unwrap();
    assert_eq!(mfa["setting"], json!("required for every account"));
    assert_eq!(mfa["ok"], json!(true));
    // The charts' data: 30 days, today last, with today's five sign-ins
    // and ana's refusal a moment ago.
    let daily = evidence["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    let today = &daily[29];
    assert_eq!(
        today["date"],
        json!(&hippo_core::Clock::now(&s.clock).to_rfc3339()[..10])
    );
    assert_eq!(today["sign_ins"], json!(5), "{today}");
    assert!(today["denied"].as_i64().unwrap() >= 1, "{today}");
    // The break-glass was 91 days ago: outside the charts.
    assert!(daily.iter().all(|d| d["break_glass"] == json!(0)));

    // The printable page: the same findings, three charts of 30 bars,
    // and a policy that allows its own style and nothing else.
    let resp = s
        .client
        .get(s.url("/api/v1/compliance/report?format=html"))
        .bearer_auth(&auditor_now)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    let csp = header("content-security-policy");
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    let page = resp.text().await.unwrap();
    assert!(page.starts_with("<!doctype html>"));
    for chart in ["sign_ins", "denied", "break_glass"] {
        assert!(page.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
    }
    assert_eq!(page.matches("class=\"bar\"").count(), 90);
    assert!(page.contains("1 active accounts without MFA"), "{page}");
    assert!(page.contains("data-finding=\"break_glass_unreviewed\""));

    // Fix each: ben's account closed, the access reviewed, the trail
    // verified, a backup taken and drilled (by the operator).
    let (status, body) = s
        .post(
            &format!("/api/v1/users/{ben}/deactivate"),
            Some(&admin_now),
            json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = s
        .post(
            &format!(
                "/api/v1/break-glass/{}/review",
                grant["id"].as_str().unwrap()
            ),
            Some(&auditor_now),
            json!({ "note": "Confirmed with the charge nurse." }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let cli = |args: &[&str]| {
        let mut cmd = s.cli();
        cmd.env("HIPPO_BACKUP_DIR", backups.path()).args(args);
        async move {
            tokio::task::spawn_blocking(move || cmd.output().unwrap())
                .await
                .unwrap()
        }
    };
    let backup = backups.path().join("hippo-0000000000001.backup");
    for args in [
        vec!["audit", "verify"],
        vec!["backup", "create", "--out", backup.to_str().unwrap()],
        vec!["backup", "drill"],
    ] {
        let out = cli(&args).await;
        let drill_on_postgres = args[1] == "drill" && crate::support::on_postgres();
        assert!(
            out.status.success() || drill_on_postgres,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (status, report) = s.get("/api/v1/compliance/report", &auditor_now).await;
    assert_eq!(status, 200, "{report}");
    let ids = finding_ids(&report);
    for gone in [
        "accounts_without_mfa",
        "dormant_accounts",
        "break_glass_unreviewed",
        "restore_drill_missing",
        "backup_missing",
        "audit_never_verified",
    ] {
        assert!(
            !ids.iter().any(|id| id == gone),
            "{gone} still listed: {ids:?}"
        );
    }
    // PostgreSQL backups are not drilled by hippo: the failed attempt is
    // what the report shows.
    assert_eq!(
        ids.iter().any(|id| id == "restore_drill_failed"),
        crate::support::on_postgres(),
        "{ids:?}"
    );
    assert_eq!(
        report["evidence"]["last_backup"]["outcome"],
        json!("success")
    );

    // The operator's copy is the same document.
    let out = cli(&["compliance", "report"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        from_cli["evidence"]["accounts"],
        report["evidence"]["accounts"]
    );
    assert!(from_cli["safeguards"].as_array().unwrap().len() >= 10);
    let out = cli(&["compliance", "report", "--format", "html"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<!doctype html>"));
    let out = cli(&["compliance", "report", "--format", "pdf"]).await;
    assert_eq!(out.status.code(), Some(1));

    // Every report is in the trail, the refusal too.
    let trail = s.audit().await;
    let reports = trail
        .iter()
        .filter(|r| r.action.as_str() == "audit.query" && r.detail.contains("\"evidence\""))
        .count();
    assert_eq!(reports, 5, "API json, html, json; CLI json, html");
    assert!(trail.iter().any(|r| r.action.as_str() == "audit.query"
        && r.outcome.as_str() == "denied"
        && r.actor_id.as_ref().map(|a| a.as_str()) == Some(ana.id.as_str())));
    s.stop().await;
}

#[tokio::test]
async fn dormant_accounts_are_deactivated_after_the_setting_but_never_the_last_admin() {
    let s = TestServer::start_with(|a| a.deactivate_after = Some("90d".into())).await;
    let ana = s.clinician("ana").await;
    let admin = s.admin().await;
    let auditor = s.auditor().await;
    let ben = s.create_user("ben", "staff").await;
    let second_admin = s.create_user("root2", "admin").await;
    let job = || {
        s.hippo
            .users()
            .deactivate_dormant(hippo_service::Principal::System("dormant_accounts"))
    };

    // Nobody has been away long enough yet.
    s.clock.advance(89 * DAY);
    let _ana_now = s.second_session(&ana).await;
    assert_eq!(job().await.unwrap(), vec![]);

    // Two more days: ben never came; both administrators stayed away.
    // Ana and the auditor are at work.
    s.clock.advance(2 * DAY);
    let _auditor_now = s.second_session(&auditor).await;
    let done: Vec<String> = job()
        .await
        .unwrap()
        .iter()
        .map(|id| id.to_string())
        .collect();
    assert!(done.contains(&ben), "{done:?}");
    assert_eq!(done.len(), 2, "ben and one administrator: {done:?}");
    let admins_left = [&admin.id, &second_admin]
        .into_iter()
        .filter(|id| !done.contains(id))
        .count();
    assert_eq!(admins_left, 1, "the last administrator stays active");
    // Done is done: the next round finds nothing.
    assert_eq!(job().await.unwrap(), vec![]);

    // Ben can no longer sign in; each deactivation is recorded by the
    // system with its reason.
    let trail = s.audit().await;
    let closed: Vec<_> = trail
        .iter()
        .filter(|r| r.action.as_str() == "user.deactivate")
        .collect();
    assert_eq!(closed.len(), 2);
    for r in &closed {
        assert!(r.actor_id.is_none(), "{r:?}");
        assert!(r.detail.contains("\"reason\":\"dormant\""), "{}", r.detail);
        assert!(r.detail.contains("\"idle_days\":91"), "{}", r.detail);
    }
    assert!(
        closed
            .iter()
            .any(|r| r.resource_id.as_deref() == Some(ben.as_str()))
    );
    let (status, _) = s
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "username": "ben", "password": crate::support::PASSWORD }),
        )
        .await;
    assert_ne!(status, 200);
    s.stop().await;
}

#[tokio::test]
async fn auditors_see_the_trails_ids_by_name_and_each_lookup_is_recorded() {
    let s = TestServer::start().await;
    let ana = s.clinician("ana").await;
    let auditor = s.auditor().await;
    let (status, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ana.token),
            json!({ "display_name": "Maria Lopez", "phone": "+16505550142",
                    "whatsapp_opt_in": false, "mrn": "MRN-77" }),
        )
        .await;
    assert_eq!(status, 201, "{patient}");
    let pid = patient["id"].as_str().unwrap();
    let conv = patient["conversation_id"].as_str().unwrap();
    // Ana writes in Maria's conversation and reads it back.
    s.send_json(&ana.token, conv, json!({ "body": "Labs are back" }))
        .await;
    let (status, _) = s
        .get(
            &format!("/api/v1/conversations/{conv}/messages"),
            &ana.token,
        )
        .await;
    assert_eq!(status, 200);
    let body = json!({ "user_ids": [ana.id, "nobody", ana.id], "patient_ids": [pid, "x"] });

    let (status, refused) = s
        .post("/api/v1/audit/resolve", Some(&ana.token), body.clone())
        .await;
    assert_problem(status, &refused, 403, "forbidden");
    let (status, names) = s
        .post("/api/v1/audit/resolve", Some(&auditor.token), body)
        .await;
    assert_eq!(status, 200, "{names}");
    assert_eq!(names["users"].as_array().unwrap().len(), 1, "{names}");
    assert_eq!(names["users"][0]["username"], json!("ana"));
    assert_eq!(names["users"][0]["role"], json!("clinician"));
    assert_eq!(
        names["patients"],
        json!([{ "id": pid, "display_name": "Maria Lopez", "mrn": "MRN-77" }])
    );
    let many: Vec<String> = (0..201).map(|i| format!("id-{i}")).collect();
    let (status, body) = s
        .post(
            "/api/v1/audit/resolve",
            Some(&auditor.token),
            json!({ "user_ids": many }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");

    // Maria's access report shows the auditor looked her up.
    let (status, report) = s
        .get(
            &format!("/api/v1/reports/patient-access/{pid}"),
            &auditor.token,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let lookups: Vec<&Value> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == json!("audit.resolve") && e["actor_id"] == json!(auditor.id))
        .collect();
    assert_eq!(lookups.len(), 1, "{report}");
    assert_eq!(lookups[0]["detail"]["resolved_for"], json!("audit"));
    // Her messages count as her record: ana's sending and reading are there.
    let by_ana: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_id"] == json!(ana.id))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["patient.create", "message.send", "conversation.read"] {
        assert!(by_ana.contains(&action), "{action} missing: {by_ana:?}");
    }
    let trail = s.audit().await;
    assert!(trail.iter().any(|r| r.action.as_str() == "audit.resolve"
        && r.detail.contains("resolved_for")
        && r.detail.contains(&ana.id)));
    s.stop().await;
}
