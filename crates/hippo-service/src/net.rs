//! IP networks as operators and administrators write them (API keys'
//! allowed networks, `webhook_allowed_networks`, `trusted_proxies`): CIDR
//! text or a bare address (one host), peer addresses as sockets report
//! them, and the client's address behind trusted reverse proxies, as
//! `X-Forwarded-For` or RFC 7239 `Forwarded` names it.

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

/// The header a trusted proxy names the client in. Only one is read: a
/// proxy that overwrites `X-Forwarded-For` usually passes a client's own
/// `Forwarded` through untouched (and the other way round), so believing
/// both would let a client name itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx, HAProxy, most balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1`.
    Forwarded,
}

impl ForwardedHeader {
    /// The header's name, lower-case.
    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }

    /// The hops the header's values (in header order) name, left to right:
    /// address text, or something else (which stops [`client_address`]'s
    /// walk).
    pub fn hops(self, values: &[&str]) -> Vec<String> {
        match self {
            Self::XForwardedFor => values
                .iter()
                .flat_map(|value| value.split(','))
                .map(str::trim)
                .filter(|hop| !hop.is_empty())
                .map(str::to_owned)
                .collect(),
            Self::Forwarded => values.iter().flat_map(|v| forwarded_for(v)).collect(),
        }
    }
}

/// The `for=` node of each element of an RFC 7239 `Forwarded` value, as
/// address text when it is one (`192.0.2.7`, `"192.0.2.7:4711"`,
/// `"[2001:db8::1]:4711"`); `unknown`, an obfuscated `_name`, a missing
/// `for` or a malformed element yields text that is no address. Written
/// here rather than taken from a crate: the grammar is a few lines (§4,
/// quoted strings with escapes), and the crates that parse it are
/// unmaintained.
fn forwarded_for(value: &str) -> Vec<String> {
    let mut elements = Vec::new();
    let mut node: Option<String> = None;
    let mut malformed = false;
    let mut chars = value.chars().peekable();
    loop {
        // One pair: name "=" (token / quoted-string), or an empty pair.
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' || c == ',' {
                break;
            }
            name.push(c);
            chars.next();
        }
        let mut text = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => text.extend(chars.next()),
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => text.push(c),
                    }
                }
                malformed |= !closed;
            }
            while let Some(&c) = chars.peek() {
                if c == ';' || c == ',' {
                    break;
                }
                text.push(c);
                chars.next();
            }
            if name.trim().eq_ignore_ascii_case("for") {
                malformed |= node.is_some();
                node = Some(text.trim().to_owned());
            }
        } else if !name.trim().is_empty() {
            malformed = true;
        }
        match chars.next() {
            Some(';') => {}
            end => {
                let hop = node.take().filter(|_| !malformed);
                elements.push(hop.map_or_else(|| "malformed".to_owned(), |n| node_address(&n)));
                malformed = false;
                if end.is_none() {
                    break;
                }
            }
        }
    }
    elements
}

/// A `Forwarded` node's address without its port (`[v6]:port`, `[v6]`,
/// `v4:port`, `v4`); anything else unchanged.
fn node_address(node: &str) -> String {
    if let Some(rest) = node.strip_prefix('[') {
        if let Some((v6, _port)) = rest.split_once(']') {
            return v6.to_owned();
        }
        return node.to_owned();
    }
    match node.split_once(':') {
        Some((v4, _port)) if v4.parse::<std::net::Ipv4Addr>().is_ok() => v4.to_owned(),
        _ => node.to_owned(),
    }
}

/// The client's address: `peer` itself unless it is one of `trusted`
/// proxies; then the forwarded `hops` (left to right, see
/// [`ForwardedHeader::hops`]) are read from the right, past every trusted
/// hop, and the first address that is not a trusted proxy is the client.
/// Entries left of it were written by the client and are never believed;
/// an entry that is not an address stops the walk at the trusted hop that
/// passed it on.
pub fn client_address(peer: IpAddr, hops: &[String], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip));
    let mut client = unmapped(peer);
    if !is_trusted(client) {
        return client;
    }
    for hop in hops.iter().rev() {
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

    fn client_address(peer: IpAddr, values: &[&str], trusted: &[IpNet]) -> IpAddr {
        super::client_address(peer, &ForwardedHeader::XForwardedFor.hops(values), trusted)
    }

    #[test]
    fn forwarded_elements_name_their_for_node() {
        let hops = |v: &[&str]| ForwardedHeader::Forwarded.hops(v);
        assert_eq!(
            hops(&["for=192.0.2.60;proto=http;by=203.0.113.43"]),
            ["192.0.2.60"]
        );
        assert_eq!(
            hops(&[r#"For="[2001:db8:cafe::17]:4711", for=198.51.100.17"#]),
            ["2001:db8:cafe::17", "198.51.100.17"]
        );
        // Split over two header lines; a quoted port; a quoted escape.
        assert_eq!(
            hops(&[r#"for="192.0.2.43:47011""#, r#"proto=https;for="\[::1]""#]),
            ["192.0.2.43", "::1"]
        );
        // No address: each stops the walk (no element is skipped over).
        for bad in [
            "for=unknown",
            "for=_hidden",
            "proto=https",
            "for=192.0.2.1;for=192.0.2.2",
            "for=\"192.0.2.1",
            "garbage",
        ] {
            let got = hops(&[bad]);
            assert_eq!(got.len(), 1, "{bad}");
            assert!(got[0].parse::<IpAddr>().is_err(), "{bad}: {got:?}");
        }
        let trusted = [parse_network("10.0.0.0/8").unwrap()];
        let proxy = "10.0.0.5".parse().unwrap();
        // What the client wrote (left) is not believed; the proxy's is.
        assert_eq!(
            super::client_address(
                proxy,
                &hops(&["for=1.2.3.4, for=203.0.113.7;proto=https"]),
                &trusted
            ),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            super::client_address(proxy, &hops(&["for=203.0.113.7, for=unknown"]), &trusted),
            proxy
        );
    }

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
