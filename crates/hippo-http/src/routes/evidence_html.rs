//! The evidence report as a printable HTML page: the same content as the
//! JSON document (it is rendered from it), with bar charts of the last 30
//! days drawn as inline SVG. No script, no external resource: the page
//! carries its own Content-Security-Policy allowing exactly its one style
//! block ([`content_security_policy`]). Hand-written rather than a template
//! engine: one page, escaped in one place ([`esc`]).

use super::evidence::{
    DayCountsResponse, EvidenceAccountResponse, EvidenceReportResponse, JobRunResponse,
    KeyAgeResponse,
};
use base64::Engine as _;
use hippo_core::Timestamp;
use std::fmt::Write as _;
use std::sync::LazyLock;

const STYLE: &str = "\
body{font:14px/1.45 system-ui,sans-serif;color:#1b1f24;margin:2rem auto;max-width:60rem;padding:0 1rem}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #e3e6ea}\
th{background:#f3f5f7}.sev{font-weight:600;text-transform:uppercase;font-size:.8rem}\
.critical{color:#8b0000}.high{color:#b3261e}.medium{color:#8a5a00}.low{color:#35607a}\
.ok{color:#1e6b3a}.review{color:#b3261e;font-weight:600}.muted{color:#5b6470}\
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;flex:1 1 18rem}figcaption{font-weight:600;margin-bottom:.3rem}\
svg .bar{fill:#3b6ea8}svg .axis{stroke:#8a94a0;stroke-width:1}svg text{font-size:10px;fill:#5b6470}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,figure{break-inside:avoid}}";

/// The page's Content-Security-Policy: nothing but its own style block.
pub fn content_security_policy() -> &'static str {
    static CSP: LazyLock<String> = LazyLock::new(|| style_only_csp(STYLE));
    &CSP
}

/// A policy for a page with one `<style>` block and nothing else: the
/// block allowed by its hash.
pub(crate) fn style_only_csp(style: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, style.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    )
}

/// A page of ours as an answer: HTML with its own policy `csp`.
pub(crate) fn html_response(csp: &'static str, page: String) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
            ),
        ],
        page,
    )
        .into_response()
}

/// The last day (UTC, `YYYY-MM-DD`) before a deadline: one due at
/// midnight is due by the end of the day before.
fn last_day_before(rfc3339: &str) -> String {
    Timestamp::parse_rfc3339(rfc3339).map_or_else(
        || rfc3339.to_owned(),
        |t| {
            Timestamp::from_millis(t.as_millis() - 1)
                .to_rfc3339()
                .chars()
                .take(10)
                .collect()
        },
    )
}

/// Escapes text for HTML element content and quoted attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar chart of a daily series.
fn chart(
    out: &mut String,
    id: &str,
    caption: &str,
    days: &[DayCountsResponse],
    value: fn(&DayCountsResponse) -> i64,
) {
    const W: usize = 600;
    const H: usize = 150;
    const TOP: usize = 14;
    const BOTTOM: usize = 20;
    let max = days.iter().map(value).max().unwrap_or(0).max(1);
    let total: i64 = days.iter().map(value).sum();
    let slot = W as f64 / days.len().max(1) as f64;
    let plot = (H - TOP - BOTTOM) as f64;
    let _ = write!(
        out,
        "<figure><figcaption id=\"{id}-caption\">{} <span class=\"muted\">({total} in {} days)</span></figcaption>\
         <svg data-chart=\"{id}\" role=\"img\" aria-labelledby=\"{id}-caption\" viewBox=\"0 0 {W} {H}\" width=\"100%\">",
        esc(caption),
        days.len()
    );
    for (i, d) in days.iter().enumerate() {
        let v = value(d);
        let h = plot * v as f64 / max as f64;
        let _ = write!(
            out,
            "<rect class=\"bar\" data-date=\"{}\" data-value=\"{v}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}: {v}</title></rect>",
            esc(&d.date),
            i as f64 * slot + 1.0,
            TOP as f64 + plot - h,
            (slot - 2.0).max(1.0),
            esc(&d.date),
        );
    }
    let base = H - BOTTOM;
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"0\" y1=\"{base}\" x2=\"{W}\" y2=\"{base}\"/>\
         <text x=\"0\" y=\"10\">max {max}</text>"
    );
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\">{}</text><text x=\"{W}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            H - 4,
            esc(&first.date),
            H - 4,
            esc(&last.date)
        );
    }
    out.push_str("</svg></figure>");
}

