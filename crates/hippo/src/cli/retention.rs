//! `hippo retention run`: applies retention policies now (the server does
//! it every hour), printing what was disposed of.

use crate::settings::Config;
use anyhow::{Result, anyhow};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Purge messages and files past their retention (legal holds respected).
    Run,
}

pub async fn run(config: Config, cmd: RetentionCommand) -> Result<()> {
    let RetentionCommand::Run = cmd;
    let app = crate::app::open_existing(&config).await?;
    let report = app
        .hippo
        .governance()
        .run_retention(hippo_service::Principal::Operator)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    app.store.close().await;
    println!(
        "retention: {} messages and {} files purged from {} conversations; {} conversations on legal hold skipped; {} unshared uploads removed",
        report.messages, report.files, report.conversations, report.held, report.unshared_files
    );
    Ok(())
}
