//! Each finding appears when its condition holds and is gone once fixed.

use super::super::{AccountRef, BackupSchedule, KeyAge, OpenBreakGlass};
use super::*;
use crate::audit::incidents::{Audience, IncidentScope};
use hippo_core::{Role, UserId};

const DAY: Duration = Duration::from_secs(86_400);

fn now() -> Timestamp {
    Timestamp::from_millis(1_900_000_000_000)
}

fn deployment() -> Deployment {
    Deployment {
        tls: TlsMode::Configured,
        tls_versions: vec!["TLS 1.3", "TLS 1.2"],
        client_certificates: false,
        backups: Some(BackupSchedule {
            interval: DAY,
            keep: 7,
            drill_interval: Some(7 * DAY),
        }),
    }
}

fn config() -> ServiceConfig {
    ServiceConfig {
        deployment: Some(deployment()),
        ..ServiceConfig::default()
    }
}

fn ran(ago: Duration, succeeded: bool) -> Option<LastRun> {
    let at = now().minus(ago);
    Some(LastRun {
        at,
        succeeded,
        last_success: succeeded.then_some(at),
    })
}

/// An installation with nothing to act on.
fn clean() -> Evidence {
    Evidence {
        accounts_total: 2,
        accounts_active: 2,
        without_mfa: vec![],
        dormant: vec![],
        open_break_glass: vec![],
        last_audit_verification: ran(DAY, true),
        last_backup: ran(DAY / 2, true),
        last_restore_drill: ran(3 * DAY, true),
        master_key: Some(KeyAge {
            key_id: None,
            since: now().minus(30 * DAY),
        }),
        signing_key: Some(KeyAge {
            key_id: Some("k".into()),
            since: now().minus(30 * DAY),
        }),
        open_alerts: vec![],
        open_incidents: vec![],
        daily: vec![],
    }
}

fn ids(config: &ServiceConfig, e: &Evidence) -> Vec<&'static str> {
    findings(config, e, now()).iter().map(|f| f.id).collect()
}

fn account(name: &str) -> AccountRef {
    AccountRef {
        id: UserId::generate(),
        username: name.into(),
        display_name: name.into(),
        role: Role::Clinician,
        last_activity: None,
    }
}

#[test]
fn a_clean_installation_has_no_findings_and_every_safeguard_is_met() {
    assert_eq!(ids(&config(), &clean()), Vec::<&str>::new());
    let safeguards = safeguards(&config(), true);
    let unmet: Vec<_> = safeguards.iter().filter(|s| !s.ok).collect();
    assert!(unmet.is_empty(), "{unmet:?}");
    let tls = safeguards
        .iter()
        .find(|s| s.id == "transmission_security")
        .unwrap();
    assert_eq!(tls.setting, "TLS 1.3, TLS 1.2 (configured certificate)");
}

#[test]
fn each_condition_is_a_finding_most_severe_first() {
    let mut e = clean();
    e.without_mfa = vec![account("ana")];
    e.dormant = vec![account("ben")];
    e.open_break_glass = vec![OpenBreakGlass {
        id: "g".into(),
        user: None,
        conversation_id: "c".into(),
        opened_at: now().minus(DAY),
    }];
    e.last_audit_verification = ran(DAY, false);
    e.last_restore_drill = None;
    e.master_key = Some(KeyAge {
        key_id: None,
        since: now().minus(400 * DAY),
    });
    let got = findings(&config(), &e, now());
    let ids: Vec<_> = got.iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        [
            "audit_verification_failed",
            "accounts_without_mfa",
            "break_glass_unreviewed",
            "dormant_accounts",
            "restore_drill_missing",
            "master_key_old",
        ]
    );
    let mfa = &got[1];
    assert_eq!(mfa.severity, Severity::High);
    assert_eq!(mfa.detail, "ana");
    assert_eq!(mfa.hipaa, "164.312(d)");
}