fn accounts(out: &mut String, title: &str, list: &[EvidenceAccountResponse]) {
    let _ = write!(out, "<h3>{} ({})</h3>", esc(title), list.len());
    if list.is_empty() {
        out.push_str("<p class=\"muted\">None.</p>");
        return;
    }
    out.push_str(
        "<table><tr><th>Account</th><th>Name</th><th>Role</th><th>Last activity</th></tr>",
    );
    for a in list {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.username),
            esc(&a.display_name),
            esc(&a.role),
            esc(a.last_activity_at.as_deref().unwrap_or("never"))
        );
    }
    out.push_str("</table>");
}

fn job(r: Option<&JobRunResponse>) -> String {
    match r {
        None => "<span class=\"review\">none on record</span>".into(),
        Some(r) => format!(
            "{} at {}{}",
            if r.outcome == "success" {
                "<span class=\"ok\">succeeded</span>"
            } else {
                "<span class=\"review\">failed</span>"
            },
            esc(&r.at),
            match (&r.last_success_at, r.outcome.as_str()) {
                (_, "success") => String::new(),
                (Some(t), _) => format!(" (last success {})", esc(t)),
                (None, _) => " (never succeeded)".into(),
            }
        ),
    }
}

fn key(k: Option<&KeyAgeResponse>) -> String {
    match k {
        None => "<span class=\"review\">none</span>".into(),
        Some(k) => format!(
            "in use since {} ({} days){}",
            esc(&k.since),
            k.age_days,
            k.key_id.as_deref().map_or(String::new(), |id| format!(
                ", key id <code>{}</code>",
                esc(id)
            ))
        ),
    }
}

