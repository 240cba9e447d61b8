//! `hippo dev …`: tools for developing against hippo, never needed to run
//! it. `hippo dev fake-whatsapp` runs hippo-whatsapp's fake Cloud API (the
//! one the tests use) as a process of its own, so an integrator can try the
//! WhatsApp flow without Meta: hippo sends to it, it signs status and
//! inbound webhooks with the app secret and posts them to hippo's
//! `/webhooks/whatsapp`, and its control endpoints (`/_fake/…`, see
//! `dev/control.rs` and docs/SANDBOX.md) play the patient's phone.
//!
//! It reads the same settings as `serve`, to find that hippo: the default
//! webhook URL comes from `--listen` and `--insecure-http`, the certificate
//! to trust from `--tls-cert` (else `<data-dir>/tls/cert.pem`, read once
//! hippo has generated it), and the ids and secrets from the `whatsapp_*`
//! settings when the channel is configured there.

mod control;

use crate::settings::Config;
use anyhow::{Context, Result, bail};
use control::{CaSource, Control, Target};
use hippo_whatsapp::{FakeCloudApi, FakeConfig};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The verify token the fake answers hippo's handshake with, unless
/// `--verify-token-file` or the settings give one.
pub const DEFAULT_VERIFY_TOKEN: &str = "fake-verify-token";

/// How often the fake looks for new sends (to print them and to apply
/// `--auto-status`).
const WATCH_INTERVAL: Duration = Duration::from_millis(200);

/// Pause between an accepted send and its automatic `delivered` (the fake
/// reports `sent` at once), and between `delivered` and `read`.
const AUTO_STATUS_DELAY: Duration = Duration::from_millis(500);

#[derive(Debug, clap::Subcommand)]
pub enum DevCommand {
    /// Run a fake WhatsApp Cloud API for development (not Meta: nothing
    /// reaches a phone). Prints the HIPPO_WHATSAPP_* settings to start
    /// hippo with, delivers signed webhooks to hippo's /webhooks/whatsapp,
    /// and plays the patient's phone through its /_fake/… endpoints; runs
    /// until SIGINT/SIGTERM. See docs/SANDBOX.md.
    FakeWhatsapp(FakeWhatsappArgs),
}

#[derive(Debug, clap::Args)]
pub struct FakeWhatsappArgs {
    /// Address the fake listens on (port 0: any free port). Loopback only,
    /// unless --allow-remote.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8450")]
    pub bind: SocketAddr,
    /// Allow a --bind address that is not loopback. Whoever reaches the
    /// fake can make hippo believe a patient wrote.
    #[arg(long)]
    pub allow_remote: bool,
    /// hippo's webhook endpoint. Default: from the settings, e.g.
    /// https://localhost:8443/webhooks/whatsapp.
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// PEM certificate(s) to trust when posting webhooks. Default: with the
    /// default --webhook-url, hippo's own (--tls-cert, else
    /// <data-dir>/tls/cert.pem, waited for until hippo generates it);
    /// with an explicit --webhook-url, the system's roots.
    #[arg(long, value_name = "FILE")]
    pub webhook_ca: Option<PathBuf>,
    /// File holding the app secret that signs webhooks (default: the
    /// whatsapp_app_secret setting, else "fake-app-secret").
    #[arg(long, value_name = "FILE")]
    pub app_secret_file: Option<PathBuf>,
    /// File holding the access token the fake expects as Bearer (default:
    /// the whatsapp_access_token setting, else "fake-access-token").
    #[arg(long, value_name = "FILE")]
    pub access_token_file: Option<PathBuf>,
    /// File holding the verify token of the webhook handshake (default: the
    /// whatsapp_verify_token setting, else "fake-verify-token").
    #[arg(long, value_name = "FILE")]
    pub verify_token_file: Option<PathBuf>,
    /// After each accepted send, report it delivered (or delivered, then
    /// read) as a phone would, besides the `sent` the fake always reports.
    #[arg(long, value_name = "STATUS", value_enum, default_value = "none")]
    pub auto_status: AutoStatus,
}

/// What the fake reports by itself after a send's `sent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AutoStatus {
    None,
    Delivered,
    Read,
}

