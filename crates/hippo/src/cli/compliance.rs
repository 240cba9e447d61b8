//! `hippo compliance report [--format json|html]`: the compliance evidence
//! report from the shell, the same document as `GET
//! /api/v1/compliance/report` (built by the same code in `hippo-http`),
//! recorded in the trail with `via: cli`.

use crate::settings::Config;
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use hippo_http::routes::evidence::EvidenceReportResponse;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum ComplianceCommand {
    /// Write the evidence report to standard output: each safeguard and
    /// its setting, the findings to act on, and the evidence behind them.
    Report {
        /// json (the default) or html (a printable page with charts of the
        /// last 30 days).
        #[arg(long, default_value = "json")]
        format: String,
    },
}

pub async fn run(config: Config, cmd: ComplianceCommand) -> Result<()> {
    let ComplianceCommand::Report { format } = cmd;
    let html = match format.as_str() {
        "json" => false,
        "html" => true,
        other => bail!("--format must be json or html, not `{other}`"),
    };
    let app = crate::app::open_existing(&config).await?;
    let report = app
        .hippo
        .audit()
        .evidence_report(hippo_service::Principal::Operator)
        .await
        .map_err(|e| anyhow!("{e}"));
    app.store.close().await;
    let body = EvidenceReportResponse::from(&report?);
    let text = if html {
        hippo_http::routes::evidence_html::render(&body)
    } else {
        let mut json = serde_json::to_string_pretty(&body)?;
        json.push('\n');
        json
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
