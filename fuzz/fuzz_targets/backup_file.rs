//! Fuzzes the backup reader, [`hippo::backup::read`]: the code that
//! `hippo backup verify` and `hippo backup restore` run on a backup file,
//! which may have been copied off the server, stored elsewhere and brought
//! back (by anyone who could write to it on the way).
//!
//! The reader is the real one; the keys are made once per process (a fixed
//! data key, so that committed seeds stay meaningful, a fresh master key
//! and audit signing key) and its key file is made in memory with
//! [`KeyFile::new`] and written once with `KeyFile::write`, whose parser
//! (`KeyFile::read`, also run by verify and restore) modes 3 and 4 fuzz.
//!
//! The first input byte picks a mode, the rest is its input:
//! - `0`, raw: the bytes are the file. Nobody without the keys can make a
//!   backup, so the reader must refuse every one (and never panic).
//! - `1`, frames: a header and frames of any kind and plaintext, each sealed
//!   with the backup's key and the AAD of its place (as `create` does),
//!   optionally signed: what an insider with the keys could write, which
//!   reaches the section, chunk (zstd), manifest and signature checks.
//!   The reader must not panic, and what it accepts must agree with what
//!   it handed its sink.
//! - `3`, key file: the bytes are the backup's key file, read with
//!   `KeyFile::read`: one made without the master key is always refused.
//! - `4`, damaged key file: the real key file with one byte changed or cut
//!   short: refused, or (a change in its unsealed header) read with the
//!   very same keys.
//! - anything else, valid: sections (name and bytes) written as a real
//!   backup is (chunks stored or zstd-compressed, the manifest, the
//!   signature), then optionally one byte changed or the file cut short.
//!   An intact backup must read back to exactly those sections; a damaged
//!   one must be refused.
//!
//! The writer here follows the format in `crates/hippo/src/backup.rs`
//! (whose writer needs a running server); if the format changes, the
//! `valid` mode fails at once, which is the point.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hippo::backup::{SectionEvent, read};
use hippo_crypto::{Aad, AuditSigningKey, DataKey, MasterKey, Sha256};
use hippo_service::backup_keys::KeyFile;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

const BACKUP_ID: &str = "01900000-0000-7000-8000-00000000f022";
const MAGIC: &[u8; 8] = b"HIPPOBK2";
const SIGNATURE: u8 = 4;

struct Keys {
    master: MasterKey,
    signer: AuditSigningKey,
    data: DataKey,
    file: KeyFile,
    /// `file` as `KeyFile::write` wrote it.
    key_file_bytes: Vec<u8>,
    /// Where each input is written for the reader, one file per process.
    path: PathBuf,
    key_path: PathBuf,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = dir.join(format!("hippo-fuzz-backup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let signing_path = dir.join("audit-signing.key");
        let _ = std::fs::remove_file(&signing_path);
        let (signer, _) =
            AuditSigningKey::load_or_create(&signing_path, true).expect("an audit signing key");
        let master = MasterKey::generate().expect("a master key");
        let data = DataKey::from_bytes(zeroize::Zeroizing::new([0x42; 32])).expect("a data key");
        let file = KeyFile::new(BACKUP_ID, "2026-12-03T00:00:00Z", &data, &master, Vec::new())
            .expect("a key file");
        let key_path = dir.join("input.keys");
        file.write(&key_path, &master).expect("writing the key file");
        let key_file_bytes = std::fs::read(&key_path).expect("reading the key file");
        let back = KeyFile::read(&key_path, &master).expect("the key file reads back");
        assert!(same_keys(&back, &file), "the key file changed on a round trip");
        assert_eq!(back.created_at, file.created_at);
        Keys {
            master,
            signer,
            data,
            file,
            key_file_bytes,
            path: dir.join("input.backup"),
            key_path,
        }
    })
}

/// The parts of a key file that its seal and wrapping protect.
fn same_keys(a: &KeyFile, b: &KeyFile) -> bool {
    a.backup_id == b.backup_id
        && a.backup_key == b.backup_key
        && a.keys.len() == b.keys.len()
        && a.shredded == b.shredded
}

