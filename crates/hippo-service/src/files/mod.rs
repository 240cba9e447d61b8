//! Files: streamed upload and download, encrypted at rest in chunks.
//!
//! An upload is read chunk by chunk (never whole in memory), its declared
//! content type checked against its bytes ([`hippo_core::filetype`]), its
//! SHA-256 computed on the way, and each [`CHUNK_SIZE`] piece sealed with a
//! data key of the attachment's own before it reaches the blob store. The
//! AAD of every chunk names the attachment, the chunk's index and whether it
//! is the last, so chunks cannot be reordered, swapped between files or cut
//! off. The filename and digest are sealed with the same key.
//!
//! A file is downloadable by its uploader and by the members of every
//! conversation where a (not recalled) message shares it. Every upload and
//! download is recorded; refused attempts are recorded as denied.

use crate::{Actor, Result, ServiceError};
use futures_util::{Stream, StreamExt};
use hippo_core::filetype::{self, FileKind, TextCheck};
use hippo_core::{AttachmentId, AttachmentInfo, AuditAction, ErrorCode, Outcome};
use hippo_crypto::{Aad, DataKey, SEAL_OVERHEAD, Sha256};
use hippo_store::AttachmentRow;
use hippo_store::blob::{BlobReader, BlobWriter};
use std::sync::Arc;

/// Plaintext bytes per sealed chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Most attachments one message may carry.
pub const MAX_PER_MESSAGE: usize = 10;
const MAX_FILENAME_CHARS: usize = 255;

fn chunk_aad(id: &AttachmentId, index: u64, last: bool) -> Aad {
    Aad::field(
        "attachments",
        "content",
        &format!("{id}/{index}/{}", if last { "last" } else { "more" }),
    )
}

fn filename_aad(id: &AttachmentId) -> Aad {
    Aad::field("attachments", "filename", id.as_str())
}

fn sha256_aad(id: &AttachmentId) -> Aad {
    Aad::field("attachments", "sha256", id.as_str())
}

fn parse_filename(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::validation(
            "filename is required: POST /api/v1/attachments?filename=…",
        ));
    }
    if name.chars().count() > MAX_FILENAME_CHARS {
        return Err(ServiceError::validation(format!(
            "filename must be at most {MAX_FILENAME_CHARS} characters"
        )));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
        || name == "."
        || name == ".."
    {
        return Err(ServiceError::validation(
            "filename must not contain path separators or control characters",
        ));
    }
    Ok(name.to_owned())
}

/// An attachment being downloaded: what it is, and its bytes chunk by chunk.
pub struct Download {
    pub info: AttachmentInfo,
    reader: Box<dyn BlobReader>,
    key: DataKey,
    id: AttachmentId,
    remaining: u64,
    index: u64,
    chunk_size: usize,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// The next piece of plaintext, or `None` at the end. A chunk that does
    /// not authenticate (tampering, truncation) is an error: the download
    /// must be abandoned.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let plain_len = self
            .remaining
            .min(u64::try_from(self.chunk_size).unwrap_or(u64::MAX));
        let plain_len = usize::try_from(plain_len).unwrap_or(self.chunk_size);
        let mut sealed = vec![0u8; plain_len + SEAL_OVERHEAD];
        let n = self.reader.read_full(&mut sealed).await?;
        if n != sealed.len() {
            return Err(ServiceError::Internal(format!(
                "attachment {} is truncated in the blob store",
                self.id
            )));
        }
        let last = self.remaining == plain_len as u64;
        let plain = self
            .key
            .open(&chunk_aad(&self.id, self.index, last), &sealed)
            .map_err(|_| {
                ServiceError::Internal(format!(
                    "attachment {} chunk {} failed authentication",
                    self.id, self.index
                ))
            })?;
        self.index += 1;
        self.remaining -= plain_len as u64;
        Ok(Some(plain.to_vec()))
    }
}

/// Accumulates an upload, sealing and writing full chunks as they fill.
struct ChunkWriter {
    blob: Box<dyn BlobWriter>,
    key: Arc<DataKey>,
    id: AttachmentId,
    buf: Vec<u8>,
    index: u64,
}