pub async fn run(config: Config, cmd: DevCommand) -> Result<()> {
    match cmd {
        DevCommand::FakeWhatsapp(args) => fake_whatsapp(&config, args).await,
    }
}

/// Where a secret came from, for the line that tells hippo about it.
enum Origin {
    Default,
    File(PathBuf),
    Settings,
}

struct Secret {
    value: String,
    origin: Origin,
}

impl Secret {
    fn resolve(file: Option<&Path>, setting: Option<&str>, default: &str) -> Result<Self> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let value = text.trim_end_matches(['\r', '\n']).to_owned();
            if value.is_empty() {
                bail!("{} is empty", path.display());
            }
            let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
            return Ok(Self {
                value,
                origin: Origin::File(path),
            });
        }
        Ok(match setting {
            Some(value) => Self {
                value: value.to_owned(),
                origin: Origin::Settings,
            },
            None => Self {
                value: default.to_owned(),
                origin: Origin::Default,
            },
        })
    }

    /// `HIPPO_X=value`, `HIPPO_X_FILE=path`, or a note that the settings
    /// already hold it (a real secret is never printed).
    fn line(&self, env: &str) -> String {
        match &self.origin {
            Origin::Default => format!("{env}={}", self.value),
            Origin::File(path) => format!("{env}_FILE={}", path.display()),
            Origin::Settings => format!("# {env}: as in your settings (not printed)"),
        }
    }
}

async fn fake_whatsapp(config: &Config, args: FakeWhatsappArgs) -> Result<()> {
    if !args.bind.ip().is_loopback() {
        if !args.allow_remote {
            bail!(
                "--bind {}: not a loopback address; the fake takes anyone's sends and signs whatever it is told as Meta would, so it listens on loopback only (add --allow-remote to bind it anyway)",
                args.bind
            );
        }
        tracing::warn!(bind = %args.bind, "fake WhatsApp listening beyond loopback: whoever reaches it can post signed webhooks to hippo");
    }
    let settings = config.whatsapp.as_ref();
    let defaults = FakeConfig::default();
    let access_token = Secret::resolve(
        args.access_token_file.as_deref(),
        settings.map(|w| w.access_token.as_str()),
        &defaults.access_token,
    )?;
    let app_secret = Secret::resolve(
        args.app_secret_file.as_deref(),
        settings.map(|w| w.app_secret.as_str()),
        &defaults.app_secret,
    )?;
    let verify_token = Secret::resolve(
        args.verify_token_file.as_deref(),
        settings.map(|w| w.verify_token.as_str()),
        DEFAULT_VERIFY_TOKEN,
    )?;
    let fake_config = FakeConfig {
        phone_number_id: settings.map_or(defaults.phone_number_id, |w| w.phone_number_id.clone()),
        business_account_id: settings.map_or(defaults.business_account_id, |w| {
            w.business_account_id.clone()
        }),
        access_token: access_token.value.clone(),
        app_secret: app_secret.value.clone(),
        display_phone_number: defaults.display_phone_number,
    };
    let target = webhook_target(config, &args);

    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("--bind {}: cannot listen", args.bind))?;
    let control = Arc::new(Control::new(
        access_token.value.clone(),
        verify_token.value.clone(),
    ));
    let fake = FakeCloudApi::start_on(
        listener,
        fake_config.clone(),
        control::router(Arc::clone(&control)),
    )
    .context("cannot start the fake Cloud API")?;
    let fake = Arc::new(fake);
    control.attach(Arc::clone(&fake));
    for (name, body) in control::DEFAULT_TEMPLATES {
        fake.add_template(name, "en_US", "UTILITY", "APPROVED", body);
    }

    let base = fake.base_url();
    println!(
        "fake WhatsApp Cloud API (development only: not Meta, nothing reaches a phone) on {base}"
    );
    println!("# start hippo with these settings:");
    println!("HIPPO_WHATSAPP_API_BASE={base}");
    println!(
        "HIPPO_WHATSAPP_PHONE_NUMBER_ID={}",
        fake_config.phone_number_id
    );
    println!(
        "HIPPO_WHATSAPP_BUSINESS_ACCOUNT_ID={}",
        fake_config.business_account_id
    );
    println!("{}", access_token.line("HIPPO_WHATSAPP_ACCESS_TOKEN"));
    println!("{}", app_secret.line("HIPPO_WHATSAPP_APP_SECRET"));
    println!("{}", verify_token.line("HIPPO_WHATSAPP_VERIFY_TOKEN"));
    let names: Vec<String> = control::DEFAULT_TEMPLATES
        .iter()
        .map(|(name, _)| format!("{name}/en_US"))
        .collect();
    println!(
        "templates (approved; POST /api/v1/whatsapp/templates/sync in hippo): {}; add more: POST {base}/_fake/templates",
        names.join(", ")
    );
    println!(
        "webhooks to: {}; change: PUT {base}/_fake/webhook",
        target.describe()
    );
    println!(
        "play the phone: POST {base}/_fake/status {{\"message_id\",\"status\":\"delivered\"|\"read\"|\"failed\"}}, POST {base}/_fake/inbound {{\"from\",\"text\"}}, GET {base}/_fake/sent (each with Authorization: Bearer <access token>)"
    );
    let auto = match args.auto_status {
        AutoStatus::None => "none (report statuses with POST /_fake/status)",
        AutoStatus::Delivered => "delivered",
        AutoStatus::Read => "delivered, then read",
    };
    println!("after each send's sent, the fake reports: {auto}");
    println!("ready (Ctrl-C stops)");

    control.connect_in_background(target);
    let (stop_watch, stopping) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(watch_sends(Arc::clone(&fake), args.auto_status, stopping));
    super::serve::shutdown_signal().await;
    // The watcher reports what came in since its last look, then ends.
    let _ = stop_watch.send(true);
    let _ = watcher.await;
    control.stop();
    println!("stopped");
    Ok(())
}

