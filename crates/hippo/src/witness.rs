//! The witness file (`--audit-witness-file`): every audit tree head this
//! node signs, appended as one JSON line and synced to disk. Kept outside
//! the database (another volume or host), it lets `hippo audit verify
//! --witness FILE` catch a trail rewritten by someone who holds both the
//! database and the signing key: the heads witnessed before the rewrite
//! are no longer in it.

use anyhow::{Context, Result};
use hippo_store::TreeHeadRow;
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::sync::broadcast;

/// One witnessed head as a JSON line (the shape of proof files and `GET
/// /api/v1/audit/tree-head`, without the public key).
pub fn line(head: &TreeHeadRow) -> String {
    let mut line = crate::cli::proof::head_json(head, None).to_string();
    line.push('\n');
    line
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

/// Appends heads as they are signed until `stop` turns true, then those
/// already signed. Checks first that the file can be written, so a bad
/// path stops `serve` at start.
pub fn spawn(
    path: PathBuf,
    mut heads: broadcast::Receiver<TreeHeadRow>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>> {
    append(&path, "").with_context(|| {
        format!(
            "cannot write the audit witness file {} (--audit-witness-file)",
            path.display()
        )
    })?;
    Ok(tokio::spawn(async move {
        loop {
            let next = tokio::select! {
                next = heads.recv() => next,
                _ = stop.changed() => {
                    while let Ok(head) = heads.try_recv() {
                        write(&path, &head).await;
                    }
                    return;
                }
            };
            match next {
                Ok(head) => write(&path, &head).await,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "the audit witness fell behind; heads not witnessed"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }))
}

async fn write(path: &Path, head: &TreeHeadRow) {
    let text = line(head);
    let path = path.to_owned();
    let written = tokio::task::spawn_blocking(move || append(&path, &text)).await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::error!(
            tree_size = head.tree_size,
            "cannot append to the audit witness file"
        );
    }
}

/// Reads a witness file (JSON lines; blank lines skipped).
pub fn read(path: &Path) -> Result<Vec<hippo_service::audit::WitnessedHead>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the witness file {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| {
                format!(
                    "line {} of {} is not a witnessed tree head",
                    i + 1,
                    path.display()
                )
            })
        })
        .collect()
}
