//! `calls-bench`: hippo's SFU (hippo-media) under synthetic call load.
//!
//! hippo-media's own UDP driver (`hippo_media::spawn_udp`, the one `hippo
//! serve --media-listen` runs) is started in this process on its own thread
//! (a current-thread tokio runtime named `hippo-sfu`), so its CPU time can be
//! read from `/proc/self/task/<tid>/schedstat`. The clients are str0m peers,
//! as a browser would be, on the main thread (another current-thread
//! runtime), each with its own loopback UDP socket. This bench plays the
//! signalling server: it gives each client's offer to the SFU and relays the
//! SFU's renegotiation offers and the clients' answers (no `hippo serve`, no
//! WebSocket, no auth).
//!
//! Publishers write synthetic frames, no encoder: Opus every 20 ms and VP8
//! at `--fps`, sized for `--audio-kbps` and `--video-kbps`; str0m packetises
//! them. Each frame carries its publisher, a sequence number and the instant
//! it was written, so a subscriber measures the added latency (written →
//! depacketised at the subscriber: publisher str0m, loopback, the SFU's
//! depacketise/repacketise, loopback, subscriber str0m) and the loss (frames
//! written in the window × subscribers, against frames received). Out of the
//! SFU: every datagram the clients' sockets receive in the window (RTP, RTCP,
//! STUN). Scenarios:
//!
//! - fan-out: one publisher, N receive-only subscribers (`--fanout 1,5,10`);
//! - mesh: N participants, each publishing and receiving the other N-1
//!   (`--mesh 3,5,8`);
//! - join: `--joins` subscribers join one after the other a room with one
//!   publisher; offer → first frame received, p50/p99.
//!
//! `--janus URL` runs the same rooms through Janus's VideoRoom plugin
//! instead (its HTTP API; config in crates/hippo-bench/janus/), with the
//! same clients; Janus's CPU is its whole process.
//!
//! ```sh
//! cargo build --release -p hippo-bench
//! target/release/calls-bench --seconds 10 --fanout 1,5,10,25,50 --mesh 3,5,8 --joins 20
//! target/release/calls-bench --audio-only --fanout 50,100,200,250 --mesh 8,12,16 --joins 0
//! janus -C crates/hippo-bench/janus/janus.jcfg -F crates/hippo-bench/janus &
//! target/release/calls-bench --janus http://127.0.0.1:8088/janus --client-ip 192.0.2.2
//! ```

use anyhow::{Context, Result, anyhow, bail};
use hippo_media::{Event as SfuEvent, ParticipantId, RoomId, SfuHandle, spawn_udp};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

const AUDIO_MARK: u8 = 0xA0;
/// A VP8 payload header with P=0: every synthetic frame reads as a keyframe.
const VIDEO_MARK: u8 = 0x10;
/// mark, 0, 0, publisher, seq (u32), written at (u64 ns since EPOCH).
const HEADER: usize = 16;
const AUDIO_FRAME: Duration = Duration::from_millis(20);

static EPOCH: OnceLock<Instant> = OnceLock::new();

fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

#[derive(Debug, Clone)]
struct Options {
    fanout: Vec<usize>,
    mesh: Vec<usize>,
    joins: usize,
    seconds: u64,
    audio_kbps: u64,
    video_kbps: u64,
    fps: u64,
    audio_only: bool,
    /// Janus's HTTP API instead of hippo's SFU.
    janus: Option<String>,
    /// The address Janus's clients bind (Janus offers no loopback
    /// candidates, so they use one of the box's own addresses).
    client_ip: std::net::IpAddr,
}

fn list(value: &str) -> Result<Vec<usize>> {
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse::<usize>().context("a list of numbers"))
        .filter(|n| !matches!(n, Ok(0)))
        .collect()
}

