//! Secret key files: one line `<prefix><base64>`, mode 0600, created on
//! first use when allowed, refused when readable by group or others.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{kind} file {path} does not exist")]
    Missing { kind: &'static str, path: PathBuf },
    #[error(
        "{kind} file {path} is readable by group or others (mode {mode:o}); run: chmod 600 {path}"
    )]
    TooOpen {
        kind: &'static str,
        path: PathBuf,
        mode: u32,
    },
    #[error("{kind} file {path} is not a hippo {kind}")]
    Malformed { kind: &'static str, path: PathBuf },
    #[error("{kind} file {path}: {source}")]
    Io {
        kind: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not generate a key")]
    Crypto,
}

/// Reads the key bytes (a `kind` of key, named in errors) from `path`, or (when `create` and the file is
/// absent) generates them and writes the file with mode 0600. Returns the
/// bytes and whether the file was created.
pub(crate) fn load_or_create(
    kind: &'static str,
    path: &Path,
    prefix: &str,
    create: bool,
    generate: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, crate::CryptoError>,
) -> Result<(Zeroizing<Vec<u8>>, bool), KeyFileError> {
    let io = |source| KeyFileError::Io {
        kind,
        path: path.to_owned(),
        source,
    };
    if !path.exists() {
        if !create {
            return Err(KeyFileError::Missing {
                kind,
                path: path.to_owned(),
            });
        }
        let bytes = generate().map_err(|_| KeyFileError::Crypto)?;
        write_new(kind, path, prefix, &bytes)?;
        return Ok((bytes, true));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::TooOpen {
                kind,
                path: path.to_owned(),
                mode,
            });
        }
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
    let b64 = text
        .trim()
        .strip_prefix(prefix)
        .ok_or_else(|| KeyFileError::Malformed {
            kind,
            path: path.to_owned(),
        })?;
    let raw = Zeroizing::new(STANDARD.decode(b64).map_err(|_| KeyFileError::Malformed {
        kind,
        path: path.to_owned(),
    })?);
    Ok((raw, false))
}

/// Writes key bytes to a new file (mode 0600, fsynced); fails if it exists.
pub(crate) fn write_new(
    kind: &'static str,
    path: &Path,
    prefix: &str,
    bytes: &[u8],
) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        kind,
        path: path.to_owned(),
        source,
    };
    let text = Zeroizing::new(format!("{prefix}{}\n", STANDARD.encode(bytes)));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}
