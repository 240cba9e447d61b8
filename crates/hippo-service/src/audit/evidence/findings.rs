//! The evidence report's judgement: each safeguard's setting in words,
//! and the findings (what an officer must act on) from the settings and
//! the evidence. Pure functions of their inputs, so every rule has a unit
//! test and the report's readers cannot disagree.

use super::{Deployment, Evidence, LastRun, Safeguard, TlsMode};
use crate::ServiceConfig;
use crate::audit::incidents::{Incident, Obligation};
use hippo_core::Timestamp;
use hippo_core::units::format_duration;
use std::time::Duration;

/// A trail not verified for this long is a finding.
pub const AUDIT_VERIFY_MAX_AGE: Duration = Duration::from_secs(7 * 86_400);
/// Without a drill schedule, a restore not drilled for this long is a
/// finding (with one, twice its interval).
pub const DRILL_MAX_AGE: Duration = Duration::from_secs(30 * 86_400);
/// Without a backup schedule, the last backup may be this old.
pub const BACKUP_MAX_AGE: Duration = Duration::from_secs(7 * 86_400);
/// Keys in use longer than this are due for rotation.
pub const KEY_MAX_AGE: Duration = Duration::from_secs(365 * 86_400);
/// An idle timeout longer than this leaves unattended screens open.
pub const LONG_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Accounts a finding names before "and N more".
const NAMED: usize = 20;

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// Something to act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable: the same condition has the same id in every report.
    pub id: &'static str,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub hipaa: &'static str,
}

fn finding(
    id: &'static str,
    severity: Severity,
    hipaa: &'static str,
    title: impl Into<String>,
    detail: impl Into<String>,
) -> Finding {
    Finding {
        id,
        severity,
        title: title.into(),
        detail: detail.into(),
        hipaa,
    }
}

fn tls_words(d: &Deployment) -> String {
    let mode = match d.tls {
        TlsMode::Configured => "configured certificate",
        TlsMode::SelfSigned => "self-signed certificate",
        TlsMode::Off => return "off: plain HTTP (--insecure-http)".into(),
    };
    format!("{} ({mode})", d.tls_versions.join(", "))
}

