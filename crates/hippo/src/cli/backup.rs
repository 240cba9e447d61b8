//! `hippo backup create|verify|restore|drill` (see `crate::backup` for the
//! file format). Creating, verifying, restoring and drilling are recorded
//! in the trail.

use crate::backup::{self, SectionEvent};
use crate::settings::Config;
use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use hippo_core::{AuditAction, Outcome};
use hippo_crypto::{AuditSigningKey, MasterKey};
use hippo_service::Principal;
use hippo_service::backup_keys::{self, KeyFile};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Write a consistent, encrypted, signed backup while the server runs.
    Create {
        /// The backup file to write (its key file goes beside it as
        /// FILE.keys); neither may exist. Keep it on another volume.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Check a backup end to end without restoring it (exit 1 if damaged).
    Verify {
        /// The backup file (its FILE.keys beside it).
        file: PathBuf,
    },
    /// Restore into an empty data dir (`--data-dir`), or with
    /// `HIPPO_DATABASE_URL` into an empty PostgreSQL database; the key
    /// file `<FILE>.keys` must be beside it. Put the source's master key
    /// and audit signing key in the data dir first (or name them with
    /// `--master-key-file` / `--audit-signing-key-file`).
    Restore {
        /// The backup file (its FILE.keys beside it).
        file: PathBuf,
    },
    /// A restore test: restores the newest scheduled backup (in
    /// `backup_dir`) into a scratch directory, verifies it and its audit
    /// trail, records the result (`backup.drill`) and removes the scratch
    /// copy. Exit 1 if the backup would not restore.
    Drill {
        /// Drill this backup instead of the newest in `backup_dir`.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
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
        BackupCommand::Drill { file } => drill(&config, file).await,
    }
}

