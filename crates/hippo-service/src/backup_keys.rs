//! Backup key files: the data keys of a backup, kept apart from it.
//!
//! A backup (`hippo backup create`) holds the data with every data key's
//! wrapped bytes left out; the keys go to a small key file beside it
//! (`<backup>.keys`), sealed with a key of its own that the master key
//! wraps. hippo records where each key file is. Erasing a conversation
//! destroys its data key in the database *and* removes it from every
//! recorded key file ([`crate::governance::Governance::shred_backup_keys`]), so a backup
//! taken before the erasure restores everything except that conversation,
//! which comes back erased.
//!
//! ```text
//! "HIPPOKY1" | u32 header length | header JSON {backup_id, created_at,
//!   master_key_check, wrapped_key} | body sealed with the file key
//!   (AAD names the backup): JSON {keys, shredded}
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hippo_core::Timestamp;
use hippo_crypto::{Aad, DataKey, MasterKey};
use hippo_store::DataKeyRow;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"HIPPOKY1";
const MAX_HEADER: usize = 64 * 1024;

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is not a valid hippo backup key file (damaged, cut or foreign)")]
    Invalid(String),
    #[error(
        "the key file {0} was written with a different master key; give that key with --master-key-file"
    )]
    WrongMasterKey(String),
}

/// A data key removed from a key file, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShreddedKey {
    pub id: String,
    pub purpose: String,
    pub at: Timestamp,
}

/// The keys of one backup.
#[derive(Debug, Clone)]
pub struct KeyFile {
    pub backup_id: String,
    pub created_at: String,
    /// The key the backup's frames are sealed with, wrapped by the master
    /// key: the backup cannot be read without its key file.
    pub backup_key: Vec<u8>,
    pub keys: Vec<DataKeyRow>,
    /// Keys destroyed in the live system after the backup was taken.
    pub shredded: Vec<ShreddedKey>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    backup_id: String,
    created_at: String,
    master_key_check: String,
    wrapped_key: String,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    id: String,
    purpose: String,
    wrapped: String,
    master_key_check: String,
    created_at: i64,
}

#[derive(Serialize, Deserialize)]
struct Shredded {
    id: String,
    purpose: String,
    at: i64,
}

#[derive(Serialize, Deserialize)]
struct Body {
    backup_key: String,
    keys: Vec<Entry>,
    shredded: Vec<Shredded>,
}

fn aad(backup_id: &str) -> Aad {
    Aad::field("backup_keys", "body", backup_id)
}

fn wrap_id(backup_id: &str) -> String {
    format!("backup-keys/{backup_id}")
}

