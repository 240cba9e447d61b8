//! The connection loop: hyper's HTTP/1.1 and HTTP/2 server over the TLS or
//! plain listeners, with the deadlines and limits that keep a slow or
//! hostile client from holding connections, tasks and buffers.
//!
//! `axum::serve` offers none of these knobs (no header deadline, no HTTP/2
//! limits, no per-address cap), so hippo drives hyper itself:
//!
//! - **handshake**: the TLS listener drops a client that has not finished
//!   the handshake within [`Limits::handshake_timeout`];
//! - **request head**: hyper's `header_read_timeout`. Its timer starts
//!   whenever the connection waits for a request head — right after the
//!   handshake and again after each response — so it also ends an idle
//!   HTTP/1.1 keep-alive connection and one that never sends anything;
//! - **idle**: a connection (HTTP/2 included) that moves no byte either way
//!   for [`Limits::idle_timeout`] is closed (stream sockets ping every 25 s,
//!   so a live one never idles);
//! - **per address**: at most [`Limits::max_connections_per_address`] open
//!   connections from one peer address (trusted proxies exempt: every
//!   client behind them shares their address);
//! - **HTTP/2**: bounded concurrent streams, pending-accept resets (rapid
//!   reset, CVE-2023-44487), locally caused resets (CVE-2025-8671) and
//!   header-list size (which bounds CONTINUATION floods);
//! - **lingering close**: a connection hyper closes is shut down for
//!   writing and then read (and discarded) for a short while before the
//!   socket closes, so a client still sending a refused upload reads its
//!   413/415 instead of a reset.
//!
//! - **request body**: a grace period, then a minimum rate
//!   ([`crate::body_deadline`]).

use crate::body_deadline::DeadlineBody;
use crate::tls::Peer;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;
use tower::ServiceExt;

/// Deadlines and limits of the connection loop.
#[derive(Debug, Clone)]
pub struct Limits {
    pub handshake_timeout: Duration,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections_per_address: usize,
    /// Request bodies: a grace period, then a minimum rate.
    pub body: crate::body_deadline::BodyRate,
    /// Peers exempt from the per-address cap (trusted proxies).
    pub exempt: Vec<hippo_service::net::IpNet>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections_per_address: 256,
            body: crate::body_deadline::BodyRate {
                grace: Duration::from_secs(10),
                min_rate: 1024,
            },
            exempt: Vec::new(),
        }
    }
}

/// Concurrent HTTP/2 streams per connection.
const H2_MAX_STREAMS: u32 = 100;
/// Streams reset by the client before the server saw them (rapid reset).
const H2_MAX_PENDING_RESETS: usize = 20;
/// Streams the server had to reset because of the client's frames.
const H2_MAX_LOCAL_RESETS: usize = 256;
/// Largest request header block, HTTP/2 (after HPACK) and HTTP/1.1.
const MAX_HEADER_BYTES: u32 = 32 * 1024;
/// A closed connection is read (and discarded) for this long …
const LINGER_TIME: Duration = Duration::from_secs(5);
/// … or up to this many bytes, whichever comes first.
const LINGER_BYTES: usize = 16 * 1024 * 1024;

/// Open connections per peer address.
#[derive(Debug, Default)]
pub struct AddressSlots {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection's place in [`AddressSlots`]; freed on drop.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<AddressSlots>,
    ip: Option<IpAddr>,
}

impl AddressSlots {
    /// A slot for a connection from `ip`, or `None` when it already has
    /// `max` open. `exempt` addresses always get one (uncounted).
    pub fn take(self: &Arc<Self>, ip: IpAddr, max: usize, exempt: bool) -> Option<Slot> {
        if exempt {
            return Some(Slot {
                slots: self.clone(),
                ip: None,
            });
        }
        let ip = hippo_service::net::unmapped(ip);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            slots: self.clone(),
            ip: Some(ip),
        })
    }

    /// Connections open from `ip` (for tests and diagnostics).
    pub fn open_from(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&hippo_service::net::unmapped(ip))
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&ip);
            }
        }
    }
}

/// A connection's stream with its address slot, its last-activity clock
/// and a lingering close when dropped.
pub struct Conn<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> {
    inner: Option<S>,
    slot: Option<Slot>,
    activity: Arc<Activity>,
}

/// When a connection last moved a byte, in milliseconds since `base`.
#[derive(Debug)]
struct Activity {
    base: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            base: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.base + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Conn<S> {
    pub fn new(inner: S, slot: Slot) -> Self {
        Self {
            inner: Some(inner),
            slot: Some(slot),
            activity: Arc::new(Activity::new()),
        }
    }

    /// The stream; gone only once dropped (a lingering close owns it).
    fn io(&mut self) -> std::io::Result<&mut S> {
        self.inner
            .as_mut()
            .ok_or_else(|| std::io::ErrorKind::NotConnected.into())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncRead for Conn<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(self.io()?).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncWrite for Conn<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(self.io()?).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(self.io()?).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(self.io()?).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(self.io()?).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Drop for Conn<S> {
    fn drop(&mut self) {
        let (Some(mut io), slot) = (self.inner.take(), self.slot.take()) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        // Lingering close: what the client already sent (the rest of a
        // refused upload) would otherwise make the kernel answer with a
        // reset that discards the response it has not read yet.
        runtime.spawn(async move {
            let _slot = slot;
            let linger = async {
                let _ = io.shutdown().await;
                let mut buf = vec![0u8; 16 * 1024];
                let mut read = 0;
                while read < LINGER_BYTES {
                    match io.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => read += n,
                    }
                }
            };
            let _ = tokio::time::timeout(LINGER_TIME, linger).await;
        });
    }
}

/// The hyper builder with hippo's limits.
fn builder(limits: &Limits) -> Builder<TokioExecutor> {
    let mut b = Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEADER_BYTES as usize * 2)
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_STREAMS)
        .max_pending_accept_reset_streams(H2_MAX_PENDING_RESETS)
        .max_local_error_reset_streams(H2_MAX_LOCAL_RESETS)
        .max_header_list_size(MAX_HEADER_BYTES)
        // WebSockets over HTTP/2 (RFC 8441), as browsers open them.
        .enable_connect_protocol();
    b
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// open connections finish their requests (the caller bounds how long).
pub async fn serve<L, S>(
    mut listener: L,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    L: Listener<Io = Conn<S>, Addr = Peer>,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let builder = Arc::new(builder(&limits));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            conn = listener.accept() => conn,
            () = &mut shutdown => break,
        };
        let activity = io.activity.clone();
        let app = router.clone();
        let info = peer.clone();
        let body_rate = limits.body;
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(info.clone()));
                let req = req.map(|body| {
                    axum::body::Body::new(DeadlineBody::new(axum::body::Body::new(body), body_rate))
                });
                app.clone().oneshot(req)
            });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(io), service)
            .into_owned();
        let conn = graceful.watch(conn);
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            tokio::select! {
                result = conn => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                () = idle_for(&activity, idle) => {
                    tracing::debug!("closing a connection idle for {}s", idle.as_secs());
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Completes once `activity` has seen no byte for `idle`.
async fn idle_for(activity: &Activity, idle: Duration) {
    loop {
        let deadline = activity.last() + idle;
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline).await;
    }
}
