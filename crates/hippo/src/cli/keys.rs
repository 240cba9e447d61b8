//! `hippo keys rotate`: a new master key, every data key rewrapped in one
//! transaction, online (a running server picks the new key up from the key
//! file before it wraps its next data key). Data keys do not change, so
//! every ciphertext stays readable. The old key is kept as
//! `<key file>.retired-<ms>` until the operator destroys it.

use crate::settings::Config;
use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use hippo_crypto::MasterKey;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Replace the master key; rewrap every data key.
    Rotate,
}

pub async fn run(config: Config, cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Rotate => rotate(&config).await,
    }
}

async fn rotate(config: &Config) -> Result<()> {
    let app = crate::app::open(config).await?;
    let key_file = &config.master_key_file;
    let pending = hippo_service::keyring::pending_key_file(key_file);
    // A leftover from a rotation that never committed: it was never used.
    if pending.exists() {
        std::fs::remove_file(&pending)
            .with_context(|| format!("cannot remove stale {}", pending.display()))?;
    }
    let new = MasterKey::generate().map_err(|_| anyhow!("cannot generate a key"))?;
    // The new key is on disk before the data depends on it.
    new.write_new(&pending)?;
    let rewrapped = match app.hippo.rotate_master_key(new).await {
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
    app.store.close().await;
    println!("master key rotated: {rewrapped} data keys rewrapped");
    println!("new key: {}", key_file.display());
    println!(
        "retired key: {} (destroy it once no backup or copy of the data made before now must be read)",
        retired.display()
    );
    Ok(())
}
