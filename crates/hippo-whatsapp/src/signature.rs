//! Webhook signatures: `X-Hub-Signature-256: sha256=<hex>` where the digest
//! is HMAC-SHA256 keyed with the app secret over the exact raw body bytes.
//!
//! Verify before parsing, on the bytes as received: re-serialized JSON does
//! not match (Meta escapes non-ASCII as `\uXXXX`).

use aws_lc_rs::hmac;

/// The prefix Meta puts before the hex digest.
const PREFIX: &str = "sha256=";

/// Checks `X-Hub-Signature-256` (`sha256=<lowercase hex>`) =
/// HMAC-SHA256(app_secret, raw body), in constant time
/// (`aws_lc_rs::hmac::verify`). Missing header, wrong prefix, bad hex,
/// wrong length → false. Upper-case hex digits are accepted (same bytes).
pub fn verify_signature(app_secret: &[u8], header: Option<&str>, body: &[u8]) -> bool {
    let Some(header) = header else {
        return false;
    };
    let Some(hex) = header.trim().strip_prefix(PREFIX) else {
        return false;
    };
    let Some(tag) = decode_hex(hex) else {
        return false;
    };
    if tag.len() != hmac::HMAC_SHA256.digest_algorithm().output_len() {
        return false;
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, app_secret);
    hmac::verify(&key, body, &tag).is_ok()
}

/// The header value Meta would send for `body` (used by the fake and tests).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, app_secret);
    let tag = hmac::sign(&key, body);
    format!("{PREFIX}{}", encode_hex(tag.as_ref()))
}

/// Lower-case hex.
pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Hex of either case; `None` on an odd length or a non-hex character.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_hex(&encode_hex(&bytes)), Some(bytes));
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex(""), Some(Vec::new()));
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2.
        let header = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            header,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
