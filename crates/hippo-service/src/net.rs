//! IP networks as operators and administrators write them (API keys'
//! allowed networks, `webhook_allowed_networks`, `trusted_proxies`): CIDR
//! text or a bare address (one host), peer addresses as sockets report
//! them, and the client's address behind trusted reverse proxies.

pub use ipnet::IpNet;
use std::net::IpAddr;

/// `10.0.0.0/8`, `2001:db8::/32` or a bare address, truncated to its
/// network (`10.1.2.3/8` is `10.0.0.0/8`); `None` if it is neither.
pub fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .ok()
        .map(|net| net.trunc())
}

/// An IPv4 peer on a dual-stack socket arrives as `::ffff:a.b.c.d`: the
/// IPv4 address it is.
pub fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: `peer` itself unless it is one of `trusted`
/// proxies; then `X-Forwarded-For` (its values in header order) is read
/// from the right, past every trusted hop, and the first address that is
/// not a trusted proxy is the client. Entries left of it were written by
/// the client and are never believed; an entry that is not an address
/// stops the walk at the trusted hop that passed it on.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip));
    let mut client = unmapped(peer);
    if !is_trusted(client) {
        return client;
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty());
    for hop in hops.rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = unmapped(ip);
        if !is_trusted(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let trusted = [parse_network("10.0.0.0/8").unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.5");
        // Not through a trusted proxy: the header is ignored.
        assert_eq!(
            client_address(ip("198.51.100.9"), &["203.0.113.1"], &trusted),
            ip("198.51.100.9")
        );
        // The proxy appended the client it saw; what the client wrote
        // itself (left of it) is not believed.
        assert_eq!(
            client_address(proxy, &["1.2.3.4, 203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        // Two trusted hops, and the header split over two lines.
        assert_eq!(
            client_address(proxy, &["203.0.113.7", "10.1.1.1"], &trusted),
            ip("203.0.113.7")
        );
        // Garbage stops the walk at the trusted hop that passed it on.
        assert_eq!(
            client_address(proxy, &["203.0.113.7, unknown, 10.1.1.1"], &trusted),
            ip("10.1.1.1")
        );
        // No header: the proxy itself.
        assert_eq!(client_address(proxy, &[], &trusted), proxy);
        // Mapped IPv4 peers count as IPv4.
        assert_eq!(
            client_address(ip("::ffff:10.0.0.5"), &["203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        // Nobody trusted: always the peer.
        assert_eq!(client_address(proxy, &["203.0.113.7"], &[]), proxy);
    }

    #[test]
    fn networks_and_mapped_addresses() {
        assert_eq!(
            parse_network(" 10.1.2.3/8 ").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_network("203.0.113.7").unwrap().to_string(),
            "203.0.113.7/32"
        );
        assert!(parse_network("10.0.0.0/33").is_none());
        assert!(parse_network("example.org").is_none());
        assert_eq!(
            unmapped("::ffff:10.1.2.3".parse().unwrap()),
            "10.1.2.3".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            unmapped("::1".parse().unwrap()),
            "::1".parse::<IpAddr>().unwrap()
        );
    }
}
