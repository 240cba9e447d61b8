//! Backups: `hippo backup create|verify|restore`.
//!
//! A backup is one file: a consistent export of the database taken while
//! the server keeps writing (SQLite: an online copy; PostgreSQL: a binary
//! `COPY` of every table from one snapshot) and every blob, compressed
//! (zstd), encrypted and integrity-protected:
//!
//! ```text
//! "HIPPOBK2" | u32 header length | header JSON (backup id, time, backend,
//!   key-check value of the master key, the backup's own data key wrapped
//!   by it)
//! frames: kind u8 | u32 length | payload
//!   1 section start  (sealed JSON {name, size})
//!   2 section chunk  (sealed: 0 + up to 1 MiB, or 1 + its zstd compression)
//!   3 manifest       (sealed JSON {sections: [{name, size, sha256}], frames})
//!   4 signature      (Ed25519 by the audit signing key over the SHA-256 of
//!                     every byte before it; JSON {key_id, signature})
//! ```
//!
//! Every sealed payload's AAD names the backup and the frame's index and
//! kind, so frames cannot be reordered, dropped or moved between backups;
//! the manifest counts them and hashes each section; the signature covers
//! the whole file.
//!
//! The data keys are not in the backup: the export leaves their wrapped
//! bytes out and they go to the key file beside it
//! ([`hippo_service::backup_keys`]), which erasure rewrites. Restoring
//! needs the backup, its key file, the master key and the audit signing
//! key of the source.

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hippo_crypto::{Aad, AuditSigningKey, DataKey, MasterKey, Sha256};
use hippo_service::Principal;
use hippo_service::backup_keys::KeyFile;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"HIPPOBK2";
const CHUNK: usize = 1 << 20;
const MAX_FRAME: usize = CHUNK + 1024;
const SECTION: u8 = 1;
const DATA: u8 = 2;
const MANIFEST: u8 = 3;
const SIGNATURE: u8 = 4;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    backup_id: String,
    created_at: String,
    /// `sqlite` or `postgres`: which kind of database the export restores into.
    backend: String,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
struct SectionInfo {
    name: String,
    size: u64,
    #[serde(default)]
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    sections: Vec<SectionInfo>,
    frames: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Signature {
    key_id: String,
    signature: String,
}

fn aad(backup_id: &str, index: u64, kind: u8) -> Aad {
    Aad::field(
        "backup",
        &format!("frame{kind}"),
        &format!("{backup_id}/{index}"),
    )
}

/// Writes frames, hashing everything written (for the signature).
struct FrameWriter<W: Write> {
    out: W,
    digest: Sha256,
    key: DataKey,
    backup_id: String,
    frames: u64,
}

impl<W: Write> FrameWriter<W> {
    fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.digest.update(bytes);
        self.out.write_all(bytes).context("cannot write the backup")
    }

    fn frame(&mut self, kind: u8, plaintext: &[u8]) -> Result<()> {
        let sealed = self
            .key
            .seal(&aad(&self.backup_id, self.frames, kind), plaintext)
            .map_err(|_| anyhow!("encryption failed"))?;
        self.frames += 1;
        let len = u32::try_from(sealed.len()).context("frame too large")?;
        self.raw(&[kind])?;
        self.raw(&len.to_be_bytes())?;
        self.raw(&sealed)
    }
}

/// The files a backup holds: the database snapshot and every blob.
fn blob_files(blobs: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    if !blobs.exists() {
        return Ok(out);
    }
    for shard in std::fs::read_dir(blobs).context("cannot list the blob store")? {
        let shard = shard?.path();
        if !shard.is_dir() || shard.file_name().is_some_and(|n| n == "partial") {
            continue;
        }
        for file in std::fs::read_dir(&shard)? {
            let file = file?.path();
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| anyhow!("odd blob name {}", file.display()))?
                .to_owned();
            out.push((format!("blob/{name}"), file));
        }
    }
    out.sort();
    Ok(out)
}

/// A progress bar on a terminal; nothing otherwise.
fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// Files of the database export, as sections `db/<name>`.
fn export_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).context("cannot list the export")? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow!("odd export file {}", path.display()))?
            .to_owned();
        out.push((format!("db/{name}"), path));
    }
    out.sort();
    Ok(out)
}

/// What `create` wrote.
pub struct Created {
    pub backup_id: String,
    pub bytes: u64,
    pub keys: usize,
}

