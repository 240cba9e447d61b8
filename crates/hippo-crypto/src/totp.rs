//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps,
//! 6 digits), compatible with every authenticator app. The caller stores the
//! last accepted step so that each code is accepted once.

use crate::{CryptoError, constant_time_eq, random};
use aws_lc_rs::hmac;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use zeroize::Zeroizing;

pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;

/// A new 160-bit secret.
pub fn generate_secret() -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    Ok(Zeroizing::new(random::bytes::<20>()?.to_vec()))
}

/// RFC 4648 base32 without padding, as authenticator apps expect.
pub fn base32(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

/// What a label or parameter of the `otpauth://` URI keeps unescaped: the
/// RFC 3986 unreserved characters.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `otpauth://` URI that authenticator apps scan.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let issuer = utf8_percent_encode(issuer, URI_COMPONENT);
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        utf8_percent_encode(account, URI_COMPONENT),
        base32(secret),
    )
}

/// The code for a time step, zero-padded.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let h = tag.as_ref();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The step a Unix time falls in.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// Checks `code` against the current step and one step either side (clock
/// drift), accepting only steps after `last_used_step`. Returns the matched
/// step, which the caller must store as the new `last_used_step`.
pub fn verify(
    secret: &[u8],
    code: &str,
    unix_secs: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_secs);
    let mut matched = None;
    for step in [now - 1, now, now + 1] {
        if last_used_step.is_some_and(|last| step <= last) {
            continue;
        }
        if constant_time_eq(code_at_step(secret, step).as_bytes(), code.as_bytes())
            && matched.is_none()
        {
            matched = Some(step);
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_vectors_sha1() {
        // RFC 6238 appendix B, truncated from 8 to 6 digits.
        assert_eq!(code_at_step(RFC_SECRET, step_of(59)), "287082");
        assert_eq!(code_at_step(RFC_SECRET, step_of(1_111_111_109)), "081804");
        assert_eq!(code_at_step(RFC_SECRET, step_of(1_234_567_890)), "005924");
        assert_eq!(code_at_step(RFC_SECRET, step_of(2_000_000_000)), "279037");
    }

    #[test]
    fn accepts_drift_and_refuses_replay() {
        let t = 1_234_567_890;
        let code = code_at_step(RFC_SECRET, step_of(t));
        let step = verify(RFC_SECRET, &code, t, None).unwrap();
        assert_eq!(step, step_of(t));
        assert_eq!(verify(RFC_SECRET, &code, t, Some(step)), None, "replay");
        assert_eq!(
            verify(RFC_SECRET, &code, t + 30, None),
            Some(step),
            "one step late"
        );
        assert_eq!(verify(RFC_SECRET, &code, t + 90, None), None, "too late");
        assert_eq!(verify(RFC_SECRET, "12345", t, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", t, None), None);
    }

    #[test]
    fn base32_and_uri() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        let uri = otpauth_uri("hippo", "alice", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/hippo:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=hippo&algorithm=SHA1&digits=6&period=30"
        );
        // Labels are escaped (`:` separates issuer and account, `&` and `?`
        // would end the label early), UTF-8 byte by byte.
        let uri = otpauth_uri("St Mary's: ICU", "anna.müller@x&y", b"f");
        assert_eq!(
            uri,
            "otpauth://totp/St%20Mary%27s%3A%20ICU:anna.m%C3%BCller%40x%26y?secret=MY&issuer=St%20Mary%27s%3A%20ICU&algorithm=SHA1&digits=6&period=30"
        );
    }
}