/// Each safeguard and its setting.
pub(super) fn safeguards(config: &ServiceConfig, signing_key: bool) -> Vec<Safeguard> {
    let d = config.deployment.as_ref();
    let unstated = || "not stated by this process".to_owned();
    let safeguard = |id, title, hipaa, setting: String, ok: bool| Safeguard {
        id,
        title,
        hipaa,
        setting,
        ok,
    };
    vec![
        safeguard(
            "mfa",
            "Multi-factor authentication",
            "164.312(d)",
            if config.require_mfa {
                "required for every account".into()
            } else {
                "optional".into()
            },
            config.require_mfa,
        ),
        safeguard(
            "automatic_logoff",
            "Automatic logoff",
            "164.312(a)(2)(iii)",
            format!(
                "after {} idle; every session ends after {}",
                format_duration(config.session_idle_timeout),
                format_duration(config.session_max_lifetime)
            ),
            config.session_idle_timeout <= LONG_IDLE_TIMEOUT,
        ),
        safeguard(
            "login_lockout",
            "Log-in monitoring and lockout",
            "164.308(a)(5)(ii)(C)",
            format!(
                "an account locks for {} after {} failed sign-ins",
                format_duration(config.login_lockout),
                config.login_max_failures
            ),
            config.login_max_failures > 0,
        ),
        safeguard(
            "access_termination",
            "Termination of unused access",
            "164.308(a)(3)(ii)(C)",
            config.deactivate_after.map_or_else(
                || "dormant accounts listed in this report; none deactivated automatically".into(),
                |after| {
                    format!(
                        "accounts unused for {} are deactivated",
                        format_duration(after)
                    )
                },
            ),
            true,
        ),
        safeguard(
            "transmission_security",
            "Transmission security",
            "164.312(e)(1)",
            d.map_or_else(unstated, tls_words),
            d.is_some_and(|d| d.tls == TlsMode::Configured),
        ),
        safeguard(
            "client_certificates",
            "Device certificates",
            "164.312(d)",
            d.map_or_else(unstated, |d| {
                if d.client_certificates {
                    "required: clients present a certificate from the configured CA".into()
                } else {
                    "not required".into()
                }
            }),
            true,
        ),
        safeguard(
            "encryption_at_rest",
            "Encryption at rest",
            "164.312(a)(2)(iv)",
            "AES-256-GCM envelope encryption of messages, files and names; data keys \
             wrapped by the master key"
                .into(),
            true,
        ),
        safeguard(
            "audit_controls",
            "Audit controls and integrity",
            "164.312(b), 164.312(c)(1)",
            if signing_key {
                "hash-chained trail in a Merkle tree with signed tree heads".into()
            } else {
                "hash-chained trail; no signing key, so checkpoints are unsigned".into()
            },
            signing_key,
        ),
        safeguard(
            "emergency_access",
            "Emergency access",
            "164.312(a)(2)(ii)",
            format!(
                "break-glass for {}, each opening alerted and queued for an auditor's review",
                format_duration(config.break_glass_duration)
            ),
            true,
        ),
        safeguard(
            "retention",
            "Retention",
            "164.316(b)(2)(i)",
            config.retention.map_or_else(
                || "messages kept until erased".into(),
                |r| format!("messages purged after {}", format_duration(r)),
            ),
            true,
        ),
        safeguard(
            "backups",
            "Data backup",
            "164.308(a)(7)(ii)(A)",
            match d.map(|d| d.backups) {
                None => unstated(),
                Some(None) => "not scheduled".into(),
                Some(Some(b)) => format!(
                    "every {}, the newest {} kept, encrypted",
                    format_duration(b.interval),
                    b.keep
                ),
            },
            d.is_some_and(|d| d.backups.is_some()),
        ),
        safeguard(
            "restore_drills",
            "Testing of restores",
            "164.308(a)(7)(ii)(D)",
            match d.and_then(|d| d.backups).and_then(|b| b.drill_interval) {
                Some(every) => format!("a restore drill every {}", format_duration(every)),
                None => "by hand (`hippo backup drill`)".into(),
            },
            d.and_then(|d| d.backups)
                .is_some_and(|b| b.drill_interval.is_some()),
        ),
    ]
}

fn names(accounts: &[super::AccountRef]) -> String {
    let mut listed: Vec<&str> = accounts
        .iter()
        .take(NAMED)
        .map(|a| a.username.as_str())
        .collect();
    let more = accounts.len().saturating_sub(NAMED);
    let more = (more > 0).then(|| format!("and {more} more"));
    listed.extend(more.as_deref());
    listed.join(", ")
}

fn ago(now: Timestamp, at: Timestamp) -> String {
    let days = now.since(at).as_secs() / 86_400;
    match days {
        0 => "today".into(),
        1 => "1 day ago".into(),
        n => format!("{n} days ago"),
    }
}