/// Writes a backup of the open app to `out` (a new file, mode 0600) and
/// its data keys to `keys_out`, and records the key file so that erasure
/// reaches it.
pub async fn create(
    app: &crate::app::App,
    data_dir: &Path,
    master: &MasterKey,
    signer: &AuditSigningKey,
    out: &Path,
    keys_out: &Path,
) -> Result<Created> {
    remove_stale_scratch(data_dir);
    let backup_id = hippo_core::SessionId::generate().to_string();
    // Recorded before the export: an erasure from here on reaches this
    // backup's key file (shredding is run again once it exists).
    app.hippo
        .governance()
        .register_backup_key_file(keys_out, &backup_id)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let result = create_registered(app, data_dir, master, signer, out, keys_out, backup_id).await;
    if result.is_err() {
        let _ = app
            .hippo
            .governance()
            .forget_backup_key_file(keys_out)
            .await;
    }
    result
}

/// Scratch directories (`.backup-*`, `.restore-*`) that a crash left in the
/// data dir more than a day ago: they may hold a database copy.
fn remove_stale_scratch(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600));
        if (name.starts_with(".backup-")
            || name.starts_with(".restore-")
            || name.starts_with(".drill-"))
            && old
        {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => {
                    tracing::warn!(dir = %name, "removed a scratch directory left by an interrupted backup or restore")
                }
                Err(e) => {
                    tracing::error!(dir = %name, error = %e, "cannot remove a stale scratch directory")
                }
            }
        }
    }
}