fn parse_options() -> Result<Options> {
    let mut o = Options {
        fanout: vec![1, 5, 10, 25, 50],
        mesh: vec![3, 5, 8],
        joins: 20,
        seconds: 10,
        audio_kbps: 32,
        video_kbps: 800,
        fps: 30,
        audio_only: false,
        janus: None,
        client_ip: std::net::IpAddr::from([127, 0, 0, 1]),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--audio-only" {
            o.audio_only = true;
            i += 1;
            continue;
        }
        let value = args
            .get(i + 1)
            .with_context(|| format!("{} needs a value", args[i]))?;
        let n = || {
            value
                .parse::<u64>()
                .with_context(|| format!("{} needs a number", args[i]))
        };
        match args[i].as_str() {
            "--fanout" => o.fanout = list(value)?,
            "--mesh" => o.mesh = list(value)?,
            "--joins" => o.joins = usize::try_from(n()?)?.min(1000),
            "--seconds" => o.seconds = n()?.clamp(1, 600),
            "--audio-kbps" => o.audio_kbps = n()?.clamp(8, 512),
            "--video-kbps" => o.video_kbps = n()?.clamp(50, 20_000),
            "--fps" => o.fps = n()?.clamp(1, 60),
            "--janus" => o.janus = Some(value.clone()),
            "--client-ip" => o.client_ip = value.parse().context("--client-ip: an address")?,
            other => bail!("unknown option {other}"),
        }
        i += 2;
    }
    if o.fanout.iter().chain(&o.mesh).any(|&n| n > 250) || o.mesh.contains(&1) {
        bail!("rooms of 2..=250 (mesh) or 1..=250 subscribers (fan-out)");
    }
    Ok(o)
}

/// What every publisher writes.
#[derive(Debug, Clone, Copy)]
struct Load {
    audio_bytes: usize,
    video_bytes: usize,
    video_interval: Duration,
    video_ticks: u64,
    video: bool,
}

impl Load {
    fn new(o: &Options) -> Self {
        let audio_bytes = (o.audio_kbps * 1000 / 8 / 50) as usize;
        let video_bytes = (o.video_kbps * 1000 / 8 / o.fps) as usize;
        Self {
            audio_bytes: audio_bytes.max(HEADER),
            video_bytes: video_bytes.max(HEADER),
            video_interval: Duration::from_micros(1_000_000 / o.fps),
            video_ticks: 90_000 / o.fps,
            video: !o.audio_only,
        }
    }
}

/// This thread's id (`/proc/thread-self` is `<pid>/task/<tid>`).
fn thread_id() -> Result<u32> {
    let link = std::fs::read_link("/proc/thread-self")?;
    let tid = link
        .file_name()
        .and_then(|s| s.to_str())
        .context("no thread id")?;
    Ok(tid.parse()?)
}

/// CPU time a thread of this process has had, in ns.
fn thread_cpu_ns(tid: u32) -> Result<u64> {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))?;
    let ns = s.split_whitespace().next().context("empty schedstat")?;
    Ok(ns.parse()?)
}

/// The box's UDP receive-buffer overflows so far (`/proc/net/snmp`,
/// every socket on the box, not only this bench's).
fn rcvbuf_errors() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "RcvbufErrors")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// The SFU on its own thread and runtime.
struct SfuThread {
    handle: SfuHandle,
    tid: u32,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Started = Result<(SfuHandle, mpsc::UnboundedReceiver<SfuEvent>, u32)>;

fn start_sfu() -> Result<(SfuThread, mpsc::UnboundedReceiver<SfuEvent>)> {
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

type Routes = Arc<Mutex<HashMap<ParticipantId, mpsc::UnboundedSender<String>>>>;

/// Plays the server: the SFU's offers to their clients; counts drops.
async fn dispatch(
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

/// What the clients of one room share.
struct Shared {
    load: Load,
    /// Frames written in [start, end) are counted.
    window: OnceLock<(Instant, Instant)>,
    /// (subscriber, publisher, kind) pairs that have seen a frame.
    ready: AtomicUsize,
}

impl Shared {
    fn in_window(&self, at: Instant) -> bool {
        self.window
            .get()
            .is_some_and(|&(start, end)| at >= start && at < end)
    }
}

#[derive(Default, Debug)]
struct ClientStats {
    /// Frames this client wrote in the window.
    sent: u64,
    /// Frames it received that were written in the window.
    received: u64,
    latencies_us: Vec<u32>,
    /// Datagrams and bytes its socket received in the window.
    datagrams: u64,
    bytes: u64,
    /// When its connection came up (ICE and DTLS).
    connected_at: Option<Instant>,
    error: Option<String>,
}

struct Client {
    index: u8,
    rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    /// Its audio and video m-lines, if it publishes.
    publish: Option<(Mid, Option<Mid>)>,
    offers: mpsc::UnboundedReceiver<String>,
    /// Where its answers to renegotiation offers go (hippo's SFU only).
    sfu: Option<(SfuHandle, RoomId)>,
    id: ParticipantId,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    first_frame: Option<oneshot::Sender<Instant>>,
}

/// A client offers (its audio and video to send, or one receive-only audio
/// m-line) and the SFU answers.
#[allow(clippy::too_many_arguments)]
async fn join(
    sfu: &SfuHandle,
    routes: &Routes,
    room: &RoomId,
    index: u8,
    publish: bool,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    first_frame: Option<oneshot::Sender<Instant>>,
) -> Result<Client> {
    let socket = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = socket.local_addr()?;
    let mut rtc = Rtc::builder()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .build(Instant::now());
    rtc.add_local_candidate(Candidate::host(addr, "udp")?)
        .context("local candidate refused")?;
    let mut change = rtc.sdp_api();
    let published = if publish {
        let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = shared
            .load
            .video
            .then(|| change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None));
        Some((audio, video))
    } else {
        change.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None);
        None
    };
    let (offer, pending) = change.apply().context("no offer")?;
    let id = ParticipantId(format!("p{index}-{}", room.0));
    let (offer_tx, offers) = mpsc::unbounded_channel();
    routes
        .lock()
        .map_err(|_| anyhow!("routes poisoned"))?
        .insert(id.clone(), offer_tx);
    let answer = sfu
        .add_participant(room.clone(), id.clone(), offer.to_sdp_string())
        .await?;
    rtc.sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(&answer)?)?;
    Ok(Client {
        index,
        rtc,
        socket,
        addr,
        publish: published,
        offers,
        sfu: Some((sfu.clone(), room.clone())),
        id,
        shared,
        stop,
        first_frame,
    })
}

