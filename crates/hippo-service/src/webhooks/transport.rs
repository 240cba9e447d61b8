//! Where webhooks may go, and the HTTP client that takes them there.
//!
//! A receiver URL must be `https` and must resolve to public addresses
//! only: loopback, private, link-local (cloud metadata), carrier-grade NAT,
//! multicast and other special ranges are refused unless the operator
//! allows a network (`webhook_allowed_networks`); plain `http` is accepted
//! only for a loopback address so allowed (a development setting). The
//! check runs when an endpoint is registered and again inside the client's
//! resolver on every connection, so a name that later resolves elsewhere
//! (DNS rebinding) is refused too. Redirects are never followed (a 3xx is a
//! failed attempt) and no proxy is used, so the checked address is the one
//! connected to.

use crate::{Result, ServiceError};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The operator's webhook settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Networks receivers may be in although they are not public.
    pub allowed_networks: Vec<IpNet>,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allowed_networks: Vec::new(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Whether an address is on the public internet (not loopback, private,
/// link-local, shared, documentation, multicast, reserved…).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // 100.64.0.0/10 shared
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // 192.0.0.0/24
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let IpAddr::V4(v4) = crate::net::unmapped(ip) {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64
        }
    }
}

/// The delivery policy: which addresses a receiver may have.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    allowed: Arc<Vec<IpNet>>,
}

impl Policy {
    pub(crate) fn new(config: &WebhookConfig) -> Self {
        Self {
            allowed: Arc::new(config.allowed_networks.clone()),
        }
    }

    fn explicitly_allowed(&self, ip: IpAddr) -> bool {
        let ip = crate::net::unmapped(ip);
        self.allowed.iter().any(|n| n.contains(&ip))
    }

    /// Whether a connection to `ip` may be made.
    pub(crate) fn address_ok(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.explicitly_allowed(ip)
    }

    /// Checks a receiver URL as given by an administrator; resolves its
    /// host. Returns the URL normalised.
    pub(crate) async fn check_url(&self, url: &str) -> Result<String> {
        let parsed = reqwest::Url::parse(url.trim())
            .map_err(|_| ServiceError::validation("url is not a valid absolute URL"))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(ServiceError::validation(
                "url must not carry credentials; receivers check the signature",
            ));
        }
        if parsed.fragment().is_some() {
            return Err(ServiceError::validation("url must not have a fragment"));
        }
        let scheme = parsed.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(ServiceError::validation("url must be https"));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| ServiceError::validation("url has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|_| {
                    ServiceError::validation(format!("url: the host {host} does not resolve"))
                })?
                .map(|a| a.ip())
                .collect(),
        };
        if addrs.is_empty() {
            return Err(ServiceError::validation(format!(
                "url: the host {host} does not resolve"
            )));
        }
        if let Some(bad) = addrs.iter().find(|ip| !self.address_ok(**ip)) {
            return Err(ServiceError::validation(format!(
                "url: {host} resolves to {bad}, a private or special address; an operator \
                 may allow its network with webhook_allowed_networks"
            )));
        }
        if scheme == "http"
            && !addrs
                .iter()
                .all(|ip| crate::net::unmapped(*ip).is_loopback() && self.explicitly_allowed(*ip))
        {
            return Err(ServiceError::validation(
                "url must be https (plain http only to an allowed loopback address, for \
                 development)",
            ));
        }
        Ok(parsed.to_string())
    }
}

/// Resolves like the system does, then drops every address the policy
/// refuses; a name left with none fails to connect.
struct GuardedResolver {
    policy: Policy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.address_ok(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host}: no permitted address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The client every delivery uses.
pub(crate) fn client(config: &WebhookConfig, policy: &Policy) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(5)))
        .user_agent("hippo-webhooks/1")
        .dns_resolver(Arc::new(GuardedResolver {
            policy: policy.clone(),
        }))
        .build()
        .map_err(|e| ServiceError::Internal(format!("webhook client: {e}")))
}

/// Whether a URL with a literal IP host may be connected to (the resolver
/// never sees those).
pub(crate) fn literal_host_ok(policy: &Policy, url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => policy.address_ok(ip),
        Err(_) => true, // a name: the resolver checks it
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowed: &[&str]) -> Policy {
        Policy::new(&WebhookConfig {
            allowed_networks: allowed.iter().map(|n| n.parse().unwrap()).collect(),
            ..WebhookConfig::default()
        })
    }

    #[test]
    fn special_addresses_are_refused_unless_allowed() {
        let p = policy(&[]);
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!p.address_ok(bad.parse().unwrap()), "{bad} must be refused");
        }
        for good in ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"] {
            assert!(p.address_ok(good.parse().unwrap()), "{good} is public");
        }
        let dev = policy(&["127.0.0.1/32", "10.0.0.0/8"]);
        assert!(dev.address_ok("127.0.0.1".parse().unwrap()));
        assert!(dev.address_ok("::ffff:10.9.9.9".parse().unwrap()));
        assert!(!dev.address_ok("192.168.1.1".parse().unwrap()));
    }

    #[tokio::test]
    async fn urls_must_be_https_public_and_plain() {
        let p = policy(&[]);
        let refused = |r: Result<String>| r.unwrap_err().to_string();
        assert!(refused(p.check_url("ftp://93.184.215.14/x").await).contains("https"));
        assert!(refused(p.check_url("http://93.184.215.14/x").await).contains("https"));
        assert!(refused(p.check_url("https://127.0.0.1/x").await).contains("private"));
        assert!(refused(p.check_url("https://[::1]:8443/x").await).contains("private"));
        assert!(refused(p.check_url("https://u:p@93.184.215.14/").await).contains("credentials"));
        assert!(refused(p.check_url("not a url").await).contains("valid"));
        assert!(p.check_url("https://93.184.215.14/hooks").await.is_ok());
        // Development: loopback allowed, plain http to it accepted.
        let dev = policy(&["127.0.0.0/8"]);
        assert_eq!(
            dev.check_url("http://127.0.0.1:9000/h").await.unwrap(),
            "http://127.0.0.1:9000/h"
        );
        assert!(refused(dev.check_url("http://93.184.215.14/h").await).contains("https"));
        assert!(literal_host_ok(&dev, "http://127.0.0.1:9/"));
        assert!(!literal_host_ok(&p, "http://127.0.0.1:9/"));
    }
}