/// The key file's own parser on `bytes`: a file made without the master
/// key is refused; one that is accepted protects the same keys.
fn key_file_mode(bytes: &[u8], damaged_real: bool) {
    let k = keys();
    std::fs::write(&k.key_path, bytes).expect("writing the input");
    match KeyFile::read(&k.key_path, &k.master) {
        Ok(back) => {
            assert!(damaged_real, "a key file made without the master key was accepted");
            // Only `created_at`, in the unsealed header, may differ.
            assert!(same_keys(&back, &k.file), "a damaged key file gave other keys");
        }
        Err(_) => {}
    }
}

fn aad(index: u64, kind: u8) -> Aad {
    Aad::field("backup", &format!("frame{kind}"), &format!("{BACKUP_ID}/{index}"))
}

/// A backup as the format lays it out, its signed digest kept as it goes.
struct Writer {
    out: Vec<u8>,
    digest: Sha256,
    frames: u64,
}

impl Writer {
    fn new(header: &serde_json::Value) -> Self {
        let header = serde_json::to_vec(header).expect("a header");
        let mut w = Writer {
            out: Vec::new(),
            digest: Sha256::default(),
            frames: 0,
        };
        w.raw(MAGIC);
        w.raw(&u32::try_from(header.len()).expect("a small header").to_be_bytes());
        w.raw(&header);
        w
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.digest.update(bytes);
        self.out.extend_from_slice(bytes);
    }

    fn frame(&mut self, kind: u8, plaintext: &[u8]) {
        let sealed = keys()
            .data
            .seal(&aad(self.frames, kind), plaintext)
            .expect("sealing");
        self.frames += 1;
        self.raw(&[kind]);
        self.raw(&u32::try_from(sealed.len()).expect("a small frame").to_be_bytes());
        self.raw(&sealed);
    }

    fn sign(self) -> Vec<u8> {
        let Writer {
            mut out, digest, ..
        } = self;
        let k = keys();
        let sig = k.signer.sign(digest.finish_hex().as_bytes());
        let sig = serde_json::to_vec(&serde_json::json!({
            "key_id": k.signer.key_id(),
            "signature": STANDARD.encode(sig),
        }))
        .expect("a signature");
        out.push(SIGNATURE);
        out.extend_from_slice(&u32::try_from(sig.len()).expect("small").to_be_bytes());
        out.extend_from_slice(&sig);
        out
    }
}

fn header(backend: &str) -> serde_json::Value {
    serde_json::json!({
        "backup_id": BACKUP_ID,
        "created_at": "2026-12-03T00:00:00Z",
        "backend": backend,
    })
}

/// What the reader handed its sink: each section's name and bytes.
type Seen = Vec<(String, Vec<u8>)>;

fn read_back(bytes: &[u8]) -> (anyhow::Result<hippo::backup::Contents>, Seen) {
    let k = keys();
    std::fs::write(&k.path, bytes).expect("writing the input");
    let mut seen: Seen = Vec::new();
    let mut orphan = false;
    let result = read(&k.path, &k.file, &k.master, &k.signer, |event| {
        match event {
            SectionEvent::Start(name) => seen.push(((*name).to_owned(), Vec::new())),
            SectionEvent::Data(data) => match seen.last_mut() {
                Some((_, bytes)) => bytes.extend_from_slice(data),
                None => orphan = true,
            },
        }
        Ok(())
    });
    assert!(!orphan, "data handed to the sink outside a section");
    (result, seen)
}

/// Agreement between what `read` returned and what it handed the sink.
fn consistent(contents: &hippo::backup::Contents, seen: &Seen) {
    assert_eq!(contents.backup_id, BACKUP_ID);
    assert_eq!(contents.sections, seen.len(), "sections counted vs handed out");
    let bytes: u64 = seen.iter().map(|(_, b)| b.len() as u64).sum();
    assert_eq!(contents.bytes, bytes, "bytes counted vs handed out");
}

#[derive(Arbitrary, Debug)]
struct Frames {
    backend: String,
    frames: Vec<(u8, Vec<u8>)>,
    signed: bool,
}

#[derive(Arbitrary, Debug)]
struct Valid {
    sections: Vec<(String, Vec<u8>)>,
    /// Largest chunk, in bytes (the server's is 1 MiB; small here so that
    /// sections span several chunks).
    chunk: u8,
    damage: Option<Damage>,
}

