//! `hippo backup create|verify|restore` (see `crate::backup` for the file
//! format). Creating, verifying and restoring are recorded in the trail.

use crate::backup::{self, SectionEvent};
use crate::settings::Config;
use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use hippo_core::{AuditAction, Outcome};
use hippo_crypto::{AuditSigningKey, MasterKey};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Write a consistent, encrypted, signed backup while the server runs.
    Create {
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a backup end to end without restoring it (exit 1 if damaged).
    Verify { file: PathBuf },
    /// Restore into an empty data dir (`--data-dir`); put the source's
    /// master key and audit signing key there first (or name them with
    /// `--master-key-file` / `--audit-signing-key-file`).
    Restore { file: PathBuf },
}

fn keys(config: &Config) -> Result<(MasterKey, AuditSigningKey)> {
    let (master, _) = MasterKey::load_or_create(&config.master_key_file, false)?;
    let (signer, _) = AuditSigningKey::load_or_create(&config.audit_signing_key_file, false)?;
    Ok((master, signer))
}

pub async fn run(config: Config, cmd: BackupCommand) -> Result<()> {
    match cmd {
        BackupCommand::Create { out } => create(&config, &out).await,
        BackupCommand::Verify { file } => verify(&config, &file).await,
        BackupCommand::Restore { file } => restore(&config, &file).await,
    }
}

async fn create(config: &Config, out: &Path) -> Result<()> {
    let app = crate::app::open(config).await?;
    let (master, signer) = keys(config)?;
    let bytes = backup::create(&app, &config.data_dir, &master, &signer, out).await?;
    app.hippo
        .record_cli_action(
            AuditAction::BackupCreate,
            Outcome::Success,
            serde_json::json!({ "bytes": bytes }),
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    app.store.close().await;
    println!(
        "backup written to {} ({bytes} bytes of data)",
        out.display()
    );
    Ok(())
}

async fn verify(config: &Config, file: &Path) -> Result<()> {
    let (master, signer) = keys(config)?;
    let result = backup::read(file, &master, &signer, |_| Ok(()));
    // Recorded where there is a hippo to record it in.
    if config.database_url.is_some() || config.data_dir.join("hippo.db").exists() {
        let app = crate::app::open(config).await?;
        let outcome = if result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        app.hippo
            .record_cli_action(AuditAction::BackupVerify, outcome, serde_json::json!({}))
            .await
            .map_err(|e| anyhow!("{e}"))?;
        app.store.close().await;
    }
    let contents = result?;
    println!(
        "backup intact: {} sections, {} bytes, taken {}",
        contents.sections, contents.bytes, contents.created_at
    );
    Ok(())
}

async fn restore(config: &Config, file: &Path) -> Result<()> {
    if config.database_url.is_some() {
        bail!(
            "hippo backup restore restores SQLite data dirs; restore PostgreSQL with its own tools"
        );
    }
    let dir = &config.data_dir;
    crate::app::prepare_data_dir(dir)?;
    if dir.join("hippo.db").exists()
        || std::fs::read_dir(dir.join("blobs")).is_ok_and(|mut d| d.next().is_some())
    {
        bail!(
            "{} already holds data; restore into an empty data dir",
            dir.display()
        );
    }
    let (master, signer) = keys(config)?;
    let staging = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(dir)
        .context("cannot create a staging directory")?;
    let mut current: Option<std::io::BufWriter<std::fs::File>> = None;
    let contents = backup::read(file, &master, &signer, |event| {
        match event {
            SectionEvent::Start(name) => {
                if let Some(mut f) = current.take() {
                    f.flush()?;
                    f.get_ref().sync_all()?;
                }
                let path = match *name {
                    "db" => staging.path().join("hippo.db"),
                    other => {
                        let blob = other
                            .strip_prefix("blob/")
                            .filter(|b| {
                                b.len() > 2 && b.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-')
                            })
                            .ok_or_else(|| anyhow!("unexpected section {other:?}"))?;
                        let shard = staging.path().join("blobs").join(&blob[blob.len() - 2..]);
                        std::fs::create_dir_all(&shard)?;
                        shard.join(blob)
                    }
                };
                current = Some(std::io::BufWriter::new(std::fs::File::create(path)?));
            }
            SectionEvent::Data(bytes) => {
                current
                    .as_mut()
                    .ok_or_else(|| anyhow!("data outside a section"))?
                    .write_all(bytes)?;
            }
        }
        Ok(())
    })?;
    if let Some(mut f) = current.take() {
        f.flush()?;
        f.get_ref().sync_all()?;
    }
    // Everything checked: move into place.
    std::fs::rename(staging.path().join("hippo.db"), dir.join("hippo.db"))
        .context("cannot move the restored database into place")?;
    if staging.path().join("blobs").exists() {
        let _ = std::fs::remove_dir_all(dir.join("blobs"));
        std::fs::rename(staging.path().join("blobs"), dir.join("blobs"))
            .context("cannot move the restored files into place")?;
    }
    drop(staging);
    let app = crate::app::open(config).await?;
    let report = app
        .hippo
        .verify_audit(hippo_service::audit::Examiner::Cli)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    app.hippo
        .record_cli_action(
            AuditAction::BackupRestore,
            Outcome::Success,
            serde_json::json!({ "bytes": contents.bytes, "taken": contents.created_at }),
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    app.store.close().await;
    if !report.ok {
        bail!(
            "restored, but the audit trail does not verify at record {}: {}",
            report.first_bad_seq.unwrap_or_default(),
            report.reason.unwrap_or_default()
        );
    }
    println!(
        "restored {} sections ({} bytes) taken {} into {}; audit trail intact ({} records)",
        contents.sections,
        contents.bytes,
        contents.created_at,
        dir.display(),
        report.checked
    );
    Ok(())
}
