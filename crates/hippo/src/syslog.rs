//! Forwarding security alerts (and signed audit tree heads, as a witness)
//! to a SIEM as RFC 5424 syslog messages over
//! TCP (RFC 6587 octet counting) or TLS (RFC 5425).
//!
//! `--syslog-target tcp://host:port` or `tls://host:port` (with
//! `--syslog-ca-file` naming the CA that signed the collector's
//! certificate). The forwarder reconnects with backoff; while the collector
//! is down, alerts wait in a bounded queue (the oldest are dropped, and
//! counted, past 1,024) and are always also kept in the database.

use anyhow::{Context, Result, bail};
use hippo_service::alerts::{Alert, AlertKind};
use rustls::pki_types::{CertificateDer, ServerName};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::broadcast;

/// Where alerts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tcp { host: String, port: u16 },
    Tls { host: String, port: u16 },
}

impl Target {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (scheme, rest) = s
            .split_once("://")
            .ok_or("must look like tcp://host:port or tls://host:port")?;
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or("must name a port, e.g. tls://siem.example:6514")?;
        let port: u16 = port
            .trim_end_matches('/')
            .parse()
            .map_err(|_| format!("bad port {port:?}"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err("must name a host".into());
        }
        match scheme {
            "tcp" => Ok(Self::Tcp {
                host: host.to_owned(),
                port,
            }),
            "tls" => Ok(Self::Tls {
                host: host.to_owned(),
                port,
            }),
            other => Err(format!("scheme must be tcp or tls, not {other}")),
        }
    }
}

/// `<PRI>` of an alert: facility authpriv (10), severity by kind.
fn priority(kind: AlertKind) -> u8 {
    let severity = match kind.severity() {
        "critical" => 2,
        _ => 4,
    };
    10 * 8 + severity
}

/// SD-PARAM value escaping (RFC 5424 §6.3.3).
fn sd_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One alert as an RFC 5424 message (without framing).
pub fn format(alert: &Alert, hostname: &str, pid: u32) -> String {
    let mut sd = format!(
        "[hippo@32473 alert_id=\"{}\" kind=\"{}\" severity=\"{}\"",
        sd_escape(&alert.id),
        alert.kind.as_str(),
        alert.kind.severity()
    );
    if let Some(map) = alert.detail.as_object() {
        for (k, v) in map {
            // SD-NAMEs are printable ASCII without space, '=', ']' or '"'.
            if k.is_empty()
                || k.len() > 32
                || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                continue;
            }
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            sd.push_str(&format!(" {k}=\"{}\"", sd_escape(&value)));
        }
    }
    sd.push(']');
    format!(
        "<{}>1 {} {} hippo {} {} {} {}",
        priority(alert.kind),
        alert.at.to_rfc3339(),
        hostname,
        pid,
        alert.kind.as_str(),
        sd,
        alert.kind.summary()
    )
}

