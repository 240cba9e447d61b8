//! `hippo audit verify|export|checkpoint|prove|check-proof|public-key`:
//! examining the audit trail from the shell, through the same use cases as
//! the API (recorded with `via: cli`). `check-proof` needs no server, no
//! database and no key file: only the public key (see `proof.rs`).

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
    /// inserted, reordered or cut off. Also rebuilds the Merkle tree from
    /// the records and checks its tiles and every signed tree head.
    Verify {
        /// A witness file (`--audit-witness-file` of serve): every head in
        /// it must still be in the database, unchanged.
        #[arg(long, value_name = "FILE")]
        witness: Option<std::path::PathBuf>,
    },
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
    /// Print record N, its inclusion proof and a signed tree head covering
    /// it as one JSON document (for `check-proof`, or any RFC 9162 tool).
    Prove {
        /// The record's sequence number (`seq` in the trail and exports).
        #[arg(long, value_name = "N")]
        seq: i64,
    },
    /// Verify a proof file offline with only the audit public key: the
    /// head's signature, the record's leaf and its inclusion (or, for a
    /// file with `first`, `second` and `consistency_path`, the consistency
    /// of two heads). Exit 0 if valid, 1 if not.
    CheckProof {
        /// The proof file `audit prove` wrote.
        file: std::path::PathBuf,
        /// Base64 raw Ed25519 public key, or a file holding it (`hippo
        /// audit public-key` prints it).
        #[arg(long, value_name = "KEY")]
        public_key: String,
    },
    /// Print this server's audit public key (base64), for `check-proof`.
    PublicKey,
}

pub async fn run(config: Config, cmd: AuditCommand) -> Result<ExitCode> {
    if let AuditCommand::CheckProof { file, public_key } = &cmd {
        return super::proof::check_file(file, public_key);
    }
    let app = crate::app::open_existing(&config).await?;
    let hippo = &app.hippo;
    let result = match cmd {
        AuditCommand::Verify { witness } => {
            let witnessed = witness.as_deref().map(crate::witness::read).transpose()?;
            let report = hippo
                .audit()
                .verify_witnessed(Principal::Operator, witnessed.as_deref())
                .await
                .map_err(|e| anyhow!("{e}"))?;
            if report.ok {
                println!(
                    "audit trail intact: {} records, {} signed checkpoints verified, \
                     tree of {} records with {} signed tree heads verified",
                    report.checked,
                    report.checkpoints_verified,
                    report.tree_size,
                    report.tree_heads_verified
                );
                if let Some(n) = report.witnessed_heads {
                    println!("{n} witnessed tree heads found unchanged");
                }
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
        AuditCommand::Prove { seq } => {
            let proof = hippo
                .audit()
                .prove(Principal::Operator, seq)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let public_key = hippo.audit().public_key().map(|(k, _)| k);
            let doc = super::proof::document(&proof, public_key.as_deref());
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::PublicKey => {
            use base64::Engine as _;
            let (key, id) = hippo
                .audit()
                .public_key()
                .ok_or_else(|| anyhow!("no audit signing key is loaded"))?;
            println!("{}", base64::engine::general_purpose::STANDARD.encode(key));
            eprintln!("key id {id}");
            Ok(ExitCode::SUCCESS)
        }
        // Answered above, before any database was opened.
        AuditCommand::CheckProof { .. } => Err(anyhow!("check-proof runs without a database")),
    };
    app.store.close().await;
    result
}
