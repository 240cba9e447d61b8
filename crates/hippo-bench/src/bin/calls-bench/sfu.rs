//! hippo's SFU on its own thread and runtime, and the dispatcher that plays
//! the signalling server (the SFU's renegotiation offers to their clients).

use crate::options::thread_id;
use anyhow::{Context, Result};
use hippo_media::{Event as SfuEvent, ParticipantId, SfuHandle, spawn_udp};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The SFU on its own thread and runtime.
pub(crate) struct SfuThread {
    pub(crate) handle: SfuHandle,
    pub(crate) tid: u32,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Started = Result<(SfuHandle, mpsc::UnboundedReceiver<SfuEvent>, u32)>;

pub(crate) fn start_sfu() -> Result<(SfuThread, mpsc::UnboundedReceiver<SfuEvent>)> {
    let (tx, rx) = std::sync::mpsc::channel::<Started>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("hippo-sfu".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.into()));
                    return;
                }
            };
            rt.block_on(async move {
                let bind = SocketAddr::from(([127, 0, 0, 1], 0));
                let started = match spawn_udp(bind, bind).await {
                    Ok((h, ev)) => thread_id().map(|tid| (h, ev, tid)),
                    Err(e) => Err(e.into()),
                };
                let ok = started.is_ok();
                let _ = tx.send(started);
                if ok {
                    let _ = stop_rx.await;
                }
            });
        })?;
    let (handle, events, tid) = rx.recv().context("the SFU thread ended")??;
    Ok((
        SfuThread {
            handle,
            tid,
            stop: Some(stop_tx),
            thread: Some(thread),
        },
        events,
    ))
}

impl Drop for SfuThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) type Routes = Arc<Mutex<HashMap<ParticipantId, mpsc::UnboundedSender<String>>>>;

/// Plays the server: the SFU's offers to their clients; counts drops.
pub(crate) async fn dispatch(
    mut events: mpsc::UnboundedReceiver<SfuEvent>,
    routes: Routes,
    left: Arc<AtomicUsize>,
) {
    while let Some(event) = events.recv().await {
        match event {
            SfuEvent::Offer {
                participant, sdp, ..
            } => {
                let to = routes
                    .lock()
                    .ok()
                    .and_then(|r| r.get(&participant).cloned());
                if let Some(to) = to {
                    let _ = to.send(sdp);
                }
            }
            SfuEvent::Left { .. } => {
                left.fetch_add(1, Ordering::Relaxed);
            }
            SfuEvent::Connected { .. } => {}
        }
    }
}