/// An exclusive lock on the directory of a key file, held while alive
/// (`flock`, so it also holds across processes, and across nodes on
/// storage that honours it): read-modify-write of key files there —
/// shredding, rotation — happens one at a time. Blocks: take it off the
/// async runtime.
#[derive(Debug)]
pub struct DirLock(#[allow(dead_code, reason = "held for its lock")] std::fs::File);

/// Locks the directory holding `key_file`.
pub fn lock_dir_of(key_file: &Path) -> Result<DirLock, KeyFileError> {
    let dir = match key_file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let io = |source| KeyFileError::Io {
        path: dir.display().to_string(),
        source,
    };
    let handle = std::fs::File::open(dir).map_err(io)?;
    handle.lock().map_err(io)?;
    Ok(DirLock(handle))
}

/// Where the key file of the backup at `backup` lives.
pub fn path_for(backup: &Path) -> PathBuf {
    let mut name = backup.as_os_str().to_owned();
    name.push(".keys");
    PathBuf::from(name)
}

impl KeyFile {
    /// Writes the file atomically (a temporary file, synced, renamed over
    /// the old one, the directory synced): a reader sees the old or the new
    /// file, never a mix, and an old version leaves no copy behind.
    pub fn write(&self, path: &Path, master: &MasterKey) -> Result<(), KeyFileError> {
        let invalid = || KeyFileError::Invalid(path.display().to_string());
        let key = DataKey::generate().map_err(|_| invalid())?;
        let header = Header {
            backup_id: self.backup_id.clone(),
            created_at: self.created_at.clone(),
            master_key_check: master.check_value(),
            wrapped_key: STANDARD.encode(
                master
                    .wrap(&wrap_id(&self.backup_id), &key)
                    .map_err(|_| invalid())?,
            ),
        };
        let body = Body {
            backup_key: STANDARD.encode(&self.backup_key),
            keys: self
                .keys
                .iter()
                .map(|k| Entry {
                    id: k.id.clone(),
                    purpose: k.purpose.clone(),
                    wrapped: STANDARD.encode(&k.wrapped),
                    master_key_check: k.master_key_check.clone(),
                    created_at: k.created_at.as_millis(),
                })
                .collect(),
            shredded: self
                .shredded
                .iter()
                .map(|s| Shredded {
                    id: s.id.clone(),
                    purpose: s.purpose.clone(),
                    at: s.at.as_millis(),
                })
                .collect(),
        };
        let header = serde_json::to_vec(&header).map_err(|_| invalid())?;
        let body = serde_json::to_vec(&body).map_err(|_| invalid())?;
        let sealed = key
            .seal(&aad(&self.backup_id), &body)
            .map_err(|_| invalid())?;
        let io = |source| KeyFileError::Io {
            path: path.display().to_string(),
            source,
        };
        // A name of its own: writers never share a temporary file.
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp-{}", hippo_core::SessionId::generate()));
        let tmp = PathBuf::from(tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(io)?;
        let len = u32::try_from(header.len()).map_err(|_| invalid())?;
        f.write_all(MAGIC).map_err(io)?;
        f.write_all(&len.to_be_bytes()).map_err(io)?;
        f.write_all(&header).map_err(io)?;
        f.write_all(&sealed).map_err(io)?;
        f.sync_all().map_err(io)?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(io)?;
        if let Some(dir) = path.parent()
            && let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            })
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Reads and checks a key file.
    pub fn read(path: &Path, master: &MasterKey) -> Result<Self, KeyFileError> {
        let bytes = std::fs::read(path).map_err(|source| KeyFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let invalid = || KeyFileError::Invalid(path.display().to_string());
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(invalid());
        }
        let len = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        if len > MAX_HEADER || bytes.len() < 12 + len {
            return Err(invalid());
        }
        let header: Header = serde_json::from_slice(&bytes[12..12 + len]).map_err(|_| invalid())?;
        if !hippo_crypto::constant_time_eq(
            header.master_key_check.as_bytes(),
            master.check_value().as_bytes(),
        ) {
            return Err(KeyFileError::WrongMasterKey(path.display().to_string()));
        }
        let wrapped = STANDARD
            .decode(&header.wrapped_key)
            .map_err(|_| invalid())?;
        let key = master
            .unwrap_key(&wrap_id(&header.backup_id), &wrapped)
            .map_err(|_| invalid())?;
        let body = key
            .open(&aad(&header.backup_id), &bytes[12 + len..])
            .map_err(|_| invalid())?;
        let body: Body = serde_json::from_slice(&body).map_err(|_| invalid())?;
        let keys = body
            .keys
            .into_iter()
            .map(|e| {
                Ok(DataKeyRow {
                    id: e.id,
                    purpose: e.purpose,
                    wrapped: STANDARD.decode(&e.wrapped).map_err(|_| invalid())?,
                    master_key_check: e.master_key_check,
                    created_at: Timestamp::from_millis(e.created_at),
                })
            })
            .collect::<Result<Vec<_>, KeyFileError>>()?;
        Ok(Self {
            backup_key: STANDARD.decode(&body.backup_key).map_err(|_| invalid())?,
            backup_id: header.backup_id,
            created_at: header.created_at,
            keys,
            shredded: body
                .shredded
                .into_iter()
                .map(|s| ShreddedKey {
                    id: s.id,
                    purpose: s.purpose,
                    at: Timestamp::from_millis(s.at),
                })
                .collect(),
        })
    }

    /// Moves every key not in `live` to the shredded list; how many moved.
    pub fn shred_all_but(
        &mut self,
        live: &std::collections::HashSet<String>,
        at: Timestamp,
    ) -> usize {
        let (keep, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut self.keys)
            .into_iter()
            .partition(|k| live.contains(&k.id));
        self.keys = keep;
        let n = gone.len();
        self.shredded.extend(gone.into_iter().map(|k| ShreddedKey {
            id: k.id,
            purpose: k.purpose,
            at,
        }));
        n
    }

    /// The id the backup key is wrapped under.
    pub fn backup_key_id(backup_id: &str) -> String {
        format!("backup/{backup_id}")
    }

    /// A new key file for the backup `backup_id`, sealed with `key`.
    pub fn new(
        backup_id: &str,
        created_at: &str,
        key: &DataKey,
        master: &MasterKey,
        keys: Vec<DataKeyRow>,
    ) -> Result<Self, KeyFileError> {
        Ok(Self {
            backup_id: backup_id.to_owned(),
            created_at: created_at.to_owned(),
            backup_key: master
                .wrap(&Self::backup_key_id(backup_id), key)
                .map_err(|_| KeyFileError::Invalid("cannot wrap the backup key".into()))?,
            keys,
            shredded: Vec::new(),
        })
    }

    /// The key the backup's frames are sealed with.
    pub fn backup_key(&self, master: &MasterKey) -> Result<DataKey, KeyFileError> {
        master
            .unwrap_key(&Self::backup_key_id(&self.backup_id), &self.backup_key)
            .map_err(|_| KeyFileError::Invalid(format!("the key of backup {}", self.backup_id)))
    }

    /// Rewraps every key (and the file) from `old` to `new` (key rotation).
    pub fn rewrap(&mut self, old: &MasterKey, new: &MasterKey) -> Result<(), KeyFileError> {
        let backup_key = self.backup_key(old)?;
        self.backup_key = new
            .wrap(&Self::backup_key_id(&self.backup_id), &backup_key)
            .map_err(|_| KeyFileError::Invalid("cannot wrap the backup key".into()))?;
        for k in &mut self.keys {
            let key = old
                .unwrap_key(&k.id, &k.wrapped)
                .map_err(|_| KeyFileError::Invalid(format!("key {}", k.id)))?;
            k.wrapped = new
                .wrap(&k.id, &key)
                .map_err(|_| KeyFileError::Invalid(format!("key {}", k.id)))?;
            k.master_key_check = new.check_value();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(master: &MasterKey) -> KeyFile {
        let key = DataKey::generate().unwrap();
        KeyFile::new(
            "b1",
            "2026-11-25T00:00:00Z",
            &DataKey::generate().unwrap(),
            master,
            vec![DataKeyRow {
                id: "k1".into(),
                purpose: "conversation".into(),
                wrapped: master.wrap("k1", &key).unwrap(),
                master_key_check: master.check_value(),
                created_at: Timestamp::from_millis(5),
            }],
        )
        .unwrap()
    }

    #[test]
    fn round_trips_and_refuses_damage_or_another_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.backup.keys");
        let master = MasterKey::generate().unwrap();
        sample(&master).write(&path, &master).unwrap();
        let back = KeyFile::read(&path, &master).unwrap();
        assert_eq!(back.backup_id, "b1");
        assert_eq!(back.keys.len(), 1);
        back.backup_key(&master).unwrap();
        // After a rotation the file opens with the new key only.
        let mut rotated = back.clone();
        let new = MasterKey::generate().unwrap();
        rotated.rewrap(&master, &new).unwrap();
        rotated.write(&path, &new).unwrap();
        let back = KeyFile::read(&path, &new).unwrap();
        back.backup_key(&new).unwrap();
        new.unwrap_key("k1", &back.keys[0].wrapped).unwrap();
        sample(&master).write(&path, &master).unwrap();
        assert_eq!(back.keys[0].id, "k1");
        let other = MasterKey::generate().unwrap();
        assert!(matches!(
            KeyFile::read(&path, &other),
            Err(KeyFileError::WrongMasterKey(_))
        ));
        let good = std::fs::read(&path).unwrap();
        for at in [0, 13, good.len() / 2, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 1;
            std::fs::write(&path, &bad).unwrap();
            assert!(KeyFile::read(&path, &master).is_err(), "flip at {at}");
        }
    }

    #[test]
    fn shredding_removes_the_key_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.backup.keys");
        let master = MasterKey::generate().unwrap();
        let mut file = sample(&master);
        let wrapped = file.keys[0].wrapped.clone();
        assert_eq!(
            file.shred_all_but(&Default::default(), Timestamp::from_millis(9)),
            1
        );
        file.write(&path, &master).unwrap();
        let back = KeyFile::read(&path, &master).unwrap();
        assert!(back.keys.is_empty());
        assert_eq!(back.shredded[0].id, "k1");
        // The wrapped key appears nowhere in the file (the body is sealed,
        // and nothing of the old version survives the rename).
        let raw = std::fs::read(&path).unwrap();
        assert!(!raw.windows(wrapped.len()).any(|w| w == wrapped.as_slice()));
    }
}
