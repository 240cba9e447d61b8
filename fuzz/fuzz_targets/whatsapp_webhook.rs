//! Fuzzes the WhatsApp webhook: `POST /api/v1/whatsapp/webhook`, the one
//! endpoint anyone on the internet can post to, whose body
//! [`hippo_whatsapp::parse_webhook`] reads (after
//! [`hippo_whatsapp::verify_signature`] checked its `X-Hub-Signature-256`).
//!
//! Properties, beyond "never panics" (which `parse_webhook` promises):
//! - the parser's own contract: a body is refused only when it is not JSON
//!   (`NotJson`) or has no `entry` array (`NoEntry`); anything else gives
//!   events, and never more events than the body has bytes;
//! - the signature check accepts the signature `sign` makes for the body,
//!   refuses it for any other body, and accepts a header taken from the
//!   input only if it is that signature (in either case of hex, trimmed).
#![no_main]

use hippo_whatsapp::{WebhookParseError, parse_webhook, sign, verify_signature};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-app-secret";

fuzz_target!(|data: &[u8]| {
    let value = serde_json::from_slice::<serde_json::Value>(data);
    match parse_webhook(data) {
        Ok(events) => {
            let value = value.expect("a body that parses is JSON");
            assert!(
                value.get("entry").is_some_and(serde_json::Value::is_array),
                "events from a body without an entry array"
            );
            assert!(events.len() <= data.len(), "more events than bytes");
        }
        Err(WebhookParseError::NotJson) => assert!(value.is_err(), "JSON refused as not JSON"),
        Err(WebhookParseError::NoEntry) => {
            let value = value.expect("NoEntry for a body that is not JSON");
            assert!(
                !value.get("entry").is_some_and(serde_json::Value::is_array),
                "NoEntry for a body with an entry array"
            );
        }
    }

    // The signature: the real one verifies, a header from the input only
    // when it is the real one.
    let good = sign(SECRET, data);
    assert!(verify_signature(SECRET, Some(&good), data));
    assert!(!verify_signature(SECRET, None, data));
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(header) = std::str::from_utf8(header) {
        let real = sign(SECRET, body);
        let accepted = verify_signature(SECRET, Some(header), body);
        let same = header
            .trim()
            .strip_prefix("sha256=")
            .is_some_and(|hex| hex.to_ascii_lowercase() == real["sha256=".len()..]);
        assert_eq!(accepted, same, "signature check disagrees for {header:?}");
        if body != data {
            assert!(!verify_signature(SECRET, Some(&real), data) || sign(SECRET, data) == real);
        }
    }
});
