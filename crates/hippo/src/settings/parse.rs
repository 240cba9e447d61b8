//! Value parsers named by the setting declarations. Each turns one text
//! value into its type or says why not; the caller adds which setting.

use hippo_core::units::{parse_duration, parse_size};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

/// The bus cluster events travel over (the `cluster_bus` setting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterBus {
    /// PostgreSQL `LISTEN`/`NOTIFY` on the database itself.
    Postgres,
    /// A NATS server, `nats://HOST:PORT`.
    Nats(String),
}

impl std::fmt::Display for ClusterBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClusterBus::Postgres => f.write_str("postgres"),
            ClusterBus::Nats(url) => f.write_str(url),
        }
    }
}

pub fn text(v: &str) -> Result<String, String> {
    Ok(v.to_owned())
}

/// A comma-separated list of URLs (each without spaces).
pub fn url_list(v: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    if list.is_empty() || list.iter().any(|u| u.contains(char::is_whitespace)) {
        return Err("expected comma-separated URLs".into());
    }
    Ok(list)
}

/// Comma-separated web origins (`scheme://host[:port]`, nothing more).
pub fn origin_list(v: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| o.trim_end_matches('/').to_owned())
        .collect();
    if list.is_empty() {
        return Err("expected comma-separated origins such as https://ehr.example.org".into());
    }
    for o in &list {
        let Some((scheme, rest)) = o.split_once("://") else {
            return Err(format!(
                "`{o}` is not an origin such as https://ehr.example.org"
            ));
        };
        if !matches!(scheme, "https" | "http")
            || rest.is_empty()
            || rest.contains(['/', '?', '#', '@', '*'])
            || rest.contains(char::is_whitespace)
        {
            return Err(format!(
                "`{o}` is not an origin such as https://ehr.example.org (scheme, host and port only)"
            ));
        }
    }
    Ok(list)
}

/// Comma-separated networks in CIDR form (a bare address is one host).
pub fn network_list(v: &str) -> Result<Vec<hippo_service::net::IpNet>, String> {
    let list = v
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            hippo_service::net::parse_network(n)
                .ok_or_else(|| format!("`{n}` is not a network such as 10.0.0.0/8"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if list.is_empty() {
        return Err("expected comma-separated networks such as 10.0.0.0/8".into());
    }
    Ok(list)
}

pub fn path(v: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(v))
}

pub fn secret(v: &str) -> Result<Zeroizing<String>, String> {
    Ok(Zeroizing::new(v.to_owned()))
}

pub fn addr(v: &str) -> Result<SocketAddr, String> {
    v.parse()
        .map_err(|_| format!("`{v}` is not an address like 127.0.0.1:8443"))
}

pub fn boolean(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(format!("`{other}` is not true or false")),
    }
}

/// A duration greater than zero.
pub fn duration(v: &str) -> Result<Duration, String> {
    let d = parse_duration(v)?;
    if d.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(d)
}

/// A message retention period: at least an hour.
pub fn retention(v: &str) -> Result<Duration, String> {
    let d = parse_duration(v)?;
    if d < Duration::from_secs(3600) {
        return Err("must be at least 1h".into());
    }
    Ok(d)
}

/// How long an account may go unused before it is deactivated: at least
/// a day (a shorter one would close accounts over a weekend's leave).
pub fn deactivate_after(v: &str) -> Result<Duration, String> {
    let d = parse_duration(v)?;
    if d < Duration::from_secs(86_400) {
        return Err("must be at least 1d".into());
    }
    Ok(d)
}

/// The activity review's window: `0` (no review), or at least a minute.
pub fn activity_window(v: &str) -> Result<Duration, String> {
    if v.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    let d = parse_duration(v)?;
    if d < Duration::from_secs(60) {
        return Err("must be 0 (off) or at least 1m".into());
    }
    Ok(d)
}

/// A whole number of at least `MIN`.
pub fn number<const MIN: u32>(v: &str) -> Result<u32, String> {
    match v.trim().parse::<u32>() {
        Ok(n) if n >= MIN => Ok(n),
        _ => Err(format!("`{v}` is not a whole number of at least {MIN}")),
    }
}

/// A size in bytes such as `100MiB`, more than zero.
pub fn size(v: &str) -> Result<u64, String> {
    match parse_size(v)? {
        0 => Err("must be more than 0 bytes".into()),
        n => Ok(n),
    }
}

