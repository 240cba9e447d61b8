//! The typed [`Config`] every command runs with, made from the parsed
//! [`Settings`]: derived defaults (key files inside the data dir, the
//! cluster bus) and the checks that span several settings.

use super::parse::ClusterBus;
use super::{SettingError, Settings, bad};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

/// The WhatsApp channel's settings (all required ones given).
#[derive(Clone)]
pub struct WhatsappSettings {
    pub api_base: String,
    pub api_version: String,
    pub phone_number_id: String,
    pub business_account_id: String,
    pub access_token: Zeroizing<String>,
    pub app_secret: Zeroizing<String>,
    pub verify_token: Zeroizing<String>,
    pub phi_mode: hippo_core::PhiMode,
    pub rate: u32,
    pub in_doubt_after: Duration,
}

/// The typed configuration every command runs with.
#[derive(Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// May hold a password: never printed.
    pub database_url: Option<Zeroizing<String>>,
    /// PostgreSQL pool size per node.
    pub database_max_connections: u32,
    /// How cluster events travel; `None` on SQLite (one node, no bus).
    /// Defaults to [`ClusterBus::Postgres`] on PostgreSQL.
    pub cluster_bus: Option<ClusterBus>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    pub insecure_http: bool,
    pub master_key_file: PathBuf,
    pub master_key_file_is_default: bool,
    pub audit_signing_key_file: PathBuf,
    pub break_glass_duration: Duration,
    pub syslog_target: Option<crate::syslog::Target>,
    pub syslog_ca_file: Option<PathBuf>,
    /// The client certificate and key for a tls:// collector.
    pub syslog_client: Option<(PathBuf, PathBuf)>,
    pub syslog_forward_trail: bool,
    pub audit_witness_file: Option<PathBuf>,
    pub session_idle_timeout: Duration,
    pub session_max_lifetime: Duration,
    pub login_max_failures: u32,
    pub login_lockout: Duration,
    pub require_mfa: bool,
    pub organisation_name: Option<String>,
    pub max_upload: u64,
    pub retention: Option<Duration>,
    pub deactivate_after: Option<Duration>,
    pub activity: hippo_service::audit::activity::ActivityThresholds,
    pub backup_dir: Option<PathBuf>,
    pub backup_interval: Duration,
    pub backup_keep: u32,
    /// `None`: no scheduled restore drills.
    pub backup_drill_interval: Option<Duration>,
    /// `None`: the WhatsApp endpoints answer 503 `channel_not_configured`.
    pub whatsapp: Option<WhatsappSettings>,
    /// ICE servers, the TURN secret (read from its file) and relay-only.
    pub calls: hippo_service::calls::CallsConfig,
    /// The SFU's UDP address; `None`: no group calls.
    pub media_listen: Option<SocketAddr>,
    pub media_public_addr: Option<SocketAddr>,
    /// Browser origins allowed to call the API (CORS).
    pub cors_origins: Vec<String>,
    /// Where outgoing webhooks may go, and their time-out.
    pub webhooks: hippo_service::webhooks::WebhookConfig,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<hippo_service::net::IpNet>,
    pub forwarded_header: hippo_service::net::ForwardedHeader,
    pub unauthenticated_rate: hippo_http::unauthenticated::UnauthenticatedRate,
    /// The connection loop's deadlines and limits.
    pub connection_limits: hippo_http::server::Limits,
    /// The tracing filter of the log.
    pub log: String,
    pub log_format: super::parse::LogFormat,
    /// A log line per HTTP request.
    pub access_log: bool,
    /// A separate plain-HTTP listener for `/metrics`.
    pub metrics_listen: Option<SocketAddr>,
    /// Settings given that this version accepts but does not act on yet.
    pub inactive: Vec<&'static str>,
}

impl Config {
    /// The database is PostgreSQL (a cluster of nodes may share it).
    pub fn on_postgres(&self) -> bool {
        self.database_url
            .as_ref()
            .is_some_and(|u| u.starts_with("postgres"))
    }
}

