//! MFA recovery codes: ten single-use codes handed out once at TOTP
//! enrolment. Each is 16 characters of a 30-letter alphabet without look-alikes
//! (78 random bits), shown as `xxxx-xxxx-xxxx-xxxx`, and stored only as its
//! SHA-256 (inside a sealed field), so neither a database copy nor a memory
//! dump of the row lets anyone sign in with one.

use crate::{CryptoError, hex, random, sha256};
use zeroize::Zeroizing;

/// How many codes an enrolment hands out.
pub const COUNT: usize = 10;
/// Letters and digits without `0 o 1 l i u` (read aloud or copied by hand).
const ALPHABET: &[u8; 30] = b"23456789abcdefghjkmnpqrstvwxyz";
const LEN: usize = 16;

fn is_code_char(b: u8) -> bool {
    ALPHABET.contains(&b)
}

/// Fresh codes for the user, formatted for display.
pub fn generate() -> Result<Vec<Zeroizing<String>>, CryptoError> {
    let mut codes = Vec::with_capacity(COUNT);
    while codes.len() < COUNT {
        let raw = Zeroizing::new(random::bytes::<32>()?);
        // Rejection sampling over 30 letters: bytes >= 240 are skipped so
        // every letter is equally likely.
        let letters: Zeroizing<Vec<u8>> = Zeroizing::new(
            raw.iter()
                .filter(|b| **b < 240)
                .map(|b| ALPHABET[usize::from(*b % 30)])
                .take(LEN)
                .collect(),
        );
        if letters.len() < LEN {
            continue;
        }
        let mut text = Zeroizing::new(String::with_capacity(LEN + 3));
        for (i, chunk) in letters.chunks(4).enumerate() {
            if i > 0 {
                text.push('-');
            }
            text.extend(chunk.iter().map(|b| char::from(*b)));
        }
        codes.push(text);
    }
    Ok(codes)
}

/// The canonical form of what a user typed (case, spaces and dashes
/// ignored), or `None` if it cannot be a recovery code.
pub fn normalize(input: &str) -> Option<Zeroizing<String>> {
    let text: Zeroizing<String> = Zeroizing::new(
        input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_lowercase)
            .collect(),
    );
    (text.len() == LEN && text.bytes().all(is_code_char)).then_some(text)
}

/// The stored form of a code (normalised first).
pub fn hash(code: &str) -> Option<String> {
    normalize(code).map(|c| hex(&sha256(c.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_well_formed_and_parse_back() {
        let codes = generate().unwrap();
        assert_eq!(codes.len(), COUNT);
        let mut hashes: Vec<String> = codes.iter().map(|c| hash(c).unwrap()).collect();
        hashes.sort();
        hashes.dedup();
        assert_eq!(hashes.len(), COUNT);
        for c in &codes {
            assert_eq!(c.len(), 19);
            assert_eq!(c.matches('-').count(), 3);
        }
    }

    #[test]
    fn typing_variations_are_the_same_code() {
        let code = "abcd-efgh-jkmn-pqrs";
        let same = hash(code).unwrap();
        assert_eq!(hash("ABCD EFGH JKMN PQRS").unwrap(), same);
        assert_eq!(hash("abcdefghjkmnpqrs").unwrap(), same);
        assert_ne!(hash("abcd-efgh-jkmn-pqrt").unwrap(), same);
    }

    #[test]
    fn other_input_is_not_a_code() {
        assert!(normalize("123456").is_none());
        assert!(normalize("abcd-efgh-jkmn-pqr").is_none(), "too short");
        assert!(
            normalize("abcd-efgh-jkmn-pqr0").is_none(),
            "0 is not in the alphabet"
        );
        assert!(normalize("abcd-efgh-jkmn-pqr!").is_none());
    }
}