pub fn database_url(v: &str) -> Result<Zeroizing<String>, String> {
    if v.starts_with("postgres://") || v.starts_with("postgresql://") || v.starts_with("sqlite:") {
        Ok(Zeroizing::new(v.to_owned()))
    } else {
        Err("must start with postgres://, postgresql:// or sqlite:".into())
    }
}

pub fn syslog_target(v: &str) -> Result<crate::syslog::Target, String> {
    crate::syslog::Target::parse(v)
}

pub fn phi_mode(v: &str) -> Result<hippo_core::PhiMode, String> {
    hippo_core::PhiMode::parse(v.trim())
        .ok_or_else(|| format!("`{v}` is not notify_only or patient_requested"))
}

pub fn api_base(v: &str) -> Result<String, String> {
    if v.starts_with("https://")
        || v.starts_with("http://127.0.0.1")
        || v.starts_with("http://localhost")
    {
        Ok(v.to_owned())
    } else {
        Err("must be an https:// URL".into())
    }
}

pub fn api_version(v: &str) -> Result<String, String> {
    if v.starts_with('v') && v.len() <= 10 {
        Ok(v.to_owned())
    } else {
        Err(format!("`{v}` is not a version like v25.0"))
    }
}

/// `postgres`, or `nats://HOST:PORT`.
pub fn cluster_bus(v: &str) -> Result<ClusterBus, String> {
    let v = v.trim();
    if v == "postgres" {
        return Ok(ClusterBus::Postgres);
    }
    let bad = || format!("`{v}` is not postgres or a nats://HOST:PORT URL");
    let rest = v.strip_prefix("nats://").ok_or_else(bad)?;
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let host_ok = !host.is_empty()
        && (host.starts_with('[') && host.ends_with(']')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    match port.parse::<u16>() {
        Ok(p) if p > 0 && host_ok => Ok(ClusterBus::Nats(v.to_owned())),
        _ => Err(bad()),
    }
}

/// The `log_format` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl std::fmt::Display for LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        })
    }
}

pub fn forwarded_header(v: &str) -> Result<hippo_service::net::ForwardedHeader, String> {
    use hippo_service::net::ForwardedHeader;
    match v.trim().to_ascii_lowercase().as_str() {
        "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
        "forwarded" => Ok(ForwardedHeader::Forwarded),
        other => Err(format!("`{other}` is not x-forwarded-for or forwarded")),
    }
}

pub fn log_format(v: &str) -> Result<LogFormat, String> {
    match v.trim() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("`{other}` is not text or json")),
    }
}

/// A tracing filter (`info`, `warn,hippo::access=off`), checked here so a
/// typo is a settings error rather than a silently quiet log.
pub fn log_filter(v: &str) -> Result<String, String> {
    let v = v.trim();
    tracing_subscriber::EnvFilter::builder()
        .parse(v)
        .map(|_| v.to_owned())
        .map_err(|e| {
            format!("`{v}` is not a log filter such as info or warn,hippo::access=off: {e}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_bus_takes_postgres_or_a_nats_address() {
        assert_eq!(cluster_bus("postgres"), Ok(ClusterBus::Postgres));
        assert_eq!(
            cluster_bus("nats://nats.internal:4222"),
            Ok(ClusterBus::Nats("nats://nats.internal:4222".into()))
        );
        assert_eq!(
            cluster_bus("nats://[::1]:4222"),
            Ok(ClusterBus::Nats("nats://[::1]:4222".into()))
        );
        for bad in [
            "redis://x:1",
            "nats://host",
            "nats://:4222",
            "nats://host:0",
            "nats://host:http",
            "nats://user:pw@host:4222",
            "nats://host:4222/path",
            "",
        ] {
            let e = cluster_bus(bad).unwrap_err();
            assert!(
                e.contains("is not postgres or a nats://HOST:PORT URL"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn numbers_and_sizes_have_lower_bounds() {
        assert_eq!(number::<2>("2"), Ok(2));
        assert!(number::<2>("1").unwrap_err().contains("at least 2"));
        assert_eq!(size("1MiB"), Ok(1024 * 1024));
        assert_eq!(size("0"), Err("must be more than 0 bytes".into()));
        assert_eq!(retention("30m"), Err("must be at least 1h".into()));
        assert_eq!(duration("0s"), Err("must be greater than zero".into()));
        assert_eq!(boolean(" Yes "), Ok(true));
    }
}
