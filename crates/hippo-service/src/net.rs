//! IP networks as operators and administrators write them (API keys'
//! allowed networks, `webhook_allowed_networks`): CIDR text or a bare
//! address (one host), and peer addresses as sockets report them.

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

#[cfg(test)]
mod tests {
    use super::*;

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