impl Config {
    /// Checks that each file the settings name can be read (for
    /// `hippo settings check`; key files are created on first start, so
    /// only those given explicitly are checked).
    pub fn check_files(&self) -> Result<(), SettingError> {
        let explicit_master = (!self.master_key_file_is_default).then_some(&self.master_key_file);
        let files = [
            ("tls_cert", self.tls_cert.as_ref()),
            ("tls_key", self.tls_key.as_ref()),
            ("tls_client_ca", self.tls_client_ca.as_ref()),
            ("syslog_ca_file", self.syslog_ca_file.as_ref()),
            (
                "syslog_client_cert",
                self.syslog_client.as_ref().map(|(cert, _)| cert),
            ),
            (
                "syslog_client_key",
                self.syslog_client.as_ref().map(|(_, key)| key),
            ),
            ("master_key_file", explicit_master),
        ];
        for (key, path) in files {
            if let Some(path) = path
                && let Err(e) = std::fs::File::open(path)
            {
                return Err(bad(key, format!("cannot read {}: {e}", path.display())));
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("cluster_bus", &self.cluster_bus)
            .field("insecure_http", &self.insecure_http)
            .field("require_mfa", &self.require_mfa)
            .finish_non_exhaustive()
    }
}

impl TryFrom<Settings> for Config {
    type Error = SettingError;

    fn try_from(s: Settings) -> Result<Self, SettingError> {
        if s.tls_cert.is_some() != s.tls_key.is_some() {
            let missing = if s.tls_cert.is_none() {
                "tls_cert"
            } else {
                "tls_key"
            };
            return Err(bad(missing, "tls_cert and tls_key must be given together"));
        }
        if s.syslog_client_cert.is_some() != s.syslog_client_key.is_some() {
            return Err(bad(
                "syslog_client_cert",
                "syslog_client_cert and syslog_client_key must be given together",
            ));
        }
        if matches!(s.syslog_target, Some(crate::syslog::Target::Tls { .. }))
            && s.syslog_ca_file.is_none()
        {
            return Err(bad(
                "syslog_target",
                "tls:// needs --syslog-ca-file (HIPPO_SYSLOG_CA_FILE) naming the collector's CA",
            ));
        }
        let on_postgres = s
            .database_url
            .as_ref()
            .is_some_and(|u| u.starts_with("postgres"));
        let cluster_bus = match (s.cluster_bus, on_postgres) {
            (Some(bus), true) => Some(bus),
            (None, true) => Some(ClusterBus::Postgres),
            (Some(bus), false) => {
                return Err(bad(
                    "cluster_bus",
                    format!(
                        "`{bus}`: the cluster bus needs PostgreSQL (--database-url postgres://…); \
                         with SQLite hippo runs as one node"
                    ),
                ));
            }
            (None, false) => None,
        };
        let (master_key_file, master_key_file_is_default) = match s.master_key_file {
            Some(p) => (p, false),
            None => (s.data_dir.join("master.key"), true),
        };
        let audit_signing_key_file = s
            .audit_signing_key_file
            .unwrap_or_else(|| s.data_dir.join("audit-signing.key"));
        let whatsapp = whatsapp(
            s.whatsapp_phone_number_id,
            s.whatsapp_business_account_id,
            s.whatsapp_access_token,
            s.whatsapp_app_secret,
            s.whatsapp_verify_token,
        )?
        .map(|(ids, secrets)| WhatsappSettings {
            api_base: s.whatsapp_api_base,
            api_version: s.whatsapp_api_version,
            phone_number_id: ids.0,
            business_account_id: ids.1,
            access_token: secrets.0,
            app_secret: secrets.1,
            verify_token: secrets.2,
            phi_mode: s.whatsapp_phi_mode,
            rate: s.whatsapp_rate,
            in_doubt_after: s.whatsapp_in_doubt_after,
        });
        Ok(Config {
            data_dir: s.data_dir,
            listen: s.listen,
            database_url: s.database_url,
            database_max_connections: s.database_max_connections,
            cluster_bus,
            tls_cert: s.tls_cert,
            tls_key: s.tls_key,
            tls_client_ca: s.tls_client_ca,
            insecure_http: s.insecure_http,
            master_key_file,
            master_key_file_is_default,
            audit_signing_key_file,
            break_glass_duration: s.break_glass_duration,
            syslog_target: s.syslog_target,
            syslog_ca_file: s.syslog_ca_file,
            syslog_client: s.syslog_client_cert.zip(s.syslog_client_key),
            syslog_forward_trail: s.syslog_forward_trail,
            audit_witness_file: s.audit_witness_file,
            session_idle_timeout: s.session_idle_timeout,
            session_max_lifetime: s.session_max_lifetime,
            login_max_failures: s.login_max_failures,
            login_lockout: s.login_lockout,
            require_mfa: s.require_mfa,
            organisation_name: s.organisation_name,
            max_upload: s.max_upload,
            retention: s.retention,
            deactivate_after: s.deactivate_after,
            activity: hippo_service::audit::activity::ActivityThresholds {
                window: s.activity_review_window,
                bulk_reads: s.activity_bulk_reads,
                many_patients: s.activity_many_patients,
                denied: s.activity_denied,
                break_glass: s.activity_break_glass,
                after_hours: s.activity_after_hours,
                flagged_patients: s.activity_flagged_patients,
            },
            backup_dir: s.backup_dir,
            backup_interval: s.backup_interval,
            backup_keep: s.backup_keep,
            backup_drill_interval: s.backup_drill_interval,
            whatsapp,
            calls: calls(s.turn_urls, s.turn_secret_file, s.calls_relay_only)?,
            media_listen: s.media_listen,
            media_public_addr: s.media_public_addr,
            cors_origins: s.cors_origins.unwrap_or_default(),
            webhooks: hippo_service::webhooks::WebhookConfig {
                allowed_networks: s.webhook_allowed_networks.unwrap_or_default(),
                timeout: s.webhook_timeout,
            },
            connection_limits: hippo_http::server::Limits {
                handshake_timeout: s.handshake_timeout,
                header_timeout: s.header_timeout,
                idle_timeout: s.idle_timeout,
                max_connections_per_address: s.max_connections_per_address as usize,
                body: hippo_http::body_deadline::BodyRate {
                    grace: s.body_timeout,
                    min_rate: s.min_body_rate,
                },
                exempt: s.trusted_proxies.clone().unwrap_or_default(),
            },
            trusted_proxies: s.trusted_proxies.unwrap_or_default(),
            forwarded_header: s.forwarded_header,
            unauthenticated_rate: hippo_http::unauthenticated::UnauthenticatedRate {
                per_second: s.unauthenticated_rate,
                burst: s.unauthenticated_rate.saturating_mul(10),
            },
            log: s.log,
            log_format: s.log_format,
            access_log: s.access_log,
            metrics_listen: s.metrics_listen,
            inactive: Vec::new(),
        })
    }
}

/// The calls settings, with the TURN secret read from its file.
fn calls(
    urls: Option<Vec<String>>,
    secret_file: Option<PathBuf>,
    relay_only: bool,
) -> Result<hippo_service::calls::CallsConfig, SettingError> {
    let turn_secret = match secret_file {
        None => None,
        Some(path) => {
            let text = Zeroizing::new(std::fs::read(&path).map_err(|e| {
                bad(
                    "turn_secret_file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?);
            let trimmed = text.trim_ascii();
            if trimmed.is_empty() {
                return Err(bad(
                    "turn_secret_file",
                    format!("{} is empty", path.display()),
                ));
            }
            Some(hippo_service::calls::TurnSecret::new(Zeroizing::new(
                trimmed.to_vec(),
            )))
        }
    };
    let cfg = hippo_service::calls::CallsConfig {
        ice_urls: urls.unwrap_or_default(),
        turn_secret,
        relay_only,
    };
    cfg.check().map_err(|why| bad("turn_urls", why))?;
    Ok(cfg)
}

type Ids = (String, String);
type Secrets = (Zeroizing<String>, Zeroizing<String>, Zeroizing<String>);

/// The channel's five required settings: all (on), none (off), or an error
/// naming the missing ones.
fn whatsapp(
    phone_number_id: Option<String>,
    business_account_id: Option<String>,
    access_token: Option<Zeroizing<String>>,
    app_secret: Option<Zeroizing<String>>,
    verify_token: Option<Zeroizing<String>>,
) -> Result<Option<(Ids, Secrets)>, SettingError> {
    let given = [
        ("whatsapp_phone_number_id", phone_number_id.is_some()),
        (
            "whatsapp_business_account_id",
            business_account_id.is_some(),
        ),
        ("whatsapp_access_token", access_token.is_some()),
        ("whatsapp_app_secret", app_secret.is_some()),
        ("whatsapp_verify_token", verify_token.is_some()),
    ];
    match (
        phone_number_id,
        business_account_id,
        access_token,
        app_secret,
        verify_token,
    ) {
        (Some(p), Some(b), Some(t), Some(a), Some(v)) => Ok(Some(((p, b), (t, a, v)))),
        _ if given.iter().any(|(_, g)| *g) => {
            let missing: Vec<&str> = given.iter().filter(|(_, g)| !g).map(|(k, _)| *k).collect();
            Err(bad(
                missing
                    .first()
                    .copied()
                    .unwrap_or("whatsapp_phone_number_id"),
                format!(
                    "the WhatsApp channel needs all of its settings; missing: {}",
                    missing.join(", ")
                ),
            ))
        }
        _ => Ok(None),
    }
}
