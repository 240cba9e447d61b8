//! Files: streamed upload and download. The bytes never pass through JSON
//! and are never held whole in memory.

use crate::AppState;
use crate::extract::Auth;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::wire::AttachmentResponse;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hippo_core::ErrorCode;
use hippo_service::files::{Download, UploadMeta};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Uploads and downloads.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(download))
}

/// A file's raw bytes, as the request or response body.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    pub filename: Option<String>,
}

/// `POST /api/v1/attachments?filename=F`: the raw file as the body, its
/// type in `Content-Type`.
#[utoipa::path(post, operation_id = "uploadAttachment", path = "/api/v1/attachments", tag = "files", security(("bearer" = [])),
    params(("filename" = String, Query, description = "The file's name as the user sees it")),
    request_body(content = inline(FileBytes), content_type = "application/octet-stream",
        description = "The file's bytes; Content-Type must be the file's real type (PDF, PNG, JPEG, GIF, WebP, TIFF, HEIC, MP4, DICOM, Office Open XML, UTF-8 text or CSV)"),
    responses((status = 201, description = "The stored file.", body = AttachmentResponse), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<AttachmentResponse>)> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            format!("bad query: {}", e.body_text()),
        )
    })?;
    let declared_len = match headers.get(header::CONTENT_LENGTH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| ApiError::new(ErrorCode::ValidationFailed, "bad Content-Length"))?,
        ),
    };
    let meta = UploadMeta {
        filename: query.filename.unwrap_or_default(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        declared_len,
    };
    let mut stream = body.into_data_stream();
    let result = state.hippo.files().upload(&actor, meta, &mut stream).await;
    if result.is_err() {
        let bound = state
            .hippo
            .config()
            .max_upload
            .saturating_mul(2)
            .max(DRAIN_AT_LEAST);
        drain(&mut stream, bound).await;
    }
    let info = result?;
    Ok((StatusCode::CREATED, Json(AttachmentResponse::from(&info))))
}

/// A refused upload's body is read up to twice `max_upload`, and at least
/// this much (a small limit should still refuse a typical photo politely).
const DRAIN_AT_LEAST: u64 = 64 * 1024 * 1024;
/// Longest a refused upload's remaining body is read for.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Reads and discards what is left of a refused upload (up to `bound`
/// bytes, for at most a minute), so an HTTP/1.1 client that is still
/// sending gets to read the problem document: answering without reading
/// the body makes the server close the connection under the sender, which
/// a browser reports as a network error instead of the refusal.
async fn drain(stream: &mut axum::body::BodyDataStream, bound: u64) {
    let read = async {
        let mut seen: u64 = 0;
        while let Some(Ok(chunk)) = stream.next().await {
            seen = seen.saturating_add(chunk.len() as u64);
            if seen > bound {
                break;
            }
        }
    };
    // Past the bound or the time limit the connection is closed after the
    // answer, as before.
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, read).await;
}

/// What RFC 5987 (`attr-char`) leaves unescaped in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition: attachment` with an ASCII fallback and the exact
/// name in RFC 5987 encoding.
fn content_disposition(filename: &str) -> HeaderValue {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(filename, ATTR_CHAR);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `GET /api/v1/attachments/{id}`: the bytes, to the uploader and to members
/// of a conversation where the file was shared.
#[utoipa::path(get, operation_id = "downloadAttachment", path = "/api/v1/attachments/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The file's bytes, with its `Content-Type` and `Content-Disposition: attachment`.",
            body = inline(FileBytes), content_type = "application/octet-stream"),
        (status = 404, body = Problem)))]
pub async fn download(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut download = state.hippo.files().download(&actor, &id).await?;
    // Read the first chunk before answering, so a file that cannot be read
    // at all gets a proper error status.
    let first = download.next_chunk().await?;
    let content_type = if download.info.content_type.starts_with("text/") {
        format!("{}; charset=utf-8", download.info.content_type)
    } else {
        download.info.content_type.clone()
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(download.info.size),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(&download.info.filename),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", download.info.sha256)) {
        headers.insert(header::ETAG, v);
    }
    let first = futures_util::stream::iter(first.map(Ok::<_, std::io::Error>));
    let rest = futures_util::stream::unfold(Some(download), |state| async move {
        let mut download: Download = state?;
        match download.next_chunk().await {
            Ok(Some(bytes)) => Some((Ok(bytes), Some(download))),
            Ok(None) => None,
            Err(e) => {
                // The status line is gone: the only honest signal left is
                // to cut the connection, which the client sees as an error.
                tracing::error!(error = %e, "attachment download aborted");
                Some((Err(std::io::Error::other("attachment unreadable")), None))
            }
        }
    });
    Ok((headers, Body::from_stream(first.chain(rest))).into_response())
}
