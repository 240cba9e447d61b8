//! `X-Hub-Signature-256` checks.

use hippo_whatsapp::{sign, verify_signature};

const SECRET: &[u8] = b"fake-app-secret";
const BODY: &[u8] = include_bytes!("../samples/webhook-inbound-text.json");

#[test]
fn good_signature_verifies() {
    let header = sign(SECRET, BODY);
    assert!(header.starts_with("sha256="));
    assert_eq!(header.len(), "sha256=".len() + 64);
    assert!(verify_signature(SECRET, Some(&header), BODY));
}

#[test]
fn wrong_secret_fails() {
    let header = sign(b"another-secret", BODY);
    assert!(!verify_signature(SECRET, Some(&header), BODY));
}

#[test]
fn flipped_body_byte_fails() {
    let header = sign(SECRET, BODY);
    for at in [0, BODY.len() / 2, BODY.len() - 1] {
        let mut body = BODY.to_vec();
        body[at] ^= 0x01;
        assert!(!verify_signature(SECRET, Some(&header), &body), "byte {at}");
    }
}

#[test]
fn missing_or_malformed_header_fails() {
    let header = sign(SECRET, BODY);
    let hex = header.strip_prefix("sha256=").unwrap();
    let bad = [
        String::new(),
        "sha256=".to_owned(),
        hex.to_owned(),
        format!("sha1={hex}"),
        format!("SHA256={hex}"),
        format!("sha256={}", &hex[..62]),
        format!("sha256={hex}00"),
        format!("sha256={}", &hex[..63]),
        format!("sha256={}zz", &hex[..62]),
        format!("sha256= {hex}"),
        format!("sha256={}", "0".repeat(64)),
    ];
    assert!(!verify_signature(SECRET, None, BODY));
    for header in &bad {
        assert!(!verify_signature(SECRET, Some(header), BODY), "{header:?}");
    }
}

#[test]
fn uppercase_hex_is_the_same_digest() {
    let header = sign(SECRET, BODY);
    let upper = format!("sha256={}", header["sha256=".len()..].to_ascii_uppercase());
    assert!(verify_signature(SECRET, Some(&upper), BODY));
    assert!(verify_signature(SECRET, Some(&format!(" {header} ")), BODY));
}

#[test]
fn non_ascii_bodies_are_signed_as_raw_bytes() {
    // What Meta sends (escaped) and what a re-serializer would produce (raw
    // UTF-8) are different bytes: only the received bytes verify.
    let escaped = br#"{"text":{"body":"Caf\u00e9 \u2713"}}"#;
    let raw = "{\"text\":{\"body\":\"Café ✓\"}}".as_bytes();
    let header = sign(SECRET, escaped);
    assert!(verify_signature(SECRET, Some(&header), escaped));
    assert!(!verify_signature(SECRET, Some(&header), raw));
    let header = sign(SECRET, raw);
    assert!(verify_signature(SECRET, Some(&header), raw));
}