#[derive(Arbitrary, Debug)]
enum Damage {
    /// XOR the byte at (offset mod length) with a non-zero mask.
    Flip(u32, u8),
    /// Keep only the first (offset mod length) bytes.
    Cut(u32),
}

impl Damage {
    /// Damages `bytes`; whether anything changed.
    fn apply(&self, bytes: &mut Vec<u8>) -> bool {
        match *self {
            Damage::Flip(at, mask) if mask != 0 && !bytes.is_empty() => {
                let at = at as usize % bytes.len();
                bytes[at] ^= mask;
                true
            }
            Damage::Cut(at) if !bytes.is_empty() => {
                bytes.truncate(at as usize % bytes.len());
                true
            }
            _ => false,
        }
    }
}

/// A chunk as the server stores it: `0` + bytes, or `1` + zstd when smaller.
fn pack(chunk: &[u8]) -> Vec<u8> {
    let compressed = zstd::bulk::compress(chunk, 3).expect("compression");
    let mut out = Vec::new();
    if compressed.len() < chunk.len() {
        out.push(1);
        out.extend_from_slice(&compressed);
    } else {
        out.push(0);
        out.extend_from_slice(chunk);
    }
    out
}

fn frames_mode(input: Frames) {
    let mut w = Writer::new(&header(&input.backend));
    for (kind, plain) in &input.frames {
        // Mostly the three sealed kinds, sometimes another (refused).
        let kind = match kind % 8 {
            0..=2 => 1,
            3..=5 => 2,
            6 => 3,
            _ => *kind,
        };
        if kind == SIGNATURE {
            continue;
        }
        w.frame(kind, plain);
    }
    let bytes = if input.signed { w.sign() } else { w.out };
    let (result, seen) = read_back(&bytes);
    if let Ok(contents) = result {
        assert!(input.signed, "an unsigned backup was accepted");
        consistent(&contents, &seen);
    }
}

fn valid_mode(input: Valid) {
    let chunk = usize::from(input.chunk.max(1));
    let mut w = Writer::new(&header("sqlite"));
    let mut manifest = Vec::new();
    for (name, data) in &input.sections {
        w.frame(1, &serde_json::to_vec(&serde_json::json!({"name": name, "size": data.len()})).expect("json"));
        let mut digest = Sha256::default();
        for part in data.chunks(chunk) {
            digest.update(part);
            w.frame(2, &pack(part));
        }
        manifest.push(serde_json::json!({"name": name, "size": data.len(), "sha256": digest.finish_hex()}));
    }
    let frames = w.frames + 1;
    w.frame(3, &serde_json::to_vec(&serde_json::json!({"sections": manifest, "frames": frames})).expect("json"));
    let mut bytes = w.sign();
    let damaged = input.damage.as_ref().is_some_and(|d| d.apply(&mut bytes));
    let (result, seen) = read_back(&bytes);
    if damaged {
        assert!(result.is_err(), "a damaged backup was accepted: {:?}", input.damage);
    } else {
        let contents = match result {
            Ok(c) => c,
            Err(e) => panic!("an intact backup was refused: {e:#}"),
        };
        consistent(&contents, &seen);
        let wanted: Seen = input.sections.clone();
        assert!(seen == wanted, "the sections read back differ from those written");
        assert_eq!(contents.backend, "sqlite");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            let (result, _) = read_back(rest);
            assert!(result.is_err(), "a file made without the keys was accepted");
        }
        3 => key_file_mode(rest, false),
        4 => {
            let mut bytes = keys().key_file_bytes.clone();
            if let Ok(damage) = Damage::arbitrary_take_rest(Unstructured::new(rest))
                && damage.apply(&mut bytes)
            {
                key_file_mode(&bytes, true);
            }
        }
        1 => {
            if let Ok(input) = Frames::arbitrary_take_rest(Unstructured::new(rest)) {
                frames_mode(input);
            }
        }
        _ => {
            if let Ok(input) = Valid::arbitrary_take_rest(Unstructured::new(rest)) {
                valid_mode(input);
            }
        }
    }
});