/// The findings of one recorded job (backup, drill, verification): the
/// ids and severities of "never ran", "failed last" and "too long since
/// it worked", in that order.
struct JobRule {
    ids: [&'static str; 3],
    severities: [Severity; 3],
    hipaa: &'static str,
    /// The job in words.
    what: &'static str,
}

fn job_findings(
    out: &mut Vec<Finding>,
    rule: &JobRule,
    last: Option<LastRun>,
    max_age: Duration,
    now: Timestamp,
) {
    let [never, failed, stale] = rule.ids;
    let [never_sev, failed_sev, stale_sev] = rule.severities;
    let (hipaa, what) = (rule.hipaa, rule.what);
    match last {
        None => out.push(finding(
            never,
            never_sev,
            hipaa,
            format!("No {what} on record"),
            format!("The audit trail holds no {what}."),
        )),
        Some(run) if !run.succeeded => out.push(finding(
            failed,
            failed_sev,
            hipaa,
            format!("The last {what} failed"),
            format!(
                "It failed {}; the last that succeeded: {}. The trail's record says why.",
                ago(now, run.at),
                run.last_success.map_or("never".into(), |t| ago(now, t))
            ),
        )),
        Some(run) if run.at < now.minus(max_age) => out.push(finding(
            stale,
            stale_sev,
            hipaa,
            format!("No {what} for {}", format_duration(max_age)),
            format!("The last succeeded {}.", ago(now, run.at)),
        )),
        Some(_) => {}
    }
}

/// Everything to act on, most severe first.
pub(super) fn findings(config: &ServiceConfig, e: &Evidence, now: Timestamp) -> Vec<Finding> {
    use Severity::{Critical, High, Low, Medium};
    let mut out = Vec::new();
    let d = config.deployment.as_ref();
    match d.map(|d| d.tls) {
        Some(TlsMode::Off) => out.push(finding(
            "tls_off",
            High,
            "164.312(e)(1)",
            "hippo serves plain HTTP",
            "Started with --insecure-http: only a TLS-terminating proxy in front of it \
             protects data in transit. Configure tls_cert and tls_key, or confirm the proxy.",
        )),
        Some(TlsMode::SelfSigned) => out.push(finding(
            "tls_self_signed",
            Medium,
            "164.312(e)(1)",
            "hippo uses a self-signed certificate",
            "Clients cannot verify whom they talk to. Configure tls_cert and tls_key.",
        )),
        _ => {}
    }
    if !config.require_mfa {
        out.push(finding(
            "mfa_not_required",
            High,
            "164.312(d)",
            "Multi-factor authentication is optional",
            "Set require_mfa = true so every account enrols an authenticator.",
        ));
    }
    if !e.without_mfa.is_empty() {
        out.push(finding(
            "accounts_without_mfa",
            High,
            "164.312(d)",
            format!("{} active accounts without MFA", e.without_mfa.len()),
            names(&e.without_mfa),
        ));
    }
    if !e.dormant.is_empty() {
        out.push(finding(
            "dormant_accounts",
            Medium,
            "164.308(a)(3)(ii)(C)",
            format!("{} active accounts unused for 90 days", e.dormant.len()),
            format!(
                "{}. Deactivate those no longer needed (or set deactivate_after).",
                names(&e.dormant)
            ),
        ));
    }
    if !e.open_break_glass.is_empty() {
        let oldest = e.open_break_glass.iter().map(|g| g.opened_at).min();
        out.push(finding(
            "break_glass_unreviewed",
            High,
            "164.312(a)(2)(ii), 164.308(a)(1)(ii)(D)",
            format!(
                "{} emergency accesses not reviewed",
                e.open_break_glass.len()
            ),
            format!(
                "The oldest was opened {}. Review them in the break-glass queue.",
                oldest.map_or_else(String::new, |t| ago(now, t))
            ),
        ));
    }
    job_findings(
        &mut out,
        &JobRule {
            ids: [
                "audit_never_verified",
                "audit_verification_failed",
                "audit_verification_stale",
            ],
            severities: [Medium, Critical, Medium],
            hipaa: "164.312(b), 164.312(c)(1)",
            what: "audit verification",
        },
        e.last_audit_verification,
        AUDIT_VERIFY_MAX_AGE,
        now,
    );
    let schedule = d.and_then(|d| d.backups);
    if d.is_some() && schedule.is_none() {
        out.push(finding(
            "backups_not_scheduled",
            High,
            "164.308(a)(7)(ii)(A)",
            "Backups are not scheduled",
            "Set backup_dir so serve writes encrypted backups on a schedule.",
        ));
    }
    job_findings(
        &mut out,
        &JobRule {
            ids: ["backup_missing", "backup_failed", "backup_stale"],
            severities: [High, High, High],
            hipaa: "164.308(a)(7)(ii)(A)",
            what: "backup",
        },
        e.last_backup,
        schedule.map_or(BACKUP_MAX_AGE, |b| b.interval * 2),
        now,
    );
    job_findings(
        &mut out,
        &JobRule {
            ids: [
                "restore_drill_missing",
                "restore_drill_failed",
                "restore_drill_stale",
            ],
            severities: [Medium, High, Medium],
            hipaa: "164.308(a)(7)(ii)(D)",
            what: "restore drill",
        },
        e.last_restore_drill,
        schedule
            .and_then(|b| b.drill_interval)
            .map_or(DRILL_MAX_AGE, |every| every * 2),
        now,
    );
    for (id, what, key) in [
        ("master_key_old", "master key", &e.master_key),
        ("signing_key_old", "audit signing key", &e.signing_key),
    ] {
        if let Some(k) = key.as_ref().filter(|k| k.since < now.minus(KEY_MAX_AGE)) {
            out.push(finding(
                id,
                Low,
                "164.312(a)(2)(iv)",
                format!("The {what} is over a year old"),
                format!(
                    "In use since {} ({}). Rotate it with `hippo keys rotate`.",
                    k.since.to_rfc3339(),
                    ago(now, k.since)
                ),
            ));
        }
    }
    if e.signing_key.is_none() {
        out.push(finding(
            "audit_unsigned",
            Medium,
            "164.312(c)(2)",
            "The audit trail is not signed",
            "No audit signing key is loaded, so no tree head or checkpoint is signed.",
        ));
    }
    if config.session_idle_timeout > LONG_IDLE_TIMEOUT {
        out.push(finding(
            "idle_timeout_long",
            Medium,
            "164.312(a)(2)(iii)",
            "Sessions stay open long when idle",
            format!(
                "session_idle_timeout is {}; 15m is usual for shared workstations.",
                format_duration(config.session_idle_timeout)
            ),
        ));
    }
    if !e.open_alerts.is_empty() {
        let critical = e.open_alerts.iter().any(|a| a.severity == "critical");
        let mut kinds: Vec<(&str, usize)> = Vec::new();
        for a in &e.open_alerts {
            match kinds.iter_mut().find(|(k, _)| *k == a.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((&a.kind, 1)),
            }
        }
        out.push(finding(
            "security_alerts",
            if critical { High } else { Medium },
            "164.308(a)(6)(ii)",
            format!("{} security alerts not reviewed", e.open_alerts.len()),
            kinds
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    incident_findings(&mut out, &e.open_incidents, now);
    out.sort_by_key(|f| (f.severity, f.id));
    out
}

/// Breach notices past their deadline, and those still to send.
fn incident_findings(out: &mut Vec<Finding>, open: &[Incident], now: Timestamp) {
    let owed: Vec<(&Incident, &Obligation)> = open
        .iter()
        .flat_map(|i| i.pending().map(move |o| (i, o)))
        .collect();
    let describe = |list: &[&(&Incident, &Obligation)]| {
        list.iter()
            .map(|(i, o)| {
                format!(
                    "incident {} ({} affected): {} notice ({}) due {}",
                    i.id,
                    i.affected_patients.len(),
                    o.audience.as_str(),
                    o.audience.hipaa(),
                    o.due.to_rfc3339()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (late, due): (Vec<_>, Vec<_>) = owed.iter().partition(|(_, o)| o.overdue(now));
    if !late.is_empty() {
        out.push(finding(
            "breach_notice_overdue",
            Severity::Critical,
            "164.404(b), 164.406, 164.408",
            format!("{} breach notices are past their deadline", late.len()),
            format!(
                "{}. Send them now and record each on the incident.",
                describe(&late)
            ),
        ));
    }
    if !due.is_empty() {
        out.push(finding(
            "breach_notice_due",
            Severity::High,
            "164.404(b), 164.406, 164.408",
            format!("{} breach notices to send", due.len()),
            format!(
                "{}. Record each as it goes out, or close the incident with its risk assessment.",
                describe(&due)
            ),
        ));
    }
}

#[cfg(test)]
#[path = "findings_tests.rs"]
mod tests;