#[test]
fn stale_jobs_are_judged_against_their_schedule() {
    let mut e = clean();
    // Daily backups: two days without one is stale; drills weekly: 15
    // days is stale.
    e.last_backup = ran(2 * DAY + Duration::from_secs(60), true);
    e.last_restore_drill = ran(15 * DAY, true);
    e.last_audit_verification = ran(8 * DAY, true);
    assert_eq!(
        ids(&config(), &e),
        [
            "backup_stale",
            "audit_verification_stale",
            "restore_drill_stale"
        ]
    );
    // Without a drill schedule the limit is 30 days.
    let mut by_hand = config();
    by_hand.deployment.as_mut().unwrap().backups = Some(BackupSchedule {
        interval: DAY,
        keep: 7,
        drill_interval: None,
    });
    e.last_backup = ran(DAY, true);
    e.last_audit_verification = ran(DAY, true);
    assert_eq!(ids(&by_hand, &e), Vec::<&str>::new());
    e.last_restore_drill = ran(31 * DAY, true);
    assert_eq!(ids(&by_hand, &e), ["restore_drill_stale"]);
}

#[test]
fn settings_below_the_recommendation_are_findings() {
    let mut config = config();
    config.require_mfa = false;
    config.session_idle_timeout = Duration::from_secs(3600);
    let d = config.deployment.as_mut().unwrap();
    d.tls = TlsMode::Off;
    d.backups = None;
    let mut e = clean();
    e.signing_key = None;
    assert_eq!(
        ids(&config, &e),
        [
            "backups_not_scheduled",
            "mfa_not_required",
            "tls_off",
            "audit_unsigned",
            "idle_timeout_long",
        ]
    );
    let unmet: Vec<_> = safeguards(&config, false)
        .into_iter()
        .filter(|s| !s.ok)
        .map(|s| s.id)
        .collect();
    assert_eq!(
        unmet,
        [
            "mfa",
            "automatic_logoff",
            "transmission_security",
            "audit_controls",
            "backups",
            "restore_drills"
        ]
    );
}

#[test]
fn long_lists_name_twenty_accounts_and_count_the_rest() {
    let mut e = clean();
    e.without_mfa = (0..25).map(|i| account(&format!("user{i:02}"))).collect();
    let got = findings(&config(), &e, now());
    assert_eq!(got[0].title, "25 active accounts without MFA");
    assert!(
        got[0].detail.ends_with("user19, and 5 more"),
        "{}",
        got[0].detail
    );
}

/// An open incident discovered `ago` before now, with `affected` patients
/// and the notices recorded in `notified`.
fn incident(ago: Duration, affected: usize, notified: &[Audience]) -> Incident {
    let discovered_at = now().minus(ago);
    let by_state = std::collections::BTreeMap::from([("CA".to_owned(), affected as u64)]);
    Incident {
        id: "inc-1".into(),
        summary: "a lost laptop".into(),
        discovered_at,
        created_at: discovered_at,
        created_by: UserId::generate(),
        scope: IncidentScope {
            actor_id: Some("u".into()),
            session_id: None,
            ip: None,
            since: String::new(),
            until: String::new(),
        },
        affected_patients: (0..affected).map(|i| format!("p{i}")).collect(),
        obligations: crate::audit::incidents::obligations(discovered_at, 0, affected, &by_state)
            .into_iter()
            .map(|(audience, due)| Obligation {
                audience,
                due,
                notified_at: notified.contains(&audience).then_some(discovered_at),
            })
            .collect(),
        by_state,
        notified: std::collections::BTreeMap::new(),
        closed_at: None,
        closed_by: None,
        outcome: None,
        close_note: None,
        version: 1,
    }
}

#[test]
fn breach_notices_are_due_then_overdue_and_gone_once_recorded() {
    let mut e = clean();
    e.open_incidents = vec![incident(10 * DAY, 600, &[])];
    // 600 in one state: individuals, HHS and the media, all within 60 days.
    let got = findings(&config(), &e, now());
    assert_eq!(got[0].id, "breach_notice_due");
    assert_eq!(got[0].title, "3 breach notices to send");
    assert!(
        got[0].detail.contains("media notice (164.406)"),
        "{}",
        got[0].detail
    );

    e.open_incidents = vec![incident(61 * DAY, 600, &[Audience::Individuals])];
    let got = findings(&config(), &e, now());
    assert_eq!(got[0].id, "breach_notice_overdue");
    assert_eq!(got[0].severity, Severity::Critical);
    assert_eq!(got[0].title, "2 breach notices are past their deadline");

    e.open_incidents = vec![incident(
        61 * DAY,
        600,
        &[Audience::Individuals, Audience::Hhs, Audience::Media],
    )];
    assert!(ids(&config(), &e).is_empty());
}
