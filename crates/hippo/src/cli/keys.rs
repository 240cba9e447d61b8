//! `hippo keys rotate`: a new master key, every data key rewrapped in one
//! transaction, online (a running server picks the new key up from the key
//! file before it wraps its next data key). Data keys do not change, so
//! every ciphertext stays readable. The old key is kept as
//! `<key file>.retired-<ms>` until the operator destroys it.

use crate::settings::Config;
use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use hippo_crypto::MasterKey;
use hippo_service::backup_keys::KeyFile;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Replace the master key and rewrap every data key (default), or with
    /// --audit-signing-key replace the key that signs audit checkpoints.
    Rotate {
        /// Rotate the audit signing key instead of the master key.
        #[arg(long)]
        audit_signing_key: bool,
    },
}

pub async fn run(config: Config, cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Rotate {
            audit_signing_key: false,
        } => rotate(&config).await,
        KeysCommand::Rotate {
            audit_signing_key: true,
        } => rotate_audit_key(&config).await,
    }
}

/// New audit signing key; the old one is endorsed by it (checkpoints it
/// signed keep verifying) and kept as `<file>.retired-<ms>`.
async fn rotate_audit_key(config: &Config) -> Result<()> {
    let app = crate::app::open_existing(config).await?;
    let key_file = &config.audit_signing_key_file;
    let pending = hippo_service::keyring::pending_key_file(key_file);
    if pending.exists() {
        std::fs::remove_file(&pending)
            .with_context(|| format!("cannot remove stale {}", pending.display()))?;
    }
    let (new, _) = hippo_crypto::AuditSigningKey::load_or_create(&pending, true)?;
    let retired_id = match app.hippo.audit().rotate_key(&new).await {
        Ok(id) => id,
        Err(e) => {
            let _ = std::fs::remove_file(&pending);
            return Err(anyhow!("{e}"));
        }
    };
    let retired =
        crate::app::retired_key_file(key_file, hippo_core::Clock::now(&hippo_core::SystemClock));
    std::fs::rename(key_file, &retired)
        .with_context(|| format!("cannot retire {}", key_file.display()))?;
    std::fs::rename(&pending, key_file)
        .with_context(|| format!("cannot install the new key at {}", key_file.display()))?;
    app.store.close().await;
    println!("audit signing key rotated: new key {}", new.key_id());
    println!(
        "retired key {retired_id} stays trusted for the checkpoints it signed; its private key is at {} — destroy it, and restart running servers so they sign with the new key",
        retired.display()
    );
    Ok(())
}

async fn rotate(config: &Config) -> Result<()> {
    let app = crate::app::open_existing(config).await?;
    let key_file = &config.master_key_file;
    let pending = hippo_service::keyring::pending_key_file(key_file);
    // A leftover from a rotation that never committed: it was never used.
    if pending.exists() {
        std::fs::remove_file(&pending)
            .with_context(|| format!("cannot remove stale {}", pending.display()))?;
    }
    let (old, _) = MasterKey::load_or_create(key_file, false)?;
    let new = MasterKey::generate().map_err(|_| anyhow!("cannot generate a key"))?;
    // The new key is on disk before the data depends on it.
    new.write_new(&pending)?;
    let (new_copy, _) = MasterKey::load_or_create(&pending, false)?;
    let rewrapped = match app.hippo.ops().rotate_master_key(new).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&pending);
            return Err(anyhow!("{e}"));
        }
    };
    let retired =
        crate::app::retired_key_file(key_file, hippo_core::Clock::now(&hippo_core::SystemClock));
    std::fs::rename(key_file, &retired)
        .with_context(|| format!("cannot retire {}", key_file.display()))?;
    std::fs::rename(&pending, key_file)
        .with_context(|| format!("cannot install the new key at {}", key_file.display()))?;
    // Backups' key files follow, so that they open with the new key.
    let mut key_files = 0;
    for row in app
        .store
        .list_backup_key_files()
        .await
        .map_err(|e| anyhow!("{e}"))?
    {
        let path = std::path::PathBuf::from(&row.path);
        if !path.exists() {
            continue;
        }
        let rewrapped = hippo_service::backup_keys::lock_dir_of(&path).and_then(|_lock| {
            KeyFile::read(&path, &old)
                .and_then(|mut f| f.rewrap(&old, &new_copy).map(|()| f))
                .and_then(|f| f.write(&path, &new_copy))
        });
        match rewrapped {
            Ok(()) => key_files += 1,
            Err(e) => eprintln!(
                "warning: backup key file {} not rewrapped ({e}); it still opens with the retired key",
                path.display()
            ),
        }
    }
    app.store.close().await;
    println!(
        "master key rotated: {rewrapped} data keys rewrapped; {key_files} backup key files rewrapped"
    );
    println!("new key: {}", key_file.display());
    println!(
        "retired key: {} (destroy it once no backup or copy of the data made before now must be read)",
        retired.display()
    );
    Ok(())
}
