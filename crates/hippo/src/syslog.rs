//! Forwarding security alerts, signed audit tree heads (as a witness) and
//! the whole audit trail to a SIEM as RFC 5424 syslog messages over
//! TCP (RFC 6587 octet counting) or TLS (RFC 5425).
//!
//! `--syslog-target tcp://host:port` or `tls://host:port` (with
//! `--syslog-ca-file` naming the CA that signed the collector's
//! certificate, and `--syslog-client-cert`/`--syslog-client-key` when it
//! asks for one). The forwarder reconnects with backoff; while the collector
//! is down, alerts wait in a bounded queue (the oldest are dropped, and
//! counted, past 1,024) and are always also kept in the database. The
//! trail (`--syslog-forward-trail`, on by default) is read from the
//! database after the position it last wrote, so nothing of it is lost.

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

/// One audit record as an RFC 5424 message: ids, action and outcome (the
/// trail holds no names or content), its chain hash so the collector can
/// check it; notice for successes, warning for denials and failures.
pub fn format_record(r: &hippo_store::AuditRecord, hostname: &str, pid: u32) -> String {
    let severity = match r.outcome {
        hippo_core::Outcome::Success => 5,
        _ => 4,
    };
    let mut sd = format!(
        "[hippo@32473 seq=\"{}\" action=\"{}\" outcome=\"{}\"",
        r.seq,
        r.action.as_str(),
        r.outcome.as_str()
    );
    for (name, value) in [
        ("actor_id", r.actor_id.as_ref().map(|a| a.as_str())),
        ("session_id", r.session_id.as_ref().map(|s| s.as_str())),
        ("ip", r.ip.as_deref()),
        ("request_id", r.request_id.as_deref()),
        ("resource_type", r.resource_type.as_deref()),
        ("resource_id", r.resource_id.as_deref()),
        ("patient_id", r.patient_id.as_deref()),
        (
            "detail",
            Some(r.detail.as_str()).filter(|d| !d.is_empty() && *d != "{}"),
        ),
        ("hash", Some(r.hash.as_str())),
    ] {
        if let Some(v) = value {
            sd.push_str(&format!(" {name}=\"{}\"", sd_escape(v)));
        }
    }
    sd.push(']');
    format!(
        "<{}>1 {} {} hippo {} audit_record {} {} {}",
        10 * 8 + severity,
        r.at.to_rfc3339(),
        hostname,
        pid,
        sd,
        r.action.as_str(),
        r.outcome.as_str()
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

/// TLS settings for a `tls://` target: trust only the given CA; present
/// `client` (certificate and key files) when given.
pub fn tls_config(
    ca_file: &Path,
    client: Option<&(std::path::PathBuf, std::path::PathBuf)>,
) -> Result<Arc<rustls::ClientConfig>> {
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
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS setup")?
        .with_root_certificates(roots);
    let config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            use rustls::pki_types::pem::PemObject;
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .with_context(|| {
                    format!("cannot read syslog client certificate {}", cert.display())
                })?
                .collect::<Result<_, _>>()
                .with_context(|| format!("{} is not PEM", cert.display()))?;
            let key = rustls::pki_types::PrivateKeyDer::from_pem_file(key)
                .with_context(|| format!("cannot read syslog client key {}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .context("the syslog client certificate and key do not fit")?
        }
    };
    Ok(Arc::new(config))
}

/// A connection's byte stream, TLS or not.
trait Io: tokio::io::AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// An open connection to the collector: the writing half, and whether the
/// collector has closed it (a task reads the other half, which a collector
/// never writes to, until the end).
struct Conn {
    writer: tokio::io::WriteHalf<Box<dyn Io>>,
    closed: Arc<std::sync::atomic::AtomicBool>,
    reader: tokio::task::JoinHandle<()>,
}

impl Conn {
    fn new(stream: Box<dyn Io>) -> Self {
        let (mut read, writer) = tokio::io::split(stream);
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = closed.clone();
        let reader = tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut buf = [0u8; 512];
            while matches!(read.read(&mut buf).await, Ok(n) if n > 0) {}
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        Self {
            writer,
            closed,
            reader,
        }
    }

    fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

async fn connect(target: &Target, tls: Option<&Arc<rustls::ClientConfig>>) -> Result<Conn> {
    let stream: Box<dyn Io> = match target {
        Target::Tcp { host, port } => {
            Box::new(tokio::net::TcpStream::connect((host.as_str(), *port)).await?)
        }
        Target::Tls { host, port } => {
            let Some(config) = tls else {
                bail!("tls:// needs --syslog-ca-file");
            };
            let tcp = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
            let name = ServerName::try_from(host.clone()).context("syslog host name")?;
            Box::new(
                tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name, tcp)
                    .await?,
            )
        }
    };
    Ok(Conn::new(stream))
}

/// How often the trail forwarder looks for new records.
const TRAIL_EVERY: Duration = Duration::from_secs(1);
/// Records forwarded per round at most.
const TRAIL_BATCH: i64 = 2000;

/// RFC 6587 octet counting.
fn framed(message: &str) -> String {
    format!("{} {message}", message.len())
}

/// Forwards alerts, signed tree heads and (given `trail`) every audit
/// record until the alerts close.
///
/// TCP says a write was buffered, not that the collector has it. So a
/// trail batch counts as forwarded (its position saved) only when the
/// connection is still open at the next round, a second later; a batch
/// written into a connection the collector closed is sent again on the
/// next one. Delivery is at least once: a SIEM may see a `seq` twice.
pub fn spawn(
    target: Target,
    tls: Option<Arc<rustls::ClientConfig>>,
    mut alerts: broadcast::Receiver<Alert>,
    mut heads: broadcast::Receiver<hippo_store::TreeHeadRow>,
    trail: Option<hippo_service::audit::Audit>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let host = hostname();
        let pid = std::process::id();
        let mut conn: Option<Conn> = None;
        let mut backoff = Duration::from_secs(1);
        let mut tick = tokio::time::interval(TRAIL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The last trail batch written and not yet known to have arrived.
        let mut unconfirmed: Option<i64> = None;
        loop {
            // What to write, and the last record's seq when it is the trail.
            let (frames, batch_end): (String, Option<i64>) = tokio::select! {
                alert = alerts.recv() => match alert {
                    Ok(a) => (framed(&format(&a, &host, pid)), None),
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
                    Ok(h) => (framed(&format_head(&h, &host, pid)), None),
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
                _ = tick.tick(), if trail.is_some() => {
                    let Some(audit) = trail.as_ref() else { continue };
                    // The last batch arrived if the connection outlived it;
                    // if the collector closed it, the batch goes again.
                    if conn.as_ref().is_some_and(Conn::is_closed) {
                        tracing::warn!("the syslog collector closed the connection; reconnecting");
                        conn = None;
                        unconfirmed = None;
                    }
                    if let Some(seq) = unconfirmed.take()
                        && let Err(e) = audit.forwarded_through(seq).await
                    {
                        tracing::warn!(error = %e, seq, "cannot record the forwarded position; records will be resent");
                    }
                    // One node of a cluster forwards the trail.
                    if !audit.lead_forwarding(TRAIL_EVERY * 10).await {
                        continue;
                    }
                    match audit.records_to_forward(TRAIL_BATCH).await {
                        Ok(records) => match records.last() {
                            None => continue,
                            Some(last) => (
                                records.iter().map(|r| framed(&format_record(r, &host, pid))).collect(),
                                Some(last.seq),
                            ),
                        },
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read the audit trail to forward; retrying");
                            continue;
                        }
                    }
                }
            };
            loop {
                if conn.as_ref().is_some_and(Conn::is_closed) {
                    conn = None;
                    unconfirmed = None;
                }
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
                        c.writer.write_all(frames.as_bytes()).await?;
                        c.writer.flush().await
                    }
                    .await;
                    match sent {
                        Ok(()) => {
                            if batch_end.is_some() {
                                unconfirmed = batch_end;
                            }
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "syslog connection lost; reconnecting");
                            conn = None;
                            unconfirmed = None;
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