async fn create(config: &Config, out: &Path) -> Result<()> {
    let app = crate::app::open_existing(config).await?;
    let (master, signer) = keys(config)?;
    let keys_out = backup_keys::path_for(out);
    if keys_out.exists() {
        bail!("{} already exists", keys_out.display());
    }
    let created = backup::create(&app, &config.data_dir, &master, &signer, out, &keys_out).await?;
    app.hippo
        .ops()
        .record(
            Principal::Operator,
            AuditAction::BackupCreate,
            Outcome::Success,
            serde_json::json!({ "bytes": created.bytes, "backup_id": created.backup_id }),
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    app.store.close().await;
    println!(
        "backup written to {} ({} bytes of data); its {} data keys to {} (keep both; restoring needs both)",
        out.display(),
        created.bytes,
        created.keys,
        keys_out.display()
    );
    Ok(())
}

/// Checks the backup and its key file; the key file's contents.
fn check(
    file: &Path,
    master: &MasterKey,
    signer: &AuditSigningKey,
) -> Result<(backup::Contents, KeyFile)> {
    let keys = read_key_file(file, master)?;
    let contents = backup::read(file, &keys, master, signer, |_| Ok(()))?;
    Ok((contents, keys))
}

/// The key file beside a backup.
fn read_key_file(file: &Path, master: &MasterKey) -> Result<KeyFile> {
    let keys_path = backup_keys::path_for(file);
    if !keys_path.exists() {
        bail!(
            "the key file of this backup, {}, is missing: a backup cannot be read without it",
            keys_path.display()
        );
    }
    Ok(KeyFile::read(&keys_path, master)?)
}

async fn verify(config: &Config, file: &Path) -> Result<()> {
    let (master, signer) = keys(config)?;
    let result = check(file, &master, &signer);
    // Recorded where there is a hippo to record it in.
    if config.database_url.is_some() || config.data_dir.join("hippo.db").exists() {
        let app = crate::app::open_existing(config).await?;
        let outcome = if result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        app.hippo
            .ops()
            .record(
                Principal::Operator,
                AuditAction::BackupVerify,
                outcome,
                serde_json::json!({}),
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        app.store.close().await;
    }
    let (contents, keys) = result?;
    println!(
        "backup intact: {} sections, {} bytes, taken {} from {}; key file intact: {} data keys, {} destroyed since",
        contents.sections,
        contents.bytes,
        contents.created_at,
        contents.backend,
        keys.keys.len(),
        keys.shredded.len()
    );
    Ok(())
}

/// Writes a backup's sections into `staging` (`db/…` and `blobs/…`),
/// checking everything; nothing outside `staging` is touched.
fn unpack_into(
    file: &Path,
    keys: &KeyFile,
    master: &MasterKey,
    signer: &AuditSigningKey,
    staging: &Path,
) -> Result<backup::Contents> {
    std::fs::create_dir_all(staging.join("db"))?;
    let mut current: Option<std::io::BufWriter<std::fs::File>> = None;
    let contents = backup::read(file, keys, master, signer, |event| {
        match event {
            SectionEvent::Start(name) => {
                if let Some(mut f) = current.take() {
                    f.flush()?;
                    f.get_ref().sync_all()?;
                }
                let path = if let Some(db) = name.strip_prefix("db/") {
                    if db.is_empty()
                        || !db
                            .bytes()
                            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
                        || db.starts_with('.')
                    {
                        bail!("unexpected section {name:?}");
                    }
                    staging.join("db").join(db)
                } else {
                    let blob = name
                        .strip_prefix("blob/")
                        .filter(|b| {
                            b.len() > 2 && b.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-')
                        })
                        .ok_or_else(|| anyhow!("unexpected section {name:?}"))?;
                    let shard = staging.join("blobs").join(&blob[blob.len() - 2..]);
                    std::fs::create_dir_all(&shard)?;
                    shard.join(blob)
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
    Ok(contents)
}

/// What the restored hippo needs after its data is in place: the data
/// keys back, erasures made since the backup applied, the trail verified
/// and the restore recorded.
async fn finish_restore(
    config: &Config,
    store: &dyn hippo_store::Store,
    master: &MasterKey,
    file: &Path,
    keys: &KeyFile,
    contents: &backup::Contents,
) -> Result<(hippo_service::audit::VerifyReport, usize, usize)> {
    let mut tx = store.begin_write().await.map_err(|e| anyhow!("{e}"))?;
    let destroyed = tx
        .restore_data_keys(&keys.keys)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    // The key file's keys are wrapped by the master key it opened with
    // (rewrapped by any rotation since the backup).
    tx.put_meta("master_key_check", &master.check_value())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    tx.commit().await.map_err(|e| anyhow!("{e}"))?;
    let app = crate::app::open_existing(config).await?;
    let result = async {
        let (conversations, files) = app
            .hippo
            .governance()
            .apply_erasures_after_restore(&destroyed)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        // The restored system's erasures must reach the backup it came
        // from (the list it restored predates that backup).
        app.hippo
            .governance()
            .register_backup_key_file(&backup_keys::path_for(file), &contents.backup_id)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let report = app
            .hippo
            .audit()
            .verify(hippo_service::Principal::Operator)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if !report.ok {
            bail!(
                "the restored audit trail does not verify at record {}: {}",
                report.first_bad_seq.unwrap_or_default(),
                report.reason.clone().unwrap_or_default()
            );
        }
        app.hippo
            .ops()
            .record(
                Principal::Operator,
                AuditAction::BackupRestore,
                Outcome::Success,
                serde_json::json!({
                    "bytes": contents.bytes,
                    "taken": contents.created_at,
                    "backup_id": contents.backup_id,
                    "erased_since": conversations,
                }),
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        Ok((report, conversations, files))
    }
    .await;
    app.store.close().await;
    result
}

async fn restore(config: &Config, file: &Path) -> Result<()> {
    if config
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("sqlite:"))
    {
        bail!("restore SQLite into a data dir (--data-dir) without HIPPO_DATABASE_URL");
    }
    let dir = &config.data_dir;
    crate::app::prepare_data_dir(dir)?;
    let on_postgres = config.database_url.is_some();
    if (!on_postgres && dir.join("hippo.db").exists())
        || std::fs::read_dir(dir.join("blobs")).is_ok_and(|mut d| d.next().is_some())
    {
        bail!(
            "{} already holds data; restore into an empty data dir",
            dir.display()
        );
    }
    let (master, signer) = keys(config)?;
    let keys = read_key_file(file, &master)?;
    let staging = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(dir)
        .context("cannot create a staging directory")?;
    let contents = unpack_into(file, &keys, &master, &signer, staging.path())?;
    let (report, erased, files) = if on_postgres {
        if contents.backend != "postgres" {
            bail!(
                "this backup was taken from SQLite; restore it into a data dir without HIPPO_DATABASE_URL"
            );
        }
        restore_postgres(config, &master, file, staging.path(), &keys, &contents).await?
    } else {
        if contents.backend != "sqlite" {
            bail!(
                "this backup was taken from PostgreSQL; restore it with HIPPO_DATABASE_URL naming an empty database"
            );
        }
        restore_sqlite(config, &master, file, staging.path(), &keys, &contents).await?
    };
    drop(staging);
    println!(
        "restored {} sections ({} bytes) taken {} into {}; {} conversations erased since the backup stay erased ({} files); audit trail intact ({} records)",
        contents.sections,
        contents.bytes,
        contents.created_at,
        if on_postgres {
            "the database".to_owned()
        } else {
            dir.display().to_string()
        },
        erased,
        files,
        report.checked
    );
    Ok(())
}

/// Whether `name` is a scheduled backup's: `hippo-<13-digit unix ms>.backup`
/// (so that the newest sorts last, and an operator's own file in the
/// directory is never taken for one).
fn is_scheduled_name(name: &str) -> bool {
    name.strip_prefix("hippo-")
        .and_then(|n| n.strip_suffix(".backup"))
        .is_some_and(|ms| ms.len() == 13 && ms.bytes().all(|b| b.is_ascii_digit()))
}

/// The newest `hippo-<unix ms>.backup` in `backup_dir`.
fn newest_scheduled(config: &Config) -> Result<PathBuf> {
    let Some(dir) = &config.backup_dir else {
        bail!("no backup_dir is set: name the backup to drill with --file");
    };
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_scheduled_name)
        })
        .collect();
    backups.sort();
    backups
        .pop()
        .ok_or_else(|| anyhow!("no backup in {} to drill", dir.display()))
}

/// What a drill found.
struct Drilled {
    contents: backup::Contents,
    records: i64,
}

async fn drill(config: &Config, file: Option<PathBuf>) -> Result<()> {
    let file = match file {
        Some(file) => file,
        None => newest_scheduled(config)?,
    };
    // The live system the result is recorded in (open first: a drill
    // against a missing data dir fails before any work).
    let app = crate::app::open_existing(config).await?;
    let result = drill_and_record(&app, config, &file).await;
    app.store.close().await;
    let drilled = result?;
    println!(
        "drill passed: {} restored into a scratch copy ({} sections, {} bytes, taken {}), its audit trail verified ({} records); scratch copy removed; recorded as backup.drill",
        file.display(),
        drilled.contents.sections,
        drilled.contents.bytes,
        drilled.contents.created_at,
        drilled.records
    );
    Ok(())
}

/// Drills `file` and records the outcome (`backup.drill`) in `app`'s
/// trail, success or failure; errs if either the drill or the record did.
async fn drill_and_record(app: &crate::app::App, config: &Config, file: &Path) -> Result<Drilled> {
    let started = std::time::Instant::now();
    let result = drill_in_scratch(config, file).await;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut detail = serde_json::json!({
        "backup": name,
        "seconds": started.elapsed().as_secs_f64(),
    });
    let outcome = match &result {
        Ok(drilled) => {
            detail["taken"] = drilled.contents.created_at.clone().into();
            detail["backup_id"] = drilled.contents.backup_id.clone().into();
            detail["sections"] = drilled.contents.sections.into();
            detail["audit_records_verified"] = drilled.records.into();
            Outcome::Success
        }
        Err(e) => {
            // The reason is hippo's own wording (never data).
            detail["reason"] = format!("{e:#}").into();
            Outcome::Failure
        }
    };
    app.hippo
        .ops()
        .record(
            Principal::Operator,
            AuditAction::BackupDrill,
            outcome,
            detail,
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    result.with_context(|| format!("the drill of {} failed", file.display()))
}

/// `serve`'s restore drills (`backup_drill_interval`): every `every`, the
/// newest scheduled backup is drilled, once per cluster (a lease), and the
/// outcome recorded, also when there is no backup to drill; a failure is
/// logged, never fatal to the server.
pub async fn scheduled_drills(
    app: std::sync::Arc<crate::app::App>,
    config: Config,
    every: std::time::Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await; // not at start: the first one after one interval
    loop {
        tick.tick().await;
        if !app
            .hippo
            .ops()
            .lead("backup_drill", every.mul_f32(0.9))
            .await
        {
            continue;
        }
        let result = match newest_scheduled(&config) {
            Ok(file) => drill_and_record(&app, &config, &file)
                .await
                .map(|d| (file, d)),
            Err(e) => {
                let recorded = app
                    .hippo
                    .ops()
                    .record(
                        Principal::Operator,
                        AuditAction::BackupDrill,
                        Outcome::Failure,
                        serde_json::json!({ "reason": format!("{e:#}") }),
                    )
                    .await;
                if let Err(r) = recorded {
                    tracing::error!(error = %r, "a failed restore drill could not be recorded");
                }
                Err(e)
            }
        };
        match result {
            Ok((file, drilled)) => tracing::info!(
                file = %file.display(),
                audit_records = drilled.records,
                "restore drill passed"
            ),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "restore drill failed"),
        }
    }
}

/// Restores `file` into a scratch directory beside the data dir (on the
/// same volume, so it tests the space a real restore needs) exactly as
/// `restore` would, short of moving it into place; the directory is
/// removed however it ends.
async fn drill_in_scratch(config: &Config, file: &Path) -> Result<Drilled> {
    // Reading, decrypting and writing the whole backup is blocking work:
    // off the runtime, which keeps serving meanwhile.
    let (unpack_config, unpack_file) = (config.clone(), file.to_path_buf());
    let (master, keys, scratch, contents) = tokio::task::spawn_blocking(move || -> Result<_> {
        let (master, signer) = keys(&unpack_config)?;
        let keys = read_key_file(&unpack_file, &master)?;
        let scratch = tempfile::Builder::new()
            .prefix(".drill-")
            .tempdir_in(&unpack_config.data_dir)
            .context("cannot create a scratch directory")?;
        let contents = unpack_into(&unpack_file, &keys, &master, &signer, scratch.path())?;
        Ok((master, keys, scratch, contents))
    })
    .await
    .map_err(|e| anyhow!("the drill stopped: {e}"))??;
    if contents.backend != "sqlite" {
        bail!(
            "this backup was taken from PostgreSQL; the drill restores SQLite backups (restore it into a scratch database with `hippo backup restore` and HIPPO_DATABASE_URL)"
        );
    }
    std::fs::rename(
        scratch.path().join("db").join("hippo.db"),
        scratch.path().join("hippo.db"),
    )
    .context("the backup holds no SQLite database")?;
    let staged = Config {
        data_dir: scratch.path().to_path_buf(),
        database_url: None,
        ..config.clone()
    };
    let store = hippo_store_sql::open(None, scratch.path())
        .await
        .context("cannot open the restored database")?;
    let result = finish_restore(&staged, store.as_ref(), &master, file, &keys, &contents).await;
    store.close().await;
    let (report, _, _) = result?;
    Ok(Drilled {
        contents,
        records: report.checked,
    })
}

/// SQLite: everything happens in the staging directory, which becomes
/// the data dir's database and files only when all of it succeeded.
async fn restore_sqlite(
    config: &Config,
    master: &MasterKey,
    file: &Path,
    staging: &Path,
    keys: &KeyFile,
    contents: &backup::Contents,
) -> Result<(hippo_service::audit::VerifyReport, usize, usize)> {
    let dir = &config.data_dir;
    let db = staging.join("hippo.db");
    std::fs::rename(staging.join("db").join("hippo.db"), &db)
        .context("the backup holds no SQLite database")?;
    let staged = Config {
        data_dir: staging.to_path_buf(),
        ..config.clone()
    };
    let store = hippo_store_sql::open(None, staging)
        .await
        .context("cannot open the restored database")?;
    let result = finish_restore(&staged, store.as_ref(), master, file, keys, contents).await;
    store.close().await;
    let result = result?;
    // Everything checked: move into place, the files first and the
    // database last (a data dir without hippo.db is still empty).
    move_blobs_into_place(staging, dir)?;
    for suffix in ["-wal", "-shm", ""] {
        let from = staging.join(format!("hippo.db{suffix}"));
        if from.exists() {
            std::fs::rename(&from, dir.join(format!("hippo.db{suffix}")))
                .context("cannot move the restored database into place")?;
        }
    }
    Ok(result)
}

/// Moves the restored blobs (if the backup had any) into the data dir,
/// whose blob directory is empty (checked before); true if it moved any.
fn move_blobs_into_place(staging: &Path, dir: &Path) -> Result<bool> {
    if !staging.join("blobs").exists() {
        return Ok(false);
    }
    let _ = std::fs::remove_dir_all(dir.join("blobs"));
    std::fs::rename(staging.join("blobs"), dir.join("blobs"))
        .context("cannot move the restored files into place")?;
    Ok(true)
}

/// PostgreSQL: the import replaces every table in one transaction; if
/// anything after it fails, the database is emptied again.
async fn restore_postgres(
    config: &Config,
    master: &MasterKey,
    file: &Path,
    staging: &Path,
    keys: &KeyFile,
    contents: &backup::Contents,
) -> Result<(hippo_service::audit::VerifyReport, usize, usize)> {
    let dir = &config.data_dir;
    let store = hippo_store_sql::open(config.database_url.as_deref().map(String::as_str), dir)
        .await
        .context("cannot open the database")?;
    if store.holds_data().await.map_err(|e| anyhow!("{e}"))? {
        store.close().await;
        bail!("the database already holds data; restore into an empty database");
    }
    store
        .import_from(&staging.join("db"))
        .await
        .map_err(|e| anyhow!("cannot import the backup: {e}"))?;
    let result = async {
        move_blobs_into_place(staging, dir)?;
        finish_restore(config, store.as_ref(), master, file, keys, contents).await
    }
    .await;
    if result.is_err() {
        if let Err(e) = store.wipe().await {
            tracing::error!(error = %e, "cannot empty the database after a failed restore");
        }
        // The blob directory was empty before the restore.
        let _ = std::fs::remove_dir_all(dir.join("blobs"));
    }
    store.close().await;
    result
}