/// A signed audit tree head as an RFC 5424 message (informational): a
/// witness outside hippo's reach keeps what the trail committed to.
pub fn format_head(head: &hippo_store::TreeHeadRow, hostname: &str, pid: u32) -> String {
    use base64::Engine as _;
    format!(
        "<{}>1 {} {} hippo {} audit_tree_head [hippo@32473 tree_size=\"{}\" root_hash=\"{}\" \
         timestamp=\"{}\" signature=\"{}\" key_id=\"{}\"] signed audit tree head",
        10 * 8 + 6,
        head.at.to_rfc3339(),
        hostname,
        pid,
        head.tree_size,
        sd_escape(&head.root_hash),
        sd_escape(&head.timestamp),
        base64::engine::general_purpose::STANDARD.encode(&head.signature),
        sd_escape(&head.key_id),
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or_else(|| "-".to_owned())
}

/// TLS settings for a `tls://` target: trust only the given CA.
pub fn tls_config(ca_file: &Path) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    let certs: Vec<CertificateDer<'static>> =
        rustls::pki_types::pem::PemObject::pem_file_iter(ca_file)
            .with_context(|| format!("cannot read syslog CA file {}", ca_file.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("syslog CA file {} is not PEM", ca_file.display()))?;
    if certs.is_empty() {
        bail!("syslog CA file {} holds no certificate", ca_file.display());
    }
    for cert in certs {
        roots
            .add(cert)
            .context("syslog CA certificate is not usable")?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS setup")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

type Stream = Box<dyn AsyncWrite + Send + Unpin>;

async fn connect(target: &Target, tls: Option<&Arc<rustls::ClientConfig>>) -> Result<Stream> {
    match target {
        Target::Tcp { host, port } => {
            let tcp = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
            Ok(Box::new(tcp))
        }
        Target::Tls { host, port } => {
            let Some(config) = tls else {
                bail!("tls:// needs --syslog-ca-file");
            };
            let tcp = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
            let name = ServerName::try_from(host.clone()).context("syslog host name")?;
            let stream = tokio_rustls::TlsConnector::from(config.clone())
                .connect(name, tcp)
                .await?;
            Ok(Box::new(stream))
        }
    }
}

/// Forwards alerts and signed tree heads until the alerts close.
pub fn spawn(
    target: Target,
    tls: Option<Arc<rustls::ClientConfig>>,
    mut alerts: broadcast::Receiver<Alert>,
    mut heads: broadcast::Receiver<hippo_store::TreeHeadRow>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let host = hostname();
        let pid = std::process::id();
        let mut conn: Option<Stream> = None;
        let mut backoff = Duration::from_secs(1);
        loop {
            let message = tokio::select! {
                alert = alerts.recv() => match alert {
                    Ok(a) => format(&a, &host, pid),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(
                            dropped = n,
                            "syslog forwarder fell behind; alerts dropped (still stored)"
                        );
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                head = heads.recv() => match head {
                    Ok(h) => format_head(&h, &host, pid),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(
                            dropped = n,
                            "syslog forwarder fell behind; tree heads dropped (still stored)"
                        );
                        continue;
                    }
                    // The alerts decide when to stop.
                    Err(broadcast::error::RecvError::Closed) => {
                        heads = broadcast::channel(1).1;
                        continue;
                    }
                },
            };
            let frame = format!("{} {message}", message.len());
            loop {
                if conn.is_none() {
                    match connect(&target, tls.as_ref()).await {
                        Ok(c) => {
                            conn = Some(c);
                            backoff = Duration::from_secs(1);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot reach the syslog collector; retrying");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(30));
                            continue;
                        }
                    }
                }
                if let Some(c) = conn.as_mut() {
                    let sent = async {
                        c.write_all(frame.as_bytes()).await?;
                        c.flush().await
                    }
                    .await;
                    match sent {
                        Ok(()) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "syslog connection lost; reconnecting");
                            conn = None;
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hippo_core::Timestamp;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("tls://siem.example:6514"),
            Ok(Target::Tls {
                host: "siem.example".into(),
                port: 6514
            })
        );
        assert_eq!(
            Target::parse("tcp://[::1]:514"),
            Ok(Target::Tcp {
                host: "::1".into(),
                port: 514
            })
        );
        assert!(Target::parse("udp://x:514").is_err());
        assert!(Target::parse("siem:514").is_err());
        assert!(Target::parse("tcp://siem").is_err());
    }

    #[test]
    fn rfc5424_message() {
        let alert = Alert {
            id: "a1".into(),
            at: Timestamp::from_millis(1_767_225_600_123),
            kind: AlertKind::AccountLocked,
            detail: serde_json::json!({ "user_id": "u\"1]", "failures": 5, "bad key": "x" }),
        };
        let m = format(&alert, "ward-host", 42);
        assert_eq!(
            m,
            "<84>1 2026-01-01T00:00:00.123Z ward-host hippo 42 account_locked \
             [hippo@32473 alert_id=\"a1\" kind=\"account_locked\" severity=\"warning\" \
             failures=\"5\" user_id=\"u\\\"1\\]\"] account locked after repeated failed sign-ins"
        );
    }
}