/// The whole page.
pub fn render(r: &EvidenceReportResponse) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let e = &r.evidence;
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>hippo compliance evidence report</title><style>{STYLE}</style></head><body>\
         <h1>Compliance evidence report</h1><p class=\"muted\">Generated {} by hippo {}. \
         Sections refer to the HIPAA Security Rule, 45 CFR Part 164.</p>",
        esc(&r.generated_at),
        env!("CARGO_PKG_VERSION")
    );

    let _ = write!(
        out,
        "<h2 id=\"findings\">Findings ({})</h2>",
        r.findings.len()
    );
    if r.findings.is_empty() {
        out.push_str("<p class=\"ok\">Nothing to act on.</p>");
    } else {
        out.push_str(
            "<table><tr><th>Severity</th><th>Finding</th><th>Detail</th><th>HIPAA</th></tr>",
        );
        for f in &r.findings {
            let _ = write!(
                out,
                "<tr data-finding=\"{}\"><td class=\"sev {}\">{}</td><td>{}</td><td>{}</td><td>§{}</td></tr>",
                esc(&f.id),
                esc(&f.severity),
                esc(&f.severity),
                esc(&f.title),
                esc(&f.detail),
                esc(&f.hipaa)
            );
        }
        out.push_str("</table>");
    }

    out.push_str("<h2 id=\"safeguards\">Safeguards</h2><table><tr><th>Safeguard</th><th>Setting</th><th>HIPAA</th><th>Status</th></tr>");
    for s in &r.safeguards {
        let _ = write!(
            out,
            "<tr data-safeguard=\"{}\"><td>{}</td><td>{}</td><td>§{}</td><td>{}</td></tr>",
            esc(&s.id),
            esc(&s.title),
            esc(&s.setting),
            esc(&s.hipaa),
            if s.ok {
                "<span class=\"ok\">meets</span>"
            } else {
                "<span class=\"review\">review</span>"
            }
        );
    }
    out.push_str("</table>");

    out.push_str("<h2 id=\"activity\">The last 30 days</h2><div class=\"charts\">");
    chart(&mut out, "sign_ins", "Sign-ins", &e.daily, |d| d.sign_ins);
    chart(&mut out, "denied", "Denied accesses", &e.daily, |d| {
        d.denied
    });
    chart(
        &mut out,
        "break_glass",
        "Break-glass openings",
        &e.daily,
        |d| d.break_glass,
    );
    out.push_str("</div>");

    out.push_str("<h2 id=\"evidence\">Evidence</h2><table>");
    for (what, value) in [
        (
            "Accounts",
            format!("{} active of {}", e.accounts.active, e.accounts.total),
        ),
        (
            "Last audit verification",
            job(e.last_audit_verification.as_ref()),
        ),
        ("Last backup", job(e.last_backup.as_ref())),
        ("Last restore drill", job(e.last_restore_drill.as_ref())),
        ("Master key", key(e.master_key.as_ref())),
        ("Audit signing key", key(e.signing_key.as_ref())),
    ] {
        let _ = write!(out, "<tr><th>{what}</th><td>{value}</td></tr>");
    }
    out.push_str("</table>");
    accounts(
        &mut out,
        "Active accounts without MFA",
        &e.accounts_without_mfa,
    );
    accounts(
        &mut out,
        "Active accounts unused for 90 days",
        &e.dormant_accounts,
    );

    let _ = write!(
        out,
        "<h3>Break-glass awaiting review ({})</h3>",
        e.open_break_glass.len()
    );
    if e.open_break_glass.is_empty() {
        out.push_str("<p class=\"muted\">None.</p>");
    } else {
        out.push_str("<table><tr><th>Opened</th><th>By</th><th>Conversation</th></tr>");
        for g in &e.open_break_glass {
            let by = g.user.as_ref().map_or("(account removed)".to_owned(), |u| {
                format!("{} ({})", u.display_name, u.username)
            });
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&g.opened_at),
                esc(&by),
                esc(&g.conversation_id)
            );
        }
        out.push_str("</table>");
    }

    let _ = write!(
        out,
        "<h3>Security alerts not reviewed ({})</h3>",
        e.open_alerts.len()
    );
    if e.open_alerts.is_empty() {
        out.push_str("<p class=\"muted\">None.</p>");
    } else {
        out.push_str("<table><tr><th>Raised</th><th>Kind</th><th>Severity</th></tr>");
        for a in &e.open_alerts {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.at),
                esc(&a.kind),
                esc(&a.severity)
            );
        }
        out.push_str("</table>");
    }

    let _ = write!(
        out,
        "<h3>Breach incidents open ({})</h3>",
        e.open_incidents.len()
    );
    if e.open_incidents.is_empty() {
        out.push_str("<p class=\"muted\">None.</p>");
    } else {
        out.push_str("<table><tr><th>Discovered</th><th>Incident</th><th>Affected</th><th>Notices owed</th></tr>");
        for i in &e.open_incidents {
            let owed = if i.pending.is_empty() {
                "none (close it with its outcome)".to_owned()
            } else {
                i.pending
                    .iter()
                    .map(|p| {
                        let late = if p.overdue { ", OVERDUE" } else { "" };
                        format!("{} by {}{late}", p.audience, last_day_before(&p.due_at))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&i.discovered_at),
                esc(&i.id),
                i.affected_count,
                esc(&owed)
            );
        }
        out.push_str("</table>");
    }

    out.push_str("<h3>Daily counts</h3><table><tr><th>Date (UTC)</th><th>Sign-ins</th><th>Denied</th><th>Break-glass</th></tr>");
    for d in &e.daily {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.date),
            d.sign_ins,
            d.denied,
            d.break_glass
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_policy_hashes_the_style() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let csp = content_security_policy();
        assert!(
            csp.starts_with("default-src 'none'; style-src 'sha256-"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"));
    }
}