/// The webhook endpoint and certificate from the flags, else from hippo's
/// settings.
fn webhook_target(config: &Config, args: &FakeWhatsappArgs) -> Target {
    let ca = args.webhook_ca.clone().map(CaSource::File);
    if let Some(url) = &args.webhook_url {
        return Target {
            url: url.clone(),
            ca,
        };
    }
    let host = match config.listen.ip() {
        ip if ip.is_loopback() || ip.is_unspecified() => "localhost".to_owned(),
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let port = config.listen.port();
    if config.insecure_http {
        return Target {
            url: format!("http://{host}:{port}/webhooks/whatsapp"),
            ca,
        };
    }
    let ca = ca.or_else(|| {
        Some(CaSource::File(config.tls_cert.clone().unwrap_or_else(
            || config.data_dir.join("tls").join("cert.pem"),
        )))
    });
    Target {
        url: format!("https://{host}:{port}/webhooks/whatsapp"),
        ca,
    }
}

/// Prints each accepted send (its wamid and hippo's message id, nothing of
/// its content) and reports the `--auto-status` ones; once `stopping`
/// turns true, prints the sends it has not printed yet (a send just
/// before the stop is never left out) and ends.
async fn watch_sends(
    fake: Arc<FakeCloudApi>,
    auto: AutoStatus,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let mut seen = 0;
    loop {
        let last = tokio::select! {
            () = tokio::time::sleep(WATCH_INTERVAL) => false,
            _ = stopping.wait_for(|stop| *stop) => true,
        };
        let sent = fake.sent();
        for record in sent.iter().skip(seen) {
            println!(
                "send accepted: {} (hippo message {})",
                record.wamid,
                record.callback_data.as_deref().unwrap_or("-")
            );
            let steps: &[&str] = match auto {
                AutoStatus::None => &[],
                AutoStatus::Delivered => &["delivered"],
                AutoStatus::Read => &["delivered", "read"],
            };
            if steps.is_empty() || last {
                continue;
            }
            let fake = Arc::clone(&fake);
            let wamid = record.wamid.clone();
            tokio::spawn(async move {
                for status in steps {
                    tokio::time::sleep(AUTO_STATUS_DELAY).await;
                    let answer = fake.post_status(&wamid, status, None).await;
                    println!("status {status} for {wamid}: hippo answered {answer}");
                }
            });
        }
        seen = sent.len();
        if last {
            return;
        }
    }
}
