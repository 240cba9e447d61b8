//! Backups: `hippo backup create|verify|restore`.
//!
//! A backup is one file: a consistent snapshot of the SQLite database
//! (`VACUUM INTO`, taken while the server keeps writing) and every blob,
//! encrypted and integrity-protected:
//!
//! ```text
//! "HIPPOBK1" | u32 header length | header JSON (backup id, time, key-check
//!   value of the master key, the backup's own data key wrapped by it)
//! frames: kind u8 | u32 length | payload
//!   1 section start  (sealed JSON {name, size})
//!   2 section chunk  (sealed, up to 1 MiB of plaintext)
//!   3 manifest       (sealed JSON {sections: [{name, size, sha256}], frames})
//!   4 signature      (Ed25519 by the audit signing key over the SHA-256 of
//!                     every byte before it; JSON {key_id, signature})
//! ```
//!
//! Every sealed payload's AAD names the backup and the frame's index and
//! kind, so frames cannot be reordered, dropped or moved between backups;
//! the manifest counts them and hashes each section; the signature covers
//! the whole file. Keys are not in the backup: restoring needs the master
//! key (and the audit signing key) of the source.

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hippo_crypto::{Aad, AuditSigningKey, DataKey, MasterKey, Sha256};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"HIPPOBK1";
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
    master_key_check: String,
    /// The backup's data key, wrapped by the master key (base64).
    wrapped_key: String,
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

fn progress(done: u64, total: u64) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() && total > 0 {
        eprint!(
            "\rbackup: {:>3}% ({done} of {total} bytes)",
            done * 100 / total
        );
    }
}

/// Writes a backup of the open app to `out` (a new file, mode 0600).
pub async fn create(
    app: &crate::app::App,
    data_dir: &Path,
    master: &MasterKey,
    signer: &AuditSigningKey,
    out: &Path,
) -> Result<u64> {
    let scratch = tempfile::Builder::new()
        .prefix(".backup-")
        .tempdir_in(data_dir)
        .context("cannot create a scratch directory in the data dir")?;
    let snapshot = scratch.path().join("hippo.db");
    app.store
        .snapshot_to(&snapshot)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mut sections = vec![("db".to_owned(), snapshot.clone())];
    sections.extend(blob_files(&data_dir.join("blobs"))?);
    let total: u64 = sections
        .iter()
        .map(|(_, p)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();

    let backup_id = hippo_core::SessionId::generate().to_string();
    let key = DataKey::generate().map_err(|_| anyhow!("cannot generate a key"))?;
    let header = Header {
        wrapped_key: STANDARD.encode(
            master
                .wrap(&format!("backup/{backup_id}"), &key)
                .map_err(|_| anyhow!("cannot wrap the backup key"))?,
        ),
        backup_id: backup_id.clone(),
        created_at: hippo_core::Clock::now(&hippo_core::SystemClock).to_rfc3339(),
        master_key_check: master.check_value(),
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
        backup_id,
        frames: 0,
    };
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
            loop {
                let n = read_full(&mut f, &mut buf)?;
                if n == 0 {
                    break;
                }
                digest.update(&buf[..n]);
                w.frame(DATA, &buf[..n])?;
                done += n as u64;
                progress(done, total);
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
        Ok(done)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(out);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!();
    }
    result
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
    pub sections: usize,
    pub bytes: u64,
    pub created_at: String,
}

/// Reads a backup end to end, checking every frame, the manifest and the
/// signature; hands each section's plaintext to `sink` (restore writes it,
/// verify discards it). Any damage is an error.
pub fn read(
    path: &Path,
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
    if !hippo_crypto::constant_time_eq(
        header.master_key_check.as_bytes(),
        master.check_value().as_bytes(),
    ) {
        bail!(
            "this backup was made with a different master key; give the source's key with --master-key-file"
        );
    }
    let wrapped = STANDARD
        .decode(&header.wrapped_key)
        .map_err(|_| bad("header"))?;
    let key = master
        .unwrap_key(&format!("backup/{}", header.backup_id), &wrapped)
        .map_err(|_| bad("the backup key does not unwrap"))?;

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
    let bytes = create(app, data_dir, &master, &signer, &partial).await?;
    std::fs::rename(&partial, &out).with_context(|| format!("cannot name {}", out.display()))?;
    app.hippo
        .record_cli_action(
            hippo_core::AuditAction::BackupCreate,
            hippo_core::Outcome::Success,
            serde_json::json!({ "bytes": bytes, "scheduled": true }),
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    tracing::info!(file = %out.display(), bytes, "scheduled backup written");
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
        tracing::info!(file = %old.display(), "old backup removed (backup_keep)");
    }
    Ok(())
}
