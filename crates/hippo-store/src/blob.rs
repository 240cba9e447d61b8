//! Blob storage for file contents (already encrypted by the caller).
//!
//! [`BlobStore`] is the interface; [`LocalDirBlobs`] keeps blobs in a local
//! directory (the default). The interface is shaped for an S3-compatible
//! backend too: a blob is written once as a stream of parts and becomes
//! visible only when finished (a multipart upload's "complete"), read back
//! sequentially, and deleted whole.

use crate::{Result, StoreError};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where blobs live.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Starts writing blob `name`. Nothing is visible under the name until
    /// [`BlobWriter::finish`]; dropping the writer discards it.
    async fn create(&self, name: &str) -> Result<Box<dyn BlobWriter>>;
    /// Opens blob `name` for reading from the start.
    async fn open(&self, name: &str) -> Result<Box<dyn BlobReader>>;
    /// Removes blob `name`; removing a missing blob is not an error.
    async fn delete(&self, name: &str) -> Result<()>;
}

/// A blob being written.
#[async_trait]
pub trait BlobWriter: Send {
    async fn write(&mut self, bytes: &[u8]) -> Result<()>;
    /// Makes the blob durable and visible under its name.
    async fn finish(self: Box<Self>) -> Result<()>;
}

/// A blob being read.
#[async_trait]
pub trait BlobReader: Send {
    /// Fills `buf` unless the blob ends first; returns how many bytes were
    /// read (less than `buf.len()` only at the end).
    async fn read_full(&mut self, buf: &mut [u8]) -> Result<usize>;
}

fn io_err(what: &str, e: &std::io::Error) -> StoreError {
    StoreError::Other(format!("blob {what}: {e}"))
}

/// Blobs as files in a directory: `<dir>/<last two characters of the
/// name>/<name>`, written through `<dir>/partial/` and renamed into place
/// after `fsync`, so a crash leaves either the whole blob or none.
#[derive(Debug, Clone)]
pub struct LocalDirBlobs {
    dir: PathBuf,
}

impl LocalDirBlobs {
    /// Opens (creating, mode 0700) the directory and removes partial blobs a
    /// crash left behind.
    pub async fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let partial = dir.join("partial");
        create_private_dir(&partial).await?;
        let mut entries = tokio::fs::read_dir(&partial)
            .await
            .map_err(|e| io_err("directory", &e))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_err("directory", &e))?
        {
            tokio::fs::remove_file(entry.path())
                .await
                .map_err(|e| io_err("cleanup", &e))?;
        }
        Ok(Self { dir })
    }

    fn path_of(&self, name: &str) -> Result<PathBuf> {
        // Names are ids; anything else never reaches the file system.
        if name.len() < 2 || !name.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(StoreError::Other("invalid blob name".into()));
        }
        Ok(self.dir.join(&name[name.len() - 2..]).join(name))
    }
}

async fn create_private_dir(path: &Path) -> Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder
        .create(path)
        .await
        .map_err(|e| io_err("directory", &e))
}

async fn sync_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = tokio::fs::File::open(path)
            .await
            .map_err(|e| io_err("directory", &e))?;
        dir.sync_all()
            .await
            .map_err(|e| io_err("directory sync", &e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[async_trait]
impl BlobStore for LocalDirBlobs {
    async fn create(&self, name: &str) -> Result<Box<dyn BlobWriter>> {
        let target = self.path_of(name)?;
        let partial = self.dir.join("partial").join(name);
        let mut opts = tokio::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        opts.mode(0o600);
        let file = opts
            .open(&partial)
            .await
            .map_err(|e| io_err("create", &e))?;
        Ok(Box::new(LocalWriter {
            file: Some(tokio::io::BufWriter::with_capacity(256 * 1024, file)),
            partial,
            target,
        }))
    }

    async fn open(&self, name: &str) -> Result<Box<dyn BlobReader>> {
        let path = self.path_of(name)?;
        let file = tokio::fs::File::open(&path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StoreError::Corrupt("blob missing".into())
            } else {
                io_err("open", &e)
            }
        })?;
        Ok(Box::new(LocalReader {
            file: tokio::io::BufReader::with_capacity(256 * 1024, file),
        }))
    }

    async fn delete(&self, name: &str) -> Result<()> {
        let path = self.path_of(name)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err("delete", &e)),
        }
        if let Some(parent) = path.parent() {
            sync_dir(parent).await?;
        }
        Ok(())
    }
}

struct LocalWriter {
    file: Option<tokio::io::BufWriter<tokio::fs::File>>,
    partial: PathBuf,
    target: PathBuf,
}

#[async_trait]
impl BlobWriter for LocalWriter {
    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| StoreError::Other("blob already finished".into()))?;
        file.write_all(bytes).await.map_err(|e| io_err("write", &e))
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| StoreError::Other("blob already finished".into()))?;
        file.flush().await.map_err(|e| io_err("write", &e))?;
        file.get_ref()
            .sync_all()
            .await
            .map_err(|e| io_err("sync", &e))?;
        drop(file);
        let parent = self
            .target
            .parent()
            .ok_or_else(|| StoreError::Other("blob path has no parent".into()))?
            .to_owned();
        create_private_dir(&parent).await?;
        tokio::fs::rename(&self.partial, &self.target)
            .await
            .map_err(|e| io_err("rename", &e))?;
        sync_dir(&parent).await
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        // Not finished: the partial blob goes (it is ciphertext, but an
        // abandoned upload should leave nothing behind).
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

struct LocalReader {
    file: tokio::io::BufReader<tokio::fs::File>,
}

#[async_trait]
impl BlobReader for LocalReader {
    async fn read_full(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            let n = self
                .file
                .read(&mut buf[filled..])
                .await
                .map_err(|e| io_err("read", &e))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_blob_is_visible_only_once_finished() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalDirBlobs::open(dir.path().join("blobs")).await.unwrap();
        let name = "0190f5a4-7a1e-7cc3-9d44-0123456789ab";
        let mut w = blobs.create(name).await.unwrap();
        w.write(b"hello ").await.unwrap();
        w.write(b"world").await.unwrap();
        assert!(blobs.open(name).await.is_err(), "not visible before finish");
        w.finish().await.unwrap();
        let mut r = blobs.open(name).await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(r.read_full(&mut buf).await.unwrap(), 11);
        assert_eq!(&buf[..11], b"hello world");
        blobs.delete(name).await.unwrap();
        blobs.delete(name).await.unwrap();
        assert!(blobs.open(name).await.is_err());
    }

    #[tokio::test]
    async fn an_abandoned_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalDirBlobs::open(dir.path()).await.unwrap();
        let name = "0190f5a4-7a1e-7cc3-9d44-0123456789cd";
        let mut w = blobs.create(name).await.unwrap();
        w.write(b"partial").await.unwrap();
        drop(w);
        assert_eq!(
            std::fs::read_dir(dir.path().join("partial"))
                .unwrap()
                .count(),
            0
        );
        assert!(blobs.open(name).await.is_err());
    }

    #[tokio::test]
    async fn names_cannot_escape_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalDirBlobs::open(dir.path()).await.unwrap();
        assert!(blobs.create("../../etc/passwd").await.is_err());
        assert!(blobs.open("a/b").await.is_err());
    }
}