async fn create_registered(
    app: &crate::app::App,
    data_dir: &Path,
    master: &MasterKey,
    signer: &AuditSigningKey,
    out: &Path,
    keys_out: &Path,
    backup_id: String,
) -> Result<Created> {
    let scratch = tempfile::Builder::new()
        .prefix(".backup-")
        .tempdir_in(data_dir)
        .context("cannot create a scratch directory in the data dir")?;
    let export = scratch.path().join("db");
    std::fs::create_dir(&export).context("cannot create the export directory")?;
    let data_keys = app
        .store
        .export_to(&export)
        .await
        .map_err(|e| anyhow!("cannot export the database: {e}"))?;
    let mut sections = export_files(&export)?;
    sections.extend(blob_files(&data_dir.join("blobs"))?);
    let total: u64 = sections
        .iter()
        .map(|(_, p)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();

    let created_at = hippo_core::Clock::now(&hippo_core::SystemClock).to_rfc3339();
    let key = DataKey::generate().map_err(|_| anyhow!("cannot generate a key"))?;
    let key_file = KeyFile::new(&backup_id, &created_at, &key, master, data_keys)?;
    let header = Header {
        backup_id: backup_id.clone(),
        created_at: created_at.clone(),
        backend: app.store.backend().to_owned(),
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(out)
        .with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = FrameWriter {
        out: std::io::BufWriter::new(file),
        digest: Sha256::default(),
        key,
        backup_id: backup_id.clone(),
        frames: 0,
    };
    let bar = progress_bar(total, "backup");
    let result: Result<u64> = (|| {
        let header_json = serde_json::to_vec(&header)?;
        w.raw(MAGIC)?;
        w.raw(&u32::try_from(header_json.len())?.to_be_bytes())?;
        w.raw(&header_json)?;
        let mut infos = Vec::new();
        let mut done = 0;
        for (name, path) in &sections {
            let mut f = std::fs::File::open(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let size = f.metadata()?.len();
            w.frame(
                SECTION,
                &serde_json::to_vec(&SectionInfo {
                    name: name.clone(),
                    size,
                    sha256: String::new(),
                })?,
            )?;
            let mut digest = Sha256::default();
            let mut buf = vec![0u8; CHUNK];
            let mut n_total = 0u64;
            loop {
                let n = read_full(&mut f, &mut buf)?;
                if n == 0 {
                    break;
                }
                digest.update(&buf[..n]);
                w.frame(DATA, &pack(&buf[..n])?)?;
                done += n as u64;
                n_total += n as u64;
                bar.set_position(done);
            }
            if n_total != size {
                bail!("{} changed while it was being backed up", path.display());
            }
            infos.push(SectionInfo {
                name: name.clone(),
                size,
                sha256: digest.finish_hex(),
            });
        }
        let frames = w.frames + 1;
        w.frame(
            MANIFEST,
            &serde_json::to_vec(&Manifest {
                sections: infos,
                frames,
            })?,
        )?;
        let whole = std::mem::take(&mut w.digest).finish_hex();
        let sig = Signature {
            key_id: signer.key_id(),
            signature: STANDARD.encode(signer.sign(whole.as_bytes())),
        };
        let sig = serde_json::to_vec(&sig)?;
        w.out.write_all(&[SIGNATURE])?;
        w.out.write_all(&u32::try_from(sig.len())?.to_be_bytes())?;
        w.out.write_all(&sig)?;
        w.out.flush()?;
        w.out.get_ref().sync_all()?;
        key_file.write(keys_out, master)?;
        Ok(done)
    })();
    bar.finish_and_clear();
    let bytes = match result {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = std::fs::remove_file(out);
            let _ = std::fs::remove_file(keys_out);
            return Err(e);
        }
    };
    // Keys destroyed since the last pass leave every key file, this one
    // included (erasures committed after its export).
    app.hippo
        .governance()
        .shred_backup_keys()
        .await
        .map_err(|e| anyhow!("{e}"))?;
    Ok(Created {
        backup_id,
        bytes,
        keys: key_file.keys.len(),
    })
}

/// A chunk as stored: `0` + the bytes, or `1` + their zstd compression
/// when that is smaller (blobs are ciphertext and do not compress).
fn pack(chunk: &[u8]) -> Result<Vec<u8>> {
    let compressed = zstd::bulk::compress(chunk, 3).context("compression failed")?;
    let mut out = Vec::with_capacity(1 + compressed.len().min(chunk.len()));
    if compressed.len() < chunk.len() {
        out.push(1);
        out.extend_from_slice(&compressed);
    } else {
        out.push(0);
        out.extend_from_slice(chunk);
    }
    Ok(out)
}

/// The inverse of [`pack`]; never more than one chunk of output.
fn unpack(stored: &[u8]) -> Option<Vec<u8>> {
    match stored.split_first()? {
        (0, rest) if rest.len() <= CHUNK => Some(rest.to_vec()),
        (1, rest) => zstd::bulk::decompress(rest, CHUNK).ok(),
        _ => None,
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = r.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// What a backup holds, as verify and restore see it.
pub struct Contents {
    pub backup_id: String,
    pub backend: String,
    pub sections: usize,
    pub bytes: u64,
    pub created_at: String,
}

/// Reads a backup end to end, checking every frame, the manifest and the
/// signature; hands each section's plaintext to `sink` (restore writes it,
/// verify discards it). Any damage is an error.
pub fn read(
    path: &Path,
    keys: &KeyFile,
    master: &MasterKey,
    signer: &AuditSigningKey,
    mut sink: impl FnMut(&SectionEvent<'_>) -> Result<()>,
) -> Result<Contents> {
    let bad = |why: &str| anyhow!("{} is not a valid hippo backup: {why}", path.display());
    let mut f = std::io::BufReader::new(
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
    );
    let mut digest = Sha256::default();
    let take = |f: &mut std::io::BufReader<std::fs::File>,
                n: usize,
                digest: Option<&mut Sha256>|
     -> Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        f.read_exact(&mut buf).map_err(|_| bad("truncated"))?;
        if let Some(d) = digest {
            d.update(&buf);
        }
        Ok(buf)
    };
    if take(&mut f, 8, Some(&mut digest))? != MAGIC {
        return Err(bad("wrong magic"));
    }
    let len = u32::from_be_bytes(
        take(&mut f, 4, Some(&mut digest))?
            .try_into()
            .map_err(|_| bad("header"))?,
    );
    if len as usize > 64 * 1024 {
        return Err(bad("header too large"));
    }
    let header: Header = serde_json::from_slice(&take(&mut f, len as usize, Some(&mut digest))?)
        .map_err(|_| bad("header"))?;
    if header.backup_id != keys.backup_id {
        bail!(
            "the key file beside {} belongs to another backup",
            path.display()
        );
    }
    let key = keys.backup_key(master)?;

    let mut index = 0u64;
    let mut current: Option<(SectionInfo, Sha256, u64)> = None;
    let mut seen: Vec<SectionInfo> = Vec::new();
    let mut bytes = 0u64;
    loop {
        let kind = take(&mut f, 1, None)?[0];
        let len = u32::from_be_bytes(
            take(&mut f, 4, None)?
                .try_into()
                .map_err(|_| bad("frame"))?,
        ) as usize;
        if len > MAX_FRAME {
            return Err(bad("frame too large"));
        }
        if kind == SIGNATURE {
            let whole = std::mem::take(&mut digest).finish_hex();
            let sig: Signature =
                serde_json::from_slice(&take(&mut f, len, None)?).map_err(|_| bad("signature"))?;
            let raw = STANDARD
                .decode(&sig.signature)
                .map_err(|_| bad("signature"))?;
            if sig.key_id != signer.key_id() || !signer.verify(whole.as_bytes(), &raw) {
                return Err(bad(
                    "the signature does not match this server's audit signing key",
                ));
            }
            let mut rest = [0u8; 1];
            if f.read(&mut rest)? != 0 {
                return Err(bad("bytes after the signature"));
            }
            return Ok(Contents {
                backup_id: header.backup_id,
                backend: header.backend,
                sections: seen.len(),
                bytes,
                created_at: header.created_at,
            });
        }
        // Frame bytes count towards the signed digest.
        digest.update(&[kind]);
        digest.update(&u32::try_from(len)?.to_be_bytes());
        let sealed = take(&mut f, len, Some(&mut digest))?;
        let plain = key
            .open(&aad(&header.backup_id, index, kind), &sealed)
            .map_err(|_| bad(&format!("frame {index} is damaged or out of place")))?;
        index += 1;
        match kind {
            SECTION => {
                if let Some((info, d, n)) = current.take() {
                    seen.push(finish_section(info, d, n).map_err(|e| bad(&e))?);
                }
                let info: SectionInfo =
                    serde_json::from_slice(&plain).map_err(|_| bad("section"))?;
                sink(&SectionEvent::Start(&info.name))?;
                current = Some((info, Sha256::default(), 0));
            }
            DATA => {
                let Some((_, d, n)) = current.as_mut() else {
                    return Err(bad("data outside a section"));
                };
                let plain = unpack(&plain).ok_or_else(|| bad("a chunk does not decompress"))?;
                d.update(&plain);
                *n += plain.len() as u64;
                bytes += plain.len() as u64;
                sink(&SectionEvent::Data(&plain))?;
            }
            MANIFEST => {
                if let Some((info, d, n)) = current.take() {
                    seen.push(finish_section(info, d, n).map_err(|e| bad(&e))?);
                }
                let manifest: Manifest =
                    serde_json::from_slice(&plain).map_err(|_| bad("manifest"))?;
                if manifest.frames != index || manifest.sections != seen {
                    return Err(bad("the manifest does not match the contents"));
                }
            }
            _ => return Err(bad("unknown frame")),
        }
    }
}

fn finish_section(info: SectionInfo, digest: Sha256, n: u64) -> Result<SectionInfo, String> {
    if n != info.size {
        return Err(format!("section {} has the wrong size", info.name));
    }
    Ok(SectionInfo {
        sha256: digest.finish_hex(),
        ..info
    })
}

/// What `read` hands to its sink.
pub enum SectionEvent<'a> {
    Start(&'a str),
    Data(&'a [u8]),
}

/// Scheduled backups from `serve`: every `interval`, a backup named
/// `hippo-<unix ms>.backup` in `dir`; only the newest `keep` are kept.
pub async fn scheduled(
    app: std::sync::Arc<crate::app::App>,
    data_dir: PathBuf,
    master_key_file: PathBuf,
    signing_key_file: PathBuf,
    dir: PathBuf,
    interval: std::time::Duration,
    keep: u32,
) {
    let mut tick = tokio::time::interval(interval);
    tick.tick().await; // not at start: the first one after one interval
    loop {
        tick.tick().await;
        // Once per cluster: the node holding the lease writes it.
        if !app
            .hippo
            .ops()
            .lead("scheduled_backup", interval.mul_f32(0.9))
            .await
        {
            continue;
        }
        if let Err(e) = scheduled_once(
            &app,
            &data_dir,
            &master_key_file,
            &signing_key_file,
            &dir,
            keep,
        )
        .await
        {
            tracing::error!(error = %format!("{e:#}"), "scheduled backup failed");
        }
    }
}

async fn scheduled_once(
    app: &crate::app::App,
    data_dir: &Path,
    master_key_file: &Path,
    signing_key_file: &Path,
    dir: &Path,
    keep: u32,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (master, _) = MasterKey::load_or_create(master_key_file, false)?;
    let (signer, _) = AuditSigningKey::load_or_create(signing_key_file, false)?;
    let now = hippo_core::Clock::now(&hippo_core::SystemClock).as_millis();
    let out = dir.join(format!("hippo-{now:013}.backup"));
    // Written under another name, renamed when complete: a half-written
    // backup never looks like one.
    let partial = dir.join(format!("hippo-{now:013}.backup.partial"));
    let keys_out = hippo_service::backup_keys::path_for(&out);
    let created = create(app, data_dir, &master, &signer, &partial, &keys_out).await?;
    std::fs::rename(&partial, &out).with_context(|| format!("cannot name {}", out.display()))?;
    app.hippo
        .ops()
        .record(
            Principal::Operator,
            hippo_core::AuditAction::BackupCreate,
            hippo_core::Outcome::Success,
            serde_json::json!({ "bytes": created.bytes, "backup_id": created.backup_id, "scheduled": true }),
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    tracing::info!(file = %out.display(), bytes = created.bytes, "scheduled backup written");
    // Disposal of old backups by policy.
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("hippo-") && n.ends_with(".backup"))
        })
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(keep as usize);
    for old in backups.into_iter().take(excess) {
        std::fs::remove_file(&old).with_context(|| format!("cannot remove {}", old.display()))?;
        let keys = hippo_service::backup_keys::path_for(&old);
        if keys.exists() {
            std::fs::remove_file(&keys)
                .with_context(|| format!("cannot remove {}", keys.display()))?;
        }
        app.hippo
            .governance()
            .forget_backup_key_file(&keys)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        tracing::info!(file = %old.display(), "old backup removed (backup_keep)");
    }
    Ok(())
}