async fn run_client(mut c: Client) -> ClientStats {
    let mut st = ClientStats::default();
    if let Err(e) = drive(&mut c, &mut st).await {
        st.error = Some(format!("{e:#}"));
    }
    st
}

fn payload_type(rtc: &mut Rtc, mid: Mid, codec: Codec) -> Option<Pt> {
    let writer = rtc.writer(mid)?;
    writer
        .payload_params()
        .find(|p| p.spec().codec == codec)
        .map(|p| p.pt())
}

fn frame(mark: u8, publisher: u8, seq: u32, size: usize, at: Instant) -> Vec<u8> {
    let mut f = vec![0u8; size];
    f[0] = mark;
    f[3] = publisher;
    f[4..8].copy_from_slice(&seq.to_be_bytes());
    let ns = u64::try_from(at.duration_since(epoch()).as_nanos()).unwrap_or(u64::MAX);
    f[8..16].copy_from_slice(&ns.to_be_bytes());
    f
}

struct Publishing {
    audio: (Mid, Option<Pt>, u32, Instant),
    video: Option<(Mid, Option<Pt>, u32, Instant)>,
}

async fn drive(c: &mut Client, st: &mut ClientStats) -> Result<()> {
    let mut buf = vec![0u8; 2048];
    let mut next_timeout = Instant::now();
    let load = c.shared.load;
    let mut publishing: Option<Publishing> = None;
    let mut seen: HashSet<(u8, u8)> = HashSet::new();
    while !c.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= next_timeout {
            c.rtc.handle_input(Input::Timeout(now))?;
        }
        if let Some((audio, video)) = c.publish
            && c.rtc.is_connected()
        {
            let p = publishing.get_or_insert(Publishing {
                audio: (audio, None, 0, now),
                video: video.map(|v| (v, None, 0, now)),
            });
            write_due(&mut c.rtc, c.index, &load, p, now, &c.shared, st)?;
        }
        loop {
            match c.rtc.poll_output()? {
                Output::Timeout(at) => {
                    next_timeout = at;
                    break;
                }
                Output::Transmit(t) => {
                    let _ = c.socket.try_send_to(&t.contents, t.destination);
                }
                Output::Event(e) => on_event(c, &e, st, &mut seen),
            }
        }
        let mut wake = next_timeout.min(now + Duration::from_millis(50));
        if let Some(p) = &publishing {
            wake = wake.min(p.audio.3);
            if let Some(v) = &p.video {
                wake = wake.min(v.3);
            }
        }
        tokio::select! {
            received = c.socket.recv_from(&mut buf) => {
                let (n, from) = received?;
                receive(c, &buf[..n], from, st)?;
                while let Ok((n, from)) = c.socket.try_recv_from(&mut buf) {
                    receive(c, &buf[..n], from, st)?;
                }
            }
            Some(sdp) = c.offers.recv() => {
                let offer = SdpOffer::from_sdp_string(&sdp)?;
                let answer = c.rtc.sdp_api().accept_offer(offer)?;
                if let Some((sfu, room)) = &c.sfu {
                    sfu.apply_answer(room.clone(), c.id.clone(), answer.to_sdp_string())
                        .await?;
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
    Ok(())
}

fn write_due(
    rtc: &mut Rtc,
    index: u8,
    load: &Load,
    p: &mut Publishing,
    now: Instant,
    shared: &Shared,
    st: &mut ClientStats,
) -> Result<()> {
    let counted = shared.in_window(now);
    let (mid, pt, seq, next) = &mut p.audio;
    while *next <= now {
        *next += AUDIO_FRAME;
        if pt.is_none() {
            *pt = payload_type(rtc, *mid, Codec::Opus);
        }
        let (Some(pt), Some(writer)) = (*pt, rtc.writer(*mid)) else {
            continue;
        };
        *seq += 1;
        let time = MediaTime::new(u64::from(*seq) * 960, Frequency::FORTY_EIGHT_KHZ);
        writer.write(
            pt,
            now,
            time,
            frame(AUDIO_MARK, index, *seq, load.audio_bytes, now),
        )?;
        st.sent += u64::from(counted);
    }
    if let Some((mid, pt, seq, next)) = &mut p.video {
        while *next <= now {
            *next += load.video_interval;
            if pt.is_none() {
                *pt = payload_type(rtc, *mid, Codec::Vp8);
            }
            let (Some(pt), Some(writer)) = (*pt, rtc.writer(*mid)) else {
                continue;
            };
            *seq += 1;
            let time = MediaTime::new(u64::from(*seq) * load.video_ticks, Frequency::NINETY_KHZ);
            writer.write(
                pt,
                now,
                time,
                frame(VIDEO_MARK, index, *seq, load.video_bytes, now),
            )?;
            st.sent += u64::from(counted);
        }
    }
    Ok(())
}

fn receive(c: &mut Client, bytes: &[u8], from: SocketAddr, st: &mut ClientStats) -> Result<()> {
    let now = Instant::now();
    if c.shared.in_window(now) {
        st.datagrams += 1;
        st.bytes += bytes.len() as u64;
    }
    let r = Receive::new(Protocol::Udp, from, c.addr, bytes).map_err(|e| anyhow!("{e}"))?;
    c.rtc.handle_input(Input::Receive(now, r))?;
    Ok(())
}

fn on_event(c: &mut Client, e: &Event, st: &mut ClientStats, seen: &mut HashSet<(u8, u8)>) {
    if matches!(e, Event::Connected) {
        st.connected_at.get_or_insert_with(Instant::now);
    }
    let Event::MediaData(d) = e else {
        return;
    };
    let data = &d.data;
    if data.len() < HEADER || !(data[0] == AUDIO_MARK || data[0] == VIDEO_MARK) {
        return;
    }
    let now = Instant::now();
    if let Some(tx) = c.first_frame.take() {
        let _ = tx.send(now);
    }
    if seen.insert((data[3], data[0])) {
        c.shared.ready.fetch_add(1, Ordering::Relaxed);
    }
    let mut ns = [0u8; 8];
    ns.copy_from_slice(&data[8..16]);
    let written = epoch() + Duration::from_nanos(u64::from_be_bytes(ns));
    if c.shared.in_window(written) {
        st.received += 1;
        let us = now.saturating_duration_since(written).as_micros();
        st.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
    }
}

fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

#[derive(Debug)]
struct RoomResult {
    label: String,
    pps: f64,
    mbps: f64,
    sfu_cpu: f64,
    client_cpu: f64,
    loss: f64,
    p50: f64,
    p99: f64,
    left: usize,
    errors: usize,
    ready: bool,
    rcvbuf_drops: u64,
}

impl RoomResult {
    fn holds(&self) -> bool {
        self.ready && self.errors == 0 && self.left == 0 && self.loss < 1.0 && self.p99 < 20.0
    }
}

/// One room: `publishers` publishing clients (each receiving the others if
/// `mesh`) and `listeners` receive-only ones.
async fn run_room(
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

struct Cpu {
    rcvbuf_drops: u64,
    server_ns: u64,
    client_ns: u64,
    wall: Duration,
}

fn summarise(
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
async fn run_joins(o: &Options) -> Result<(Vec<f64>, Vec<f64>)> {
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

fn machine() -> String {
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

fn main() -> Result<()> {
    let o = parse_options()?;
    epoch();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(o))
}

async fn run(o: Options) -> Result<()> {
    let load = Load::new(&o);
    println!("# calls-bench: {}", machine());
    if load.video {
        println!(
            "# each publisher: Opus {} kbit/s ({} B / 20 ms) + VP8 {} kbit/s ({} B x {} fps); {} s windows",
            o.audio_kbps, load.audio_bytes, o.video_kbps, load.video_bytes, o.fps, o.seconds
        );
    } else {
        println!(
            "# each publisher: Opus {} kbit/s ({} B / 20 ms), no video; {} s windows",
            o.audio_kbps, load.audio_bytes, o.seconds
        );
    }
    let janus = match &o.janus {
        Some(url) => Some(Janus::connect(url, o.client_ip).await?),
        None => None,
    };
    let server = if janus.is_some() {
        "Janus process"
    } else {
        "hippo SFU thread"
    };
    println!("# server: {server}");
    println!();
    println!(
        "| room | out of SFU: pkt/s | Mbit/s | {server} CPU % | client thread CPU % | loss % | added latency p50 / p99 ms | UDP rcvbuf drops (box) | holds |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut results = Vec::new();
    let rooms = o
        .fanout
        .iter()
        .map(|&n| (format!("1 → {n}"), 1, n))
        .chain(o.mesh.iter().map(|&n| (format!("{n}×{n}"), n, 0)));
    for (n, (label, publishers, listeners)) in rooms.enumerate() {
        let r = match &janus {
            Some(j) => {
                let room = 4_200_000 + std::process::id() as u64 * 100 + n as u64;
                run_room_janus(&o, j, room, label, publishers, listeners).await?
            }
            None => run_room(&o, label, publishers, listeners).await?,
        };
        let mut notes = String::new();
        if !r.ready {
            notes.push_str(" (media never reached every pair)");
        }
        if r.left > 0 || r.errors > 0 {
            notes.push_str(&format!(
                " ({} dropped by the SFU, {} client errors)",
                r.left, r.errors
            ));
        }
        println!(
            "| {} | {:.0} | {:.1} | {:.0} | {:.0} | {:.2} | {:.1} / {:.1} | {} | {}{} |",
            r.label,
            r.pps,
            r.mbps,
            r.sfu_cpu,
            r.client_cpu,
            r.loss,
            r.p50,
            r.p99,
            r.rcvbuf_drops,
            if r.holds() { "yes" } else { "no" },
            notes
        );
        results.push(r);
    }
    let largest = |prefix: &str| {
        results
            .iter()
            .filter(|r| r.label.contains(prefix) && r.holds())
            .map(|r| r.label.clone())
            .next_back()
            .unwrap_or_else(|| "none".into())
    };
    if !o.fanout.is_empty() {
        println!(
            "\nlargest fan-out held (< 1 % loss, p99 < 20 ms): {}",
            largest("→")
        );
    }
    if !o.mesh.is_empty() {
        println!(
            "largest mesh held (< 1 % loss, p99 < 20 ms): {}",
            largest("×")
        );
    }
    if o.joins > 0 {
        let (mut t, mut c) = match &janus {
            Some(j) => {
                let room = 4_200_000 + std::process::id() as u64 * 100 + 99;
                run_joins_janus(&o, j, room).await?
            }
            None => run_joins(&o).await?,
        };
        t.sort_by(f64::total_cmp);
        c.sort_by(f64::total_cmp);
        let pick = |v: &[f64], p: f64| {
            if v.is_empty() {
                f64::NAN
            } else {
                v[(((v.len() - 1) as f64) * p).round() as usize]
            }
        };
        println!(
            "\njoin (offer → first frame received), {} of {} joins: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            t.len(),
            o.joins,
            pick(&t, 0.5),
            pick(&t, 0.99),
            t.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "  of which offer → connected (ICE + DTLS, client side): p50 {:.1} ms, p99 {:.1} ms",
            pick(&c, 0.5),
            pick(&c, 0.99)
        );
    }
    Ok(())
}

// ---- Janus (VideoRoom plugin, HTTP API) as the peer SFU ----------------

type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

/// One Janus session over its HTTP API; events come from a long poll and go
/// to the request whose transaction they carry.
struct Janus {
    http: reqwest::Client,
    url: String,
    waiting: Waiting,
    next: AtomicUsize,
    poller: tokio::task::JoinHandle<()>,
    client_ip: std::net::IpAddr,
    /// Handles attached since the last `detach_all`.
    handles: Mutex<Vec<u64>>,
}

impl Drop for Janus {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

async fn poll_events(http: reqwest::Client, url: String, waiting: Waiting) {
    loop {
        let got = async {
            let v: Value = http
                .get(format!("{url}?maxev=20"))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(v)
        }
        .await;
        let Ok(v) = got else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let events = match v {
            Value::Array(events) => events,
            one => vec![one],
        };
        for e in events {
            let Some(t) = e.get("transaction").and_then(Value::as_str) else {
                continue;
            };
            let tx = waiting.lock().ok().and_then(|mut w| w.remove(t));
            if let Some(tx) = tx {
                let _ = tx.send(e);
            }
        }
    }
}

impl Janus {
    async fn connect(base: &str, client_ip: std::net::IpAddr) -> Result<Self> {
        let http = reqwest::Client::new();
        let v: Value = http
            .post(base)
            .json(&json!({"janus": "create", "transaction": "create"}))
            .send()
            .await?
            .json()
            .await?;
        let session = v["data"]["id"].as_u64().context("Janus made no session")?;
        let url = format!("{base}/{session}");
        let waiting: Waiting = Arc::default();
        let poller = tokio::spawn(poll_events(http.clone(), url.clone(), waiting.clone()));
        Ok(Self {
            http,
            url,
            waiting,
            next: AtomicUsize::new(0),
            poller,
            client_ip,
            handles: Mutex::new(Vec::new()),
        })
    }

    fn transaction(&self) -> String {
        format!("t{}", self.next.fetch_add(1, Ordering::Relaxed))
    }

    async fn attach(&self) -> Result<u64> {
        let v: Value = self
            .http
            .post(&self.url)
            .json(&json!({
                "janus": "attach",
                "plugin": "janus.plugin.videoroom",
                "transaction": self.transaction(),
            }))
            .send()
            .await?
            .json()
            .await?;
        let handle = v["data"]["id"]
            .as_u64()
            .with_context(|| format!("attach refused: {v}"))?;
        if let Ok(mut h) = self.handles.lock() {
            h.push(handle);
        }
        Ok(handle)
    }

    /// Detaches every handle attached so far (their PeerConnections end).
    async fn detach_all(&self) {
        let handles = self
            .handles
            .lock()
            .map(|mut h| std::mem::take(&mut *h))
            .unwrap_or_default();
        for handle in handles {
            let _ = self
                .http
                .post(format!("{}/{handle}", self.url))
                .json(&json!({"janus": "detach", "transaction": self.transaction()}))
                .send()
                .await;
        }
    }

    /// A VideoRoom request; returns the plugin's reply (the synchronous
    /// answer, or the event that carries its transaction).
    async fn message(&self, handle: u64, body: Value, jsep: Option<Value>) -> Result<Value> {
        let t = self.transaction();
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .map_err(|_| anyhow!("poisoned"))?
            .insert(t.clone(), tx);
        let mut request = json!({"janus": "message", "transaction": t, "body": body});
        if let Some(jsep) = jsep {
            request["jsep"] = jsep;
        }
        let v: Value = self
            .http
            .post(format!("{}/{handle}", self.url))
            .json(&request)
            .send()
            .await?
            .json()
            .await?;
        let reply = match v["janus"].as_str() {
            Some("ack") => tokio::time::timeout(Duration::from_secs(20), rx)
                .await
                .context("no Janus event within 20 s")??,
            Some("success") => {
                if let Ok(mut w) = self.waiting.lock() {
                    w.remove(&t);
                }
                v
            }
            _ => bail!("Janus refused: {v}"),
        };
        if let Some(e) = reply["plugindata"]["data"].get("error") {
            bail!("VideoRoom error: {e}");
        }
        Ok(reply)
    }
}

fn janus_pid() -> Result<u32> {
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "janus" {
            return Ok(pid);
        }
    }
    bail!("no janus process")
}

/// CPU time of a whole process (every thread), in ns (USER_HZ = 100).
fn process_cpu_ns(pid: u32) -> Result<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = s.rsplit_once(')').context("bad stat")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat; `after` starts at field 3.
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    Ok((utime + stime) * 10_000_000)
}

async fn client_rtc(ip: std::net::IpAddr, index: u8) -> Result<(Rtc, UdpSocket, SocketAddr)> {
    let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    let addr = socket.local_addr()?;
    let mut rtc = Rtc::builder()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .build(Instant::now());
    rtc.add_local_candidate(Candidate::host(addr, "udp")?)
        .with_context(|| format!("client {index}: local candidate refused"))?;
    Ok((rtc, socket, addr))
}

fn janus_client(
    index: u8,
    (rtc, socket, addr): (Rtc, UdpSocket, SocketAddr),
    publish: Option<(Mid, Option<Mid>)>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    first_frame: Option<oneshot::Sender<Instant>>,
) -> Client {
    let (_, offers) = mpsc::unbounded_channel();
    Client {
        index,
        rtc,
        socket,
        addr,
        publish,
        offers,
        sfu: None,
        id: ParticipantId(format!("janus-{index}")),
        shared,
        stop,
        first_frame,
    }
}

/// A publisher joins the room with its offer; returns it and its feed id.
async fn janus_publisher(
    j: &Janus,
    room: u64,
    index: u8,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
) -> Result<(Client, u64)> {
    let handle = j.attach().await?;
    let (mut rtc, socket, addr) = client_rtc(j.client_ip, index).await?;
    let mut change = rtc.sdp_api();
    let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let video = shared
        .load
        .video
        .then(|| change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None));
    let (offer, pending) = change.apply().context("no offer")?;
    let ev = j
        .message(
            handle,
            json!({"request": "joinandconfigure", "room": room, "ptype": "publisher",
                   "display": format!("p{index}")}),
            Some(json!({"type": "offer", "sdp": offer.to_sdp_string(), "trickle": false})),
        )
        .await?;
    let feed = ev["plugindata"]["data"]["id"]
        .as_u64()
        .with_context(|| format!("not joined: {ev}"))?;
    let answer = ev["jsep"]["sdp"].as_str().context("no answer")?;
    rtc.sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(answer)?)?;
    let c = janus_client(
        index,
        (rtc, socket, addr),
        Some((audio, video)),
        shared,
        stop,
        None,
    );
    Ok((c, feed))
}

/// A subscriber to `feeds`: Janus offers, the client answers.
async fn janus_subscriber(
    j: &Janus,
    room: u64,
    feeds: &[u64],
    index: u8,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    first_frame: Option<oneshot::Sender<Instant>>,
) -> Result<Client> {
    let handle = j.attach().await?;
    let streams: Vec<Value> = feeds.iter().map(|f| json!({"feed": f})).collect();
    let ev = j
        .message(
            handle,
            json!({"request": "join", "room": room, "ptype": "subscriber", "streams": streams}),
            None,
        )
        .await?;
    let offer = ev["jsep"]["sdp"]
        .as_str()
        .with_context(|| format!("no offer: {ev}"))?;
    let (mut rtc, socket, addr) = client_rtc(j.client_ip, index).await?;
    let answer = rtc
        .sdp_api()
        .accept_offer(SdpOffer::from_sdp_string(offer)?)?;
    j.message(
        handle,
        json!({"request": "start"}),
        Some(json!({"type": "answer", "sdp": answer.to_sdp_string(), "trickle": false})),
    )
    .await?;
    Ok(janus_client(
        index,
        (rtc, socket, addr),
        None,
        shared,
        stop,
        first_frame,
    ))
}

async fn janus_room(j: &Janus, id: u64) -> Result<()> {
    let admin = j.attach().await?;
    j.message(
        admin,
        json!({"request": "create", "room": id, "publishers": 250, "audiocodec": "opus",
               "videocodec": "vp8", "bitrate": 0, "notify_joining": false}),
        None,
    )
    .await?;
    Ok(())
}

/// The same room as [`run_room`], through Janus: `publishers` publishers
/// (in a mesh each also subscribes to the others) and `listeners`
/// subscribers to the first publisher.
async fn run_room_janus(
    o: &Options,
    j: &Janus,
    room: u64,
    label: String,
    publishers: usize,
    listeners: usize,
) -> Result<RoomResult> {
    let pid = janus_pid()?;
    janus_room(j, room).await?;
    let shared = Arc::new(Shared {
        load: Load::new(o),
        window: OnceLock::new(),
        ready: AtomicUsize::new(0),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    let mut feeds = Vec::new();
    for i in 0..publishers {
        let index = u8::try_from(i).unwrap_or(u8::MAX);
        let (c, feed) = janus_publisher(j, room, index, shared.clone(), stop.clone()).await?;
        feeds.push(feed);
        tasks.push(tokio::spawn(run_client(c)));
    }
    // Janus offers a subscriber only feeds it has seen publish.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let subscribers: Vec<Vec<u64>> = if listeners > 0 {
        vec![feeds.clone(); listeners]
    } else {
        (0..publishers)
            .map(|i| {
                feeds
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != i)
                    .map(|(_, &f)| f)
                    .collect()
            })
            .collect()
    };
    for (i, f) in subscribers.iter().enumerate() {
        let index = u8::try_from(i + publishers).unwrap_or(u8::MAX);
        let c = janus_subscriber(j, room, f, index, shared.clone(), stop.clone(), None).await?;
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
    let (s0, me0, t0) = (process_cpu_ns(pid)?, thread_cpu_ns(me)?, Instant::now());
    tokio::time::sleep_until(end.into()).await;
    let (s1, me1, t1) = (process_cpu_ns(pid)?, thread_cpu_ns(me)?, Instant::now());
    let drops = rcvbuf_errors() - drops0;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let mut stats = Vec::new();
    for t in tasks {
        stats.push(t.await?);
    }
    if let Ok(admin) = j.attach().await {
        let _ = j
            .message(admin, json!({"request": "destroy", "room": room}), None)
            .await;
    }
    j.detach_all().await;
    Ok(summarise(
        o,
        label,
        &stats,
        receivers_per_publisher,
        Cpu {
            rcvbuf_drops: drops,
            server_ns: s1 - s0,
            client_ns: me1 - me0,
            wall: t1 - t0,
        },
        0,
        ready,
    ))
}

/// [`run_joins`] through Janus: subscriber join request → first frame.
async fn run_joins_janus(o: &Options, j: &Janus, room: u64) -> Result<(Vec<f64>, Vec<f64>)> {
    janus_room(j, room).await?;
    let shared = Arc::new(Shared {
        load: Load::new(o),
        window: OnceLock::new(),
        ready: AtomicUsize::new(0),
    });
    let stop_all = Arc::new(AtomicBool::new(false));
    let (publisher, feed) = janus_publisher(j, room, 0, shared.clone(), stop_all.clone()).await?;
    let publisher = tokio::spawn(run_client(publisher));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut times = Vec::new();
    let mut connected = Vec::new();
    for k in 0..o.joins {
        let index = u8::try_from(k % 250 + 1).unwrap_or(u8::MAX);
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = oneshot::channel();
        let t0 = Instant::now();
        let c = janus_subscriber(
            j,
            room,
            &[feed],
            index,
            shared.clone(),
            stop.clone(),
            Some(tx),
        )
        .await?;
        let task = tokio::spawn(run_client(c));
        match tokio::time::timeout(Duration::from_secs(20), rx).await {
            Ok(Ok(at)) => times.push((at - t0).as_secs_f64() * 1000.0),
            _ => eprintln!("janus join {k}: no frame within 20 s"),
        }
        stop.store(true, Ordering::Relaxed);
        let st = task.await?;
        if let Some(at) = st.connected_at {
            connected.push((at - t0).as_secs_f64() * 1000.0);
        }
        if let Some(e) = st.error {
            eprintln!("janus join {k}: {e}");
        }
        if let Some(handle) = j.handles.lock().ok().and_then(|mut h| h.pop()) {
            let _ = j
                .http
                .post(format!("{}/{handle}", j.url))
                .json(&json!({"janus": "detach", "transaction": j.transaction()}))
                .send()
                .await;
        }
    }
    stop_all.store(true, Ordering::Relaxed);
    let _ = publisher.await;
    j.detach_all().await;
    Ok((times, connected))
}