/// A new attachment's id, its data key (row and key) and a writer that
/// seals chunks under that key: the start of an upload and of a fetched
/// WhatsApp media file alike.
type NewWriter = (
    AttachmentId,
    hippo_store::DataKeyRow,
    Arc<DataKey>,
    ChunkWriter,
);

impl Files {
    async fn new_writer(&self, now: hippo_core::Timestamp) -> Result<NewWriter> {
        let id = AttachmentId::generate();
        self.core
            .keys
            .ensure_current(self.core.store.as_ref())
            .await?;
        let (key_row, key) = self.core.keys.new_attachment_key(now)?;
        let writer = ChunkWriter {
            blob: self.core.blobs.create(id.as_str()).await?,
            key: key.clone(),
            id: id.clone(),
            buf: Vec::with_capacity(CHUNK_SIZE * 2),
            index: 0,
        };
        Ok((id, key_row, key, writer))
    }
}

impl ChunkWriter {
    /// Seals and writes every full chunk that is certainly not the last.
    async fn push(&mut self, bytes: &[u8]) -> Result<()> {
        self.buf.extend_from_slice(bytes);
        while self.buf.len() > CHUNK_SIZE {
            let sealed = self.key.seal(
                &chunk_aad(&self.id, self.index, false),
                &self.buf[..CHUNK_SIZE],
            )?;
            self.blob.write(&sealed).await?;
            self.buf.drain(..CHUNK_SIZE);
            self.index += 1;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<()> {
        let sealed = self
            .key
            .seal(&chunk_aad(&self.id, self.index, true), &self.buf)?;
        self.blob.write(&sealed).await?;
        Ok(self.blob.finish().await?)
    }
}

/// What an upload brings besides its bytes.
#[derive(Debug, Clone)]
pub struct UploadMeta {
    pub filename: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Content-Length` header, if any.
    pub declared_len: Option<u64>,
}

/// Attachments: upload, download, inbound media (`hippo.files()`).
#[derive(Debug, Clone)]
pub struct Files {
    core: std::sync::Arc<crate::core::Core>,
}

impl Files {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self { core }
    }
}

impl Files {
    async fn refuse_upload(&self, actor: &Actor, error: ServiceError) -> ServiceError {
        let ev = actor
            .event(
                self.core.clock.now(),
                AuditAction::AttachmentUpload,
                Outcome::Failure,
            )
            .detail(serde_json::json!({ "reason": error.code().as_str() }));
        match self.core.audit_alone(ev).await {
            Ok(()) => error,
            Err(e) => e,
        }
    }

    /// Stores an uploaded file. The body is read as a stream; nothing is
    /// recorded and nothing stays in the blob store unless the whole file
    /// was accepted.
    pub async fn upload<S, B, E>(
        &self,
        actor: &Actor,
        meta: UploadMeta,
        mut body: S,
    ) -> Result<AttachmentInfo>
    where
        S: Stream<Item = Result<B, E>> + Unpin + Send,
        B: AsRef<[u8]> + Send,
        E: std::fmt::Display,
    {
        self.core
            .require_messaging(actor, AuditAction::AttachmentUpload)
            .await?;
        let filename = parse_filename(&meta.filename)?;
        let max = self.core.config.max_upload;
        let (content_type, kind) =
            match filetype::classify(meta.content_type.as_deref().unwrap_or("")) {
                Ok(found) => found,
                Err(e) => {
                    let err = ServiceError::public(ErrorCode::UnsupportedMediaType, e.to_string());
                    return Err(self.refuse_upload(actor, err).await);
                }
            };
        let too_large = || {
            ServiceError::public(
                ErrorCode::PayloadTooLarge,
                format!("files may be at most {max} bytes"),
            )
        };
        if meta.declared_len.is_some_and(|n| n > max) {
            return Err(self.refuse_upload(actor, too_large()).await);
        }

        let now = self.core.clock.now();
        let (id, key_row, key, mut writer) = self.new_writer(now).await?;
        let mut digest = Sha256::default();
        let mut text = (kind == FileKind::Text).then(TextCheck::default);
        let mut head: Vec<u8> = Vec::with_capacity(filetype::HEAD_LEN);
        let mut size: u64 = 0;
        let mismatch = || {
            ServiceError::validation(format!(
                "the file's bytes are not {content_type}; declare the type the file really has"
            ))
        };
        while let Some(piece) = body.next().await {
            let piece = piece.map_err(|e| {
                ServiceError::validation(format!("the upload was interrupted: {e}"))
            })?;
            let bytes = piece.as_ref();
            size += bytes.len() as u64;
            if size > max {
                // `writer` drops here: the partial blob is removed.
                return Err(self.refuse_upload(actor, too_large()).await);
            }
            if head.len() < filetype::HEAD_LEN {
                let take = (filetype::HEAD_LEN - head.len()).min(bytes.len());
                head.extend_from_slice(&bytes[..take]);
                if head.len() == filetype::HEAD_LEN && !kind.matches_head(&head) {
                    return Err(self.refuse_upload(actor, mismatch()).await);
                }
            }
            if let Some(t) = text.as_mut() {
                t.feed(bytes);
            }
            digest.update(bytes);
            writer.push(bytes).await?;
        }
        if size == 0 {
            return Err(self
                .refuse_upload(actor, ServiceError::validation("the file is empty"))
                .await);
        }
        let text_ok = text.is_none_or(TextCheck::finish);
        if (head.len() < filetype::HEAD_LEN && !kind.matches_head(&head)) || !text_ok {
            return Err(self.refuse_upload(actor, mismatch()).await);
        }
        if meta.declared_len.is_some_and(|n| n != size) {
            return Err(ServiceError::validation(
                "the body is shorter than its Content-Length",
            ));
        }
        writer.finish().await?;

        let sha256 = digest.finish_hex();
        let row = AttachmentRow {
            filename_enc: key.seal_str(&filename_aad(&id), &filename)?,
            sha256_enc: key.seal_str(&sha256_aad(&id), &sha256)?,
            id: id.clone(),
            uploader_id: actor.user.id.clone(),
            data_key_id: key_row.id.clone(),
            content_type: content_type.to_owned(),
            size: i64::try_from(size).map_err(|_| too_large())?,
            chunk_size: CHUNK_SIZE as i64,
            created_at: now,
        };
        let stored = async {
            let mut tx = self.core.store.begin_write().await?;
            self.core.keys.check_wrapping(tx.as_mut(), &key_row).await?;
            tx.insert_data_key(&key_row).await?;
            tx.insert_attachment(&row).await?;
            tx.append_audit(
                &actor
                    .event(now, AuditAction::AttachmentUpload, Outcome::Success)
                    .resource("attachment", id.as_str())
                    .detail(serde_json::json!({ "size": size, "content_type": content_type })),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        if let Err(e) = stored {
            // The blob has no row: remove it rather than leave an orphan.
            if let Err(cleanup) = self.core.blobs.delete(id.as_str()).await {
                tracing::warn!(attachment = %id, error = %cleanup, "orphan blob left behind");
            }
            return Err(e);
        }
        Ok(AttachmentInfo {
            id,
            filename,
            content_type: content_type.to_owned(),
            size,
            sha256,
        })
    }

    /// The key of an attachment (not cached: one per file).
    async fn attachment_key(&self, row: &AttachmentRow) -> Result<DataKey> {
        self.core
            .keys
            .unwrap_data_key(self.core.store.as_ref(), &row.data_key_id)
            .await
    }

    pub(crate) async fn attachment_info(&self, row: &AttachmentRow) -> Result<AttachmentInfo> {
        let key = self.attachment_key(row).await?;
        Ok(AttachmentInfo {
            filename: key.open_str(&filename_aad(&row.id), &row.filename_enc)?,
            sha256: key.open_str(&sha256_aad(&row.id), &row.sha256_enc)?,
            id: row.id.clone(),
            content_type: row.content_type.clone(),
            size: u64::try_from(row.size).unwrap_or_default(),
        })
    }

    /// Loads the attachments `ids` for a message the actor is sending: each
    /// must be one the actor may download. Unknown and foreign ids get the
    /// same answer.
    pub(crate) async fn attachments_for_send(
        &self,
        actor: &Actor,
        ids: &[String],
    ) -> Result<Vec<AttachmentRow>> {
        if ids.len() > MAX_PER_MESSAGE {
            return Err(ServiceError::validation(format!(
                "a message may carry at most {MAX_PER_MESSAGE} attachments"
            )));
        }
        let mut rows: Vec<AttachmentRow> = Vec::with_capacity(ids.len());
        for raw in ids {
            let row = match AttachmentId::parse(raw) {
                Some(id) => self
                    .accessible_attachment(actor, &id)
                    .await?
                    // Sharing on from emergency access is not allowed.
                    .filter(|(_, grant)| grant.is_none())
                    .map(|(row, _)| row),
                None => None,
            };
            let Some(row) = row else {
                return Err(self
                    .core
                    .deny(
                        actor,
                        AuditAction::MessageSend,
                        Some(("attachment", raw.chars().take(64).collect())),
                        ServiceError::validation(format!("no attachment {raw:.64} of yours")),
                    )
                    .await);
            };
            if rows.iter().any(|r| r.id == row.id) {
                return Err(ServiceError::validation(
                    "an attachment may appear once per message",
                ));
            }
            rows.push(row);
        }
        Ok(rows)
    }

    /// The attachment if the actor may download it: as its uploader, as a
    /// member of a conversation where it is shared, or (clinicians) through
    /// an open break-glass grant on such a conversation, whose id is then
    /// returned too.
    async fn accessible_attachment(
        &self,
        actor: &Actor,
        id: &AttachmentId,
    ) -> Result<Option<(AttachmentRow, Option<String>)>> {
        let Some(row) = self.core.store.get_attachment(id).await? else {
            return Ok(None);
        };
        if row.uploader_id == actor.user.id
            || self
                .core
                .store
                .attachment_shared_with(id, &actor.user.id)
                .await?
        {
            return Ok(Some((row, None)));
        }
        if actor.user.role == hippo_core::Role::Clinician {
            let now = self.core.clock.now();
            for conv in self.core.store.attachment_conversations(id).await? {
                if let Some(grant) = self
                    .core
                    .store
                    .active_break_glass(&conv, &actor.user.id, now)
                    .await?
                {
                    return Ok(Some((row, Some(grant.id))));
                }
            }
        }
        Ok(None)
    }

    /// Opens an attachment for download by its uploader or a member of a
    /// conversation where it is shared; for anyone else it does not exist.
    /// The download is recorded before the first byte goes out.
    pub async fn download(&self, actor: &Actor, id: &str) -> Result<Download> {
        self.core
            .require_messaging_for(
                actor,
                AuditAction::AttachmentDownload,
                Some(("attachment", id)),
            )
            .await?;
        let found = match AttachmentId::parse(id) {
            Some(aid) => self.accessible_attachment(actor, &aid).await?,
            None => None,
        };
        let Some((row, break_glass)) = found else {
            return Err(self
                .core
                .deny(
                    actor,
                    AuditAction::AttachmentDownload,
                    Some(("attachment", id.chars().take(64).collect())),
                    ServiceError::not_found(),
                )
                .await);
        };
        let download = self.open_download(row).await?;
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::AttachmentDownload,
                        Outcome::Success,
                    )
                    .resource("attachment", download.id.as_str())
                    .detail(match &break_glass {
                        Some(grant) => serde_json::json!({ "break_glass": grant }),
                        None => serde_json::json!({}),
                    }),
            )
            .await?;
        Ok(download)
    }

    /// Opens a stored attachment for reading (no access check, no record:
    /// the callers do both).
    async fn open_download(&self, row: AttachmentRow) -> Result<Download> {
        let info = self.attachment_info(&row).await?;
        let key = self.attachment_key(&row).await?;
        let reader = self.core.blobs.open(row.id.as_str()).await?;
        Ok(Download {
            remaining: info.size,
            info,
            reader,
            key,
            chunk_size: usize::try_from(row.chunk_size)
                .ok()
                .filter(|&n| n > 0)
                .unwrap_or(CHUNK_SIZE),
            id: row.id,
            index: 0,
        })
    }

    /// An attachment's bytes, whole (the patient export, which checks
    /// access and records the disclosure once for everything it reads).
    pub(crate) async fn read_whole(&self, id: &AttachmentId) -> Result<Vec<u8>> {
        let row = self
            .core
            .store
            .get_attachment(id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let mut download = self.open_download(row).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(download.info.size).unwrap_or(0));
        while let Some(chunk) = download.next_chunk().await? {
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

impl Files {
    /// Fetches a file a patient sent over WhatsApp (media lookup, then the
    /// download with the same token), checks it like an upload, and seals
    /// it into the blob store. The caller inserts the returned rows in the
    /// transaction that adds the message. Media the allow-list refuses, or
    /// that is larger than `max_upload`, is not stored (`None`).
    pub(crate) async fn fetch_inbound_media(
        &self,
        channel: &crate::whatsapp::WhatsappChannel,
        conv: &hippo_store::ConversationRow,
        media_id: &str,
        mime_type: Option<&str>,
        kind: &str,
        filename: Option<&str>,
    ) -> Result<Option<(AttachmentRow, hippo_store::DataKeyRow)>> {
        let unavailable = |what: &str, e: hippo_whatsapp::ApiError| {
            ServiceError::Internal(format!("WhatsApp media {what}: {}", e.title))
        };
        let info = match channel.api.media_info(media_id).await {
            Ok(info) => info,
            Err(e) if e.class == hippo_whatsapp::ErrorClass::Retryable => {
                return Err(unavailable("lookup", e));
            }
            Err(e) => {
                tracing::warn!(code = ?e.code, "WhatsApp media lookup refused; message kept without the file");
                return Ok(None);
            }
        };
        let declared = mime_type.unwrap_or(&info.mime_type);
        let Ok((content_type, file_kind)) =
            filetype::classify(declared.split(';').next().unwrap_or(declared).trim())
        else {
            tracing::warn!(%kind, "inbound WhatsApp media of a type hippo does not accept; not stored");
            return Ok(None);
        };
        let bytes = match channel
            .api
            .download_media(&info.url, self.core.config.max_upload)
            .await
        {
            Ok(b) => b,
            Err(e) if e.class == hippo_whatsapp::ErrorClass::Retryable => {
                return Err(unavailable("download", e));
            }
            Err(e) => {
                tracing::warn!(code = ?e.code, "WhatsApp media download refused; message kept without the file");
                return Ok(None);
            }
        };
        let head = &bytes[..bytes.len().min(filetype::HEAD_LEN)];
        let text_ok = file_kind != FileKind::Text || {
            let mut t = TextCheck::default();
            t.feed(&bytes);
            t.finish()
        };
        if bytes.is_empty() || !file_kind.matches_head(head) || !text_ok {
            tracing::warn!(%kind, "inbound WhatsApp media does not match its type; not stored");
            return Ok(None);
        }
        let mut digest = Sha256::default();
        digest.update(&bytes);
        let sha256 = digest.finish_hex();
        if let Some(expected) = info.sha256.as_deref()
            && expected.len() == 64
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(ServiceError::Internal(
                "WhatsApp media does not match its SHA-256".into(),
            ));
        }
        let now = self.core.clock.now();
        let (id, key_row, key, mut writer) = self.new_writer(now).await?;
        writer.push(&bytes).await?;
        writer.finish().await?;
        let ext = content_type.rsplit('/').next().unwrap_or("bin");
        let filename = filename
            .and_then(|f| parse_filename(f).ok())
            .unwrap_or_else(|| format!("whatsapp-{kind}.{ext}"));
        let row = AttachmentRow {
            filename_enc: key.seal_str(&filename_aad(&id), &filename)?,
            sha256_enc: key.seal_str(&sha256_aad(&id), &sha256)?,
            id,
            // Files need a user as uploader: the one who registered the
            // patient. Access still follows the conversation's members.
            uploader_id: conv.created_by.clone(),
            data_key_id: key_row.id.clone(),
            content_type: content_type.to_owned(),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            chunk_size: CHUNK_SIZE as i64,
            created_at: now,
        };
        Ok(Some((row, key_row)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames() {
        assert_eq!(
            parse_filename(" lab report.pdf ").unwrap(),
            "lab report.pdf"
        );
        assert!(parse_filename("").is_err());
        assert!(parse_filename("../etc/passwd").is_err());
        assert!(parse_filename("a\\b").is_err());
        assert!(parse_filename("a\nb").is_err());
        assert!(parse_filename("..").is_err());
        assert!(parse_filename(&"x".repeat(256)).is_err());
        assert!(parse_filename(&"é".repeat(255)).is_ok());
    }
}
