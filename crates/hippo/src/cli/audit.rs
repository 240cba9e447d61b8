//! `hippo audit verify|export|checkpoint`: examining the audit trail from
//! the shell, through the same use cases as the API (recorded with
//! `via: cli`).

use crate::settings::Config;
use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use hippo_service::Principal;
use hippo_service::audit::ExportFormat;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole chain and the signed checkpoints; exit 1 and name
    /// the first bad sequence number if anything was changed, removed,
    /// inserted, reordered or cut off.
    Verify,
    /// Write records to standard output.
    Export {
        /// jsonl, csv or fhir (a FHIR R4 Bundle of AuditEvent).
        #[arg(long)]
        format: String,
        /// Records at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Records before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
    },
    /// Sign a checkpoint of the trail as it is now (serve also does this
    /// every few minutes and at shutdown).
    Checkpoint,
}

pub async fn run(config: Config, cmd: AuditCommand) -> Result<ExitCode> {
    let app = crate::app::open(&config).await?;
    let hippo = &app.hippo;
    let result = match cmd {
        AuditCommand::Verify => {
            let report = hippo
                .audit()
                .verify(Principal::Operator)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            if report.ok {
                println!(
                    "audit trail intact: {} records, {} signed checkpoints verified",
                    report.checked, report.checkpoints_verified
                );
                Ok(ExitCode::SUCCESS)
            } else {
                println!(
                    "audit trail DAMAGED at record {}: {}",
                    report.first_bad_seq.unwrap_or_default(),
                    report.reason.as_deref().unwrap_or("unknown")
                );
                println!("first_bad_seq={}", report.first_bad_seq.unwrap_or_default());
                Ok(ExitCode::FAILURE)
            }
        }
        AuditCommand::Export {
            format,
            since,
            until,
        } => {
            let format = ExportFormat::parse(&format)
                .ok_or_else(|| anyhow!("--format must be jsonl, csv or fhir"))?;
            let mut export = hippo
                .audit()
                .export(
                    Principal::Operator,
                    format,
                    since.as_deref(),
                    until.as_deref(),
                )
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            while let Some(chunk) = export.next_chunk().await.map_err(|e| anyhow!("{e}"))? {
                out.write_all(chunk.as_bytes())
                    .context("cannot write to standard output")?;
            }
            out.flush().context("cannot write to standard output")?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Checkpoint => {
            match hippo
                .audit()
                .write_checkpoint()
                .await
                .map_err(|e| anyhow!("{e}"))?
            {
                Some(c) => println!("checkpoint signed at record {} ({})", c.seq, c.head_hash),
                None => println!("the latest checkpoint already covers the trail"),
            }
            Ok(ExitCode::SUCCESS)
        }
    };
    app.store.close().await;
    result
}
