//! Assembles a running hippo from a [`Config`]: checks the ground (data dir,
//! master key, schema), opens the store and keyring, and builds the
//! use-case layer. `serve` and every admin command start here, so they
//! share one set of checks.

use crate::settings::Config;
use anyhow::{Context, Result, bail};
use hippo_core::Clock;
use hippo_crypto::{AuditSigningKey, MasterKey, PasswordHasher};
use hippo_service::audit::evidence::{BackupSchedule, Deployment, TlsMode};
use hippo_service::whatsapp::{WhatsappChannel, WhatsappConfig};
use hippo_service::{Hippo, Keyring, KeyringError, ServiceConfig};
use hippo_store::Store;
use hippo_store::blob::LocalDirBlobs;
use hippo_whatsapp::{CloudApi, CloudApiConfig};
use std::path::Path;
use std::sync::Arc;

/// Creates the data dir (0700) or checks that it is a usable directory.
pub fn prepare_data_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("data dir {} is not a directory", dir.display());
        }
    } else {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data dir {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot set permissions of data dir {}", dir.display()))?;
        }
    }
    let probe = dir.join(".hippo-write-test");
    std::fs::write(&probe, b"")
        .with_context(|| format!("data dir {} is not writable", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// A rotation that committed but was cut off before its key files were
/// swapped leaves the new key in `<key file>.new`: swap it in now. True if
/// that happened (the caller reloads the key).
fn finish_rotation(
    key_file: &Path,
    expected_check: Option<&str>,
    now: hippo_core::Timestamp,
) -> Result<bool> {
    let pending = hippo_service::keyring::pending_key_file(key_file);
    if !pending.exists() {
        return Ok(false);
    }
    let (key, _) = MasterKey::load_or_create(&pending, false)?;
    if Some(key.check_value().as_str()) != expected_check {
        return Ok(false);
    }
    let retired = retired_key_file(key_file, now);
    std::fs::rename(key_file, &retired)
        .with_context(|| format!("cannot retire {}", key_file.display()))?;
    std::fs::rename(&pending, key_file)
        .with_context(|| format!("cannot install {}", pending.display()))?;
    tracing::warn!(
        retired = %retired.display(),
        "finished an interrupted master key rotation; the previous key was kept as the retired file"
    );
    Ok(true)
}

/// Where a replaced master key is kept until the operator destroys it.
pub fn retired_key_file(key_file: &Path, at: hippo_core::Timestamp) -> std::path::PathBuf {
    let mut name = key_file.as_os_str().to_owned();
    name.push(format!(".retired-{}", at.as_millis()));
    std::path::PathBuf::from(name)
}

/// The service settings derived from the configuration.
pub fn service_config(config: &Config) -> ServiceConfig {
    ServiceConfig {
        session_idle_timeout: config.session_idle_timeout,
        session_max_lifetime: config.session_max_lifetime,
        login_max_failures: config.login_max_failures,
        login_lockout: config.login_lockout,
        require_mfa: config.require_mfa,
        organisation_name: config.organisation_name.clone(),
        max_upload: config.max_upload,
        break_glass_duration: config.break_glass_duration,
        retention: config.retention,
        deactivate_after: config.deactivate_after,
        activity: config.activity,
        calls: config.calls.clone(),
        webhooks: config.webhooks.clone(),
        deployment: Some(deployment(config)),
        ..ServiceConfig::default()
    }
}

/// What the evidence report states about serving and keeping data.
fn deployment(config: &Config) -> Deployment {
    let tls = if config.insecure_http {
        TlsMode::Off
    } else if config.tls_cert.is_some() {
        TlsMode::Configured
    } else {
        TlsMode::SelfSigned
    };
    Deployment {
        tls,
        tls_versions: hippo_http::tls::PROTOCOL_VERSIONS.to_vec(),
        client_certificates: config.tls_client_ca.is_some() && !config.insecure_http,
        backups: config.backup_dir.as_ref().map(|_| BackupSchedule {
            interval: config.backup_interval,
            keep: config.backup_keep,
            drill_interval: config.backup_drill_interval,
        }),
    }
}

/// Everything a command needs.
pub struct App {
    pub hippo: Arc<Hippo>,
    pub store: Arc<dyn Store>,
    /// The master key file was created just now.
    pub created_master_key: bool,
}

/// Opens the app with the given clock and password hasher (tests pass a
/// fake clock and cheap argon2 parameters); a missing data dir or database
/// is created (only `serve` and `user create` may: see [`open_existing`]).
pub async fn open_with(
    config: &Config,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
) -> Result<App> {
    open_mode(config, clock, hasher, true).await
}

/// The absolute form of `path`, for messages (as given if that fails).
pub fn absolute(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Opens an installation that exists: every command but `serve` and
/// `user create`. Run against a missing data dir or an empty database it
/// fails, naming where it looked, and creates nothing — so a command run
/// from the wrong directory cannot start a second, empty hippo.
pub async fn open_existing(config: &Config) -> Result<App> {
    let hasher = PasswordHasher::new().context("cannot set up password hashing")?;
    open_mode(config, Arc::new(hippo_core::SystemClock), hasher, false).await
}

fn no_installation(what: String) -> anyhow::Error {
    anyhow::anyhow!(
        "{what}; only `hippo serve` and `hippo user create` start a new installation \
         (check --data-dir / HIPPO_DATA_DIR and --database-url)"
    )
}

async fn open_mode(
    config: &Config,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    create: bool,
) -> Result<App> {
    if create {
        prepare_data_dir(&config.data_dir)?;
    } else {
        let dir = absolute(&config.data_dir);
        if dir.exists() && !dir.is_dir() {
            bail!("data dir {} is not a directory", dir.display());
        }
        if !dir.is_dir() {
            return Err(no_installation(format!(
                "no hippo data dir at {}",
                dir.display()
            )));
        }
        let db = dir.join("hippo.db");
        if config.database_url.is_none() && !db.is_file() {
            return Err(no_installation(format!(
                "no hippo database at {}",
                db.display()
            )));
        }
    }
    let store = hippo_store_sql::open_sized(
        config.database_url.as_deref().map(String::as_str),
        &config.data_dir,
        config.database_max_connections,
    )
    .await
    .context("cannot open the database")?;
    let initialised = store
        .get_meta("master_key_check")
        .await
        .context("cannot read the database")?
        .is_some();
    if !create && !initialised {
        store.close().await;
        return Err(no_installation(
            "the database holds no hippo installation (no master key check)".to_owned(),
        ));
    }
    let (master, created_master_key) =
        MasterKey::load_or_create(&config.master_key_file, !initialised)?;
    let keys = match Keyring::open(store.as_ref(), master, clock.now()).await {
        Err(KeyringError::Mismatch)
            if finish_rotation(
                &config.master_key_file,
                store.get_meta("master_key_check").await?.as_deref(),
                clock.now(),
            )? =>
        {
            let (master, _) = MasterKey::load_or_create(&config.master_key_file, false)?;
            Keyring::open(store.as_ref(), master, clock.now()).await?
        }
        other => other?,
    }
    .with_key_file(config.master_key_file.clone());
    let blobs = LocalDirBlobs::open(config.data_dir.join("blobs"))
        .await
        .context("cannot open the file store (<data-dir>/blobs)")?;
    // A missing signing key is created only while no checkpoint exists:
    // otherwise the signed checkpoints could no longer be checked.
    let has_checkpoints = !store
        .list_checkpoints()
        .await
        .context("cannot read the database")?
        .is_empty();
    let (audit_key, _) =
        AuditSigningKey::load_or_create(&config.audit_signing_key_file, !has_checkpoints)
            .context("audit signing key")?;
    let hippo = Arc::new(
        Hippo::builder(
            store.clone(),
            Arc::new(blobs),
            Arc::new(keys),
            clock,
            service_config(config),
            hasher,
        )
        .with_audit_key(Arc::new(audit_key))
        .maybe_with_whatsapp(whatsapp_channel(config)?)
        .build(),
    );
    Ok(App {
        hippo,
        store,
        created_master_key,
    })
}

/// The WhatsApp channel, when configured.
fn whatsapp_channel(config: &Config) -> Result<Option<Arc<WhatsappChannel>>> {
    let Some(w) = &config.whatsapp else {
        return Ok(None);
    };
    let api = CloudApi::new(CloudApiConfig {
        api_base: w.api_base.clone(),
        api_version: w.api_version.clone(),
        phone_number_id: w.phone_number_id.clone(),
        business_account_id: w.business_account_id.clone(),
        access_token: w.access_token.clone(),
        timeout: std::time::Duration::from_secs(20),
    })
    .map_err(|e| anyhow::anyhow!("cannot set up the WhatsApp client: {e}"))?;
    let channel = WhatsappChannel::new(
        WhatsappConfig {
            phi_mode: w.phi_mode,
            rate: w.rate,
            app_secret: zeroize::Zeroizing::new(w.app_secret.as_bytes().to_vec()),
            verify_token: w.verify_token.clone(),
            in_doubt_after: w.in_doubt_after,
            ..WhatsappConfig::default()
        },
        api,
    );
    Ok(Some(Arc::new(channel)))
}

/// Starts the WhatsApp outbox sender and webhook processor (when the
/// channel is configured); they stop when `stop` changes.
pub fn spawn_whatsapp_workers(
    hippo: &Arc<Hippo>,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    if hippo.whatsapp().configured().is_none() {
        return Vec::new();
    }
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    vec![
        tokio::spawn(hippo.whatsapp().clone().run_outbox(until(stop.clone()))),
        tokio::spawn(hippo.whatsapp().clone().run_inbox(until(stop.clone()))),
    ]
}

/// The outgoing-webhook delivery worker (every node runs one; leases keep
/// each delivery to one node).
pub fn spawn_webhook_worker(
    hippo: &Arc<Hippo>,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let mut rx = stop.clone();
    tokio::spawn(hippo.webhooks().clone().run_deliveries(async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }))
}

/// The router's transport options from the settings (origins checked when
/// the settings were read).
pub fn http_options(config: &Config) -> hippo_http::HttpOptions {
    hippo_http::HttpOptions {
        tls: !config.insecure_http,
        cors_origins: config
            .cors_origins
            .iter()
            .filter_map(|o| axum::http::HeaderValue::from_str(o).ok())
            .collect(),
        metrics_listener: config.metrics_listen.is_some(),
        access_log: config.access_log,
        trusted_proxies: config.trusted_proxies.clone(),
        forwarded_header: config.forwarded_header,
        unauthenticated_rate: config.unauthenticated_rate,
    }
}

/// Opens the app with the wall clock and production argon2 parameters.
pub async fn open(config: &Config) -> Result<App> {
    let hasher = PasswordHasher::new().context("cannot set up password hashing")?;
    open_with(config, Arc::new(hippo_core::SystemClock), hasher).await
}
