//! Outgoing webhook signatures in the Standard Webhooks form
//! (<https://www.standardwebhooks.com>): the secret is `whsec_` followed by
//! base64 of 24 to 64 random bytes; a delivery is signed with
//! HMAC-SHA256 over `"{webhook-id}.{webhook-timestamp}.{body}"` and sent as
//! `webhook-signature: v1,<base64 tag>`. Receivers verify with any Standard
//! Webhooks library (or the few lines in docs/API.md).

use crate::CryptoError;
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// The prefix of a webhook signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A fresh signing secret (`whsec_` + base64 of 32 random bytes).
pub fn generate_secret() -> Result<Zeroizing<String>, CryptoError> {
    let raw = Zeroizing::new(crate::random::bytes::<32>()?);
    Ok(Zeroizing::new(format!(
        "{SECRET_PREFIX}{}",
        STANDARD.encode(raw.as_ref())
    )))
}

/// The key bytes of a `whsec_…` secret; `None` unless it is one (base64
/// of 24 to 64 bytes).
pub fn secret_bytes(secret: &str) -> Option<Zeroizing<Vec<u8>>> {
    let b64 = secret.strip_prefix(SECRET_PREFIX)?;
    let bytes = Zeroizing::new(STANDARD.decode(b64).ok()?);
    (24..=64).contains(&bytes.len()).then_some(bytes)
}

/// The `webhook-signature` header value for one delivery attempt.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!("v1,{}", STANDARD.encode(ctx.sign().as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let key = secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_fresh_and_parse_back() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert_ne!(*a, *b);
        assert_eq!(secret_bytes(&a).unwrap().len(), 32);
        assert!(secret_bytes("whsec_short").is_none());
        assert!(secret_bytes("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
    }
}
