//! The shipped blocklist: a binary fuse filter (xorf `BinaryFuse16`) over
//! about a million breached passwords, English words and names, built by
//! `tools/build-blocklist.sh` into `data/blocklist.bin`.
//!
//! A key is the first 8 bytes (little-endian `u64`) of SHA-256 of the
//! trimmed, lower-cased entry. A lookup has no false negatives and a false
//! positive rate of about 1 in 65 536 (16-bit fingerprints).
//!
//! File layout, all integers little-endian:
//!
//! | bytes | field                                   |
//! |-------|-----------------------------------------|
//! | 8     | magic `HIPPOBL\0`                       |
//! | 4     | format version, `1`                     |
//! | 4     | reserved, `0`                           |
//! | 8     | entries the filter was built from       |
//! | 8     | descriptor seed                         |
//! | 4     | segment length                          |
//! | 4     | segment length mask                     |
//! | 4     | segment count length                    |
//! | 4     | reserved, `0`                           |
//! | 8     | fingerprint count `n`                   |
//! | 2·n   | fingerprints (`u16`)                    |
//!
//! The file is parsed once, on first use; a malformed file yields no filter
//! (every lookup answers "not listed") and an error for the caller to log,
//! never a panic.

use std::sync::OnceLock;
use xorf::{BinaryFuse16, Descriptor, Filter};

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"HIPPOBL\0";
/// The format version this code reads and writes.
pub const VERSION: u32 = 1;
const HEADER_LEN: usize = 56;

static SHIPPED: &[u8] = include_bytes!("../../data/blocklist.bin");

/// A parsed blocklist.
pub struct Blocklist {
    filter: BinaryFuse16,
    entries: u64,
}

impl std::fmt::Debug for Blocklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocklist")
            .field("entries", &self.entries)
            .field("bytes", &self.bytes())
            .finish()
    }
}

/// Why a blocklist file was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BlocklistError {
    #[error("blocklist file is truncated")]
    Truncated,
    #[error("blocklist file has the wrong magic")]
    Magic,
    #[error("blocklist file has unsupported version {0}")]
    Version(u32),
}

/// The key of one entry: SHA-256 of the trimmed, lower-cased text, first 8
/// bytes as a little-endian `u64`.
pub fn key(entry: &str) -> u64 {
    let norm = entry.trim().to_lowercase();
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, norm.as_bytes());
    let mut k = [0u8; 8];
    k.copy_from_slice(&d.as_ref()[..8]);
    u64::from_le_bytes(k)
}

fn take<const N: usize>(b: &[u8], at: usize) -> Result<[u8; N], BlocklistError> {
    b.get(at..at + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(BlocklistError::Truncated)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, BlocklistError> {
    take::<4>(b, at).map(u32::from_le_bytes)
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, BlocklistError> {
    take::<8>(b, at).map(u64::from_le_bytes)
}

impl Blocklist {
    /// Builds a filter over `keys` (duplicates allowed).
    pub fn build(mut keys: Vec<u64>, entries: u64) -> Result<Self, &'static str> {
        keys.sort_unstable();
        keys.dedup();
        let filter = BinaryFuse16::try_from(keys.as_slice())?;
        Ok(Self { filter, entries })
    }

    /// Parses the file format described in the module docs.
    pub fn parse(b: &[u8]) -> Result<Self, BlocklistError> {
        if take::<8>(b, 0)? != *MAGIC {
            return Err(BlocklistError::Magic);
        }
        let version = u32_at(b, 8)?;
        if version != VERSION {
            return Err(BlocklistError::Version(version));
        }
        let entries = u64_at(b, 16)?;
        let descriptor = Descriptor {
            seed: u64_at(b, 24)?,
            segment_length: u32_at(b, 32)?,
            segment_length_mask: u32_at(b, 36)?,
            segment_count_length: u32_at(b, 40)?,
        };
        let n = usize::try_from(u64_at(b, 48)?).map_err(|_| BlocklistError::Truncated)?;
        let body = b.get(HEADER_LEN..).ok_or(BlocklistError::Truncated)?;
        if n.checked_mul(2) != Some(body.len()) {
            return Err(BlocklistError::Truncated);
        }
        // contains() indexes fingerprints from the descriptor: check that
        // the highest index it can reach is inside the array.
        let reach = u64::from(descriptor.segment_count_length)
            .checked_add(2 * u64::from(descriptor.segment_length));
        if descriptor.segment_length == 0
            || descriptor.segment_length_mask != descriptor.segment_length - 1
            || reach.is_none_or(|r| r > n as u64)
        {
            return Err(BlocklistError::Truncated);
        }
        let fingerprints: Box<[u16]> = body
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Ok(Self {
            filter: BinaryFuse16 {
                descriptor,
                fingerprints,
            },
            entries,
        })
    }

    /// The file format described in the module docs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let d = &self.filter.descriptor;
        let mut out = Vec::with_capacity(HEADER_LEN + 2 * self.filter.fingerprints.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.entries.to_le_bytes());
        out.extend_from_slice(&d.seed.to_le_bytes());
        out.extend_from_slice(&d.segment_length.to_le_bytes());
        out.extend_from_slice(&d.segment_length_mask.to_le_bytes());
        out.extend_from_slice(&d.segment_count_length.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(self.filter.fingerprints.len() as u64).to_le_bytes());
        for f in self.filter.fingerprints.iter() {
            out.extend_from_slice(&f.to_le_bytes());
        }
        out
    }

    /// Whether `entry` (any case, surrounding space ignored) is listed.
    pub fn contains(&self, entry: &str) -> bool {
        self.filter.contains(&key(entry))
    }

    /// How many entries the filter was built from.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Memory held by the filter.
    pub fn bytes(&self) -> usize {
        2 * self.filter.fingerprints.len()
    }
}

/// The shipped blocklist, parsed on first use.
pub fn shipped() -> Result<&'static Blocklist, BlocklistError> {
    static LIST: OnceLock<Result<Blocklist, BlocklistError>> = OnceLock::new();
    LIST.get_or_init(|| Blocklist::parse(SHIPPED))
        .as_ref()
        .map_err(|e| *e)
}

/// Whether `entry` is in the shipped list (false if the list is unreadable;
/// `shipped()` reports why).
pub fn is_listed(entry: &str) -> bool {
    shipped().is_ok_and(|l| l.contains(entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_malformed_files() {
        let words = ["alpha", "beta", "gamma", "delta"];
        let keys: Vec<u64> = (0..1000)
            .map(|i| key(&format!("w{i}")))
            .chain(words.iter().map(|w| key(w)))
            .collect();
        let list = Blocklist::build(keys, 1004).unwrap();
        let bytes = list.to_bytes();
        let back = Blocklist::parse(&bytes).unwrap();
        assert!(back.contains(" ALPHA "));
        assert!(back.contains("w999"));
        assert_eq!(back.entries(), 1004);
        for cut in [0, 7, 12, 55, 56, bytes.len() - 1] {
            assert!(Blocklist::parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(Blocklist::parse(&bad).unwrap_err(), BlocklistError::Magic);
        let mut bad = bytes.clone();
        bad[8] = 9;
        assert_eq!(
            Blocklist::parse(&bad).unwrap_err(),
            BlocklistError::Version(9)
        );
        let mut bad = bytes;
        bad[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Blocklist::parse(&bad).is_err());
    }

    #[test]
    fn shipped_list_loads() {
        let l = shipped().unwrap();
        assert!(l.entries() >= 990_000, "{l:?}");
        for w in ["password", "qwerty", "summer", "winter", "iloveyou"] {
            assert!(l.contains(w), "{w}");
        }
    }
}
