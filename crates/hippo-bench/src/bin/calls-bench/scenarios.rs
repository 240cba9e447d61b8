//! The scenarios on hippo's SFU (a fan-out or mesh room; joins one after
//! the other) and the summary of a room's measurements.

use crate::client::{ClientStats, Shared, join, run_client};
use crate::options::{Load, Options, rcvbuf_errors, thread_cpu_ns, thread_id};
use crate::sfu::{Routes, dispatch, start_sfu};
use anyhow::Result;
use hippo_media::RoomId;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

#[derive(Debug)]
pub(crate) struct RoomResult {
    pub(crate) label: String,
    pub(crate) pps: f64,
    pub(crate) mbps: f64,
    pub(crate) sfu_cpu: f64,
    pub(crate) client_cpu: f64,
    pub(crate) loss: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) left: usize,
    pub(crate) errors: usize,
    pub(crate) ready: bool,
    pub(crate) rcvbuf_drops: u64,
}

impl RoomResult {
    pub(crate) fn holds(&self) -> bool {
        self.ready && self.errors == 0 && self.left == 0 && self.loss < 1.0 && self.p99 < 20.0
    }
}

/// One room: `publishers` publishing clients (each receiving the others if
/// `mesh`) and `listeners` receive-only ones.
pub(crate) async fn run_room(
    o: &Options,
    label: String,
    publishers: usize,
    listeners: usize,
) -> Result<RoomResult> {
    let (sfu, events) = start_sfu()?;
    let routes: Routes = Arc::default();
    let left = Arc::new(AtomicUsize::new(0));
    let dispatcher = tokio::spawn(dispatch(events, routes.clone(), left.clone()));
    let shared = Arc::new(Shared {
        load: Load::new(o),
        window: OnceLock::new(),
        ready: AtomicUsize::new(0),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let room = RoomId(label.replace(' ', "-"));
    let mut tasks = Vec::new();
    for i in 0..publishers + listeners {
        let index = u8::try_from(i).unwrap_or(u8::MAX);
        let c = join(
            &sfu.handle,
            &routes,
            &room,
            index,
            i < publishers,
            shared.clone(),
            stop.clone(),
            None,
        )
        .await?;
        tasks.push(tokio::spawn(run_client(c)));
    }
    let kinds = if shared.load.video { 2 } else { 1 };
    let receivers_per_publisher = publishers - 1 + listeners;
    let pairs = publishers * receivers_per_publisher * kinds;
    let deadline = Instant::now() + Duration::from_secs(60);
    while shared.ready.load(Ordering::Relaxed) < pairs && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = shared.ready.load(Ordering::Relaxed) >= pairs;
    let start = Instant::now() + Duration::from_millis(500);
    let end = start + Duration::from_secs(o.seconds);
    let _ = shared.window.set((start, end));
    let me = thread_id()?;
    tokio::time::sleep_until(start.into()).await;
    let drops0 = rcvbuf_errors();
    let (sfu0, me0, t0) = (thread_cpu_ns(sfu.tid)?, thread_cpu_ns(me)?, Instant::now());
    tokio::time::sleep_until(end.into()).await;
    let (sfu1, me1, t1) = (thread_cpu_ns(sfu.tid)?, thread_cpu_ns(me)?, Instant::now());
    let drops = rcvbuf_errors() - drops0;
    // Frames written just before the end are still on their way.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let mut stats = Vec::new();
    for t in tasks {
        stats.push(t.await?);
    }
    drop(sfu);
    let _ = dispatcher.await;

    Ok(summarise(
        o,
        label,
        &stats,
        receivers_per_publisher,
        Cpu {
            rcvbuf_drops: drops,
            server_ns: sfu1 - sfu0,
            client_ns: me1 - me0,
            wall: t1 - t0,
        },
        left.load(Ordering::Relaxed),
        ready,
    ))
}

pub(crate) struct Cpu {
    pub(crate) rcvbuf_drops: u64,
    pub(crate) server_ns: u64,
    pub(crate) client_ns: u64,
    pub(crate) wall: Duration,
}

pub(crate) fn summarise(
    o: &Options,
    label: String,
    stats: &[ClientStats],
    receivers_per_publisher: usize,
    cpu: Cpu,
    left: usize,
    ready: bool,
) -> RoomResult {
    let wall = cpu.wall.as_nanos() as f64;
    let sent: u64 = stats.iter().map(|s| s.sent).sum();
    let expected = sent * receivers_per_publisher as u64;
    let received: u64 = stats.iter().map(|s| s.received).sum();
    let datagrams: u64 = stats.iter().map(|s| s.datagrams).sum();
    let bytes: u64 = stats.iter().map(|s| s.bytes).sum();
    let mut lat: Vec<u32> = stats
        .iter()
        .flat_map(|s| s.latencies_us.iter().copied())
        .collect();
    lat.sort_unstable();
    let errors: Vec<&String> = stats.iter().filter_map(|s| s.error.as_ref()).collect();
    if let Some(e) = errors.first() {
        eprintln!("{label}: {} client(s) failed, e.g. {e}", errors.len());
    }
    let seconds = o.seconds as f64;
    RoomResult {
        label,
        pps: datagrams as f64 / seconds,
        mbps: bytes as f64 * 8.0 / seconds / 1e6,
        sfu_cpu: cpu.server_ns as f64 / wall * 100.0,
        client_cpu: cpu.client_ns as f64 / wall * 100.0,
        loss: if expected == 0 {
            100.0
        } else {
            (1.0 - received as f64 / expected as f64).max(0.0) * 100.0
        },
        p50: percentile_ms(&lat, 0.50),
        p99: percentile_ms(&lat, 0.99),
        left,
        errors: errors.len(),
        ready,
        rcvbuf_drops: cpu.rcvbuf_drops,
    }
}

/// `joins` subscribers, one after the other, join a room with one publisher:
/// from making the offer to the first frame received.
pub(crate) async fn run_joins(o: &Options) -> Result<(Vec<f64>, Vec<f64>)> {
    let (sfu, events) = start_sfu()?;
    let routes: Routes = Arc::default();
    let left = Arc::new(AtomicUsize::new(0));
    let dispatcher = tokio::spawn(dispatch(events, routes.clone(), left.clone()));
    let shared = Arc::new(Shared {
        load: Load::new(o),
        window: OnceLock::new(),
        ready: AtomicUsize::new(0),
    });
    let room = RoomId::from("joins");
    let stop_all = Arc::new(AtomicBool::new(false));
    let publisher = join(
        &sfu.handle,
        &routes,
        &room,
        0,
        true,
        shared.clone(),
        stop_all.clone(),
        None,
    )
    .await?;
    let publisher = tokio::spawn(run_client(publisher));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut times = Vec::new();
    let mut connected = Vec::new();
    for j in 0..o.joins {
        let index = u8::try_from(j % 250 + 1).unwrap_or(u8::MAX);
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = oneshot::channel();
        let t0 = Instant::now();
        let c = join(
            &sfu.handle,
            &routes,
            &room,
            index,
            false,
            shared.clone(),
            stop.clone(),
            Some(tx),
        )
        .await?;
        let id = c.id.clone();
        let task = tokio::spawn(run_client(c));
        match tokio::time::timeout(Duration::from_secs(20), rx).await {
            Ok(Ok(at)) => times.push((at - t0).as_secs_f64() * 1000.0),
            _ => eprintln!("join {j}: no frame within 20 s"),
        }
        stop.store(true, Ordering::Relaxed);
        let st = task.await?;
        if let Some(at) = st.connected_at {
            connected.push((at - t0).as_secs_f64() * 1000.0);
        }
        if let Some(e) = st.error {
            eprintln!("join {j}: {e}");
        }
        sfu.handle.remove_participant(room.clone(), id).await?;
    }
    stop_all.store(true, Ordering::Relaxed);
    let _ = publisher.await;
    drop(sfu);
    let _ = dispatcher.await;
    Ok((times, connected))
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!("{cores} cores, {cpu}; loadavg {}", load.trim())
}
