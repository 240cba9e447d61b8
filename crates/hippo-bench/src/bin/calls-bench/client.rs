//! The str0m clients: joining hippo's SFU, the client loop, the synthetic
//! Opus/VP8 frames publishers write, and what subscribers measure of them
//! (loss, added latency, datagrams and bytes received).

use crate::options::Load;
use crate::sfu::Routes;
use anyhow::{Context, Result, anyhow};
use hippo_media::{ParticipantId, RoomId, SfuHandle};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
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
pub(crate) const HEADER: usize = 16;
const AUDIO_FRAME: Duration = Duration::from_millis(20);

static EPOCH: OnceLock<Instant> = OnceLock::new();

pub(crate) fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

/// What the clients of one room share.
pub(crate) struct Shared {
    pub(crate) load: Load,
    /// Frames written in [start, end) are counted.
    pub(crate) window: OnceLock<(Instant, Instant)>,
    /// (subscriber, publisher, kind) pairs that have seen a frame.
    pub(crate) ready: AtomicUsize,
}

impl Shared {
    fn in_window(&self, at: Instant) -> bool {
        self.window
            .get()
            .is_some_and(|&(start, end)| at >= start && at < end)
    }
}

#[derive(Default, Debug)]
pub(crate) struct ClientStats {
    /// Frames this client wrote in the window.
    pub(crate) sent: u64,
    /// Frames it received that were written in the window.
    pub(crate) received: u64,
    pub(crate) latencies_us: Vec<u32>,
    /// Datagrams and bytes its socket received in the window.
    pub(crate) datagrams: u64,
    pub(crate) bytes: u64,
    /// When its connection came up (ICE and DTLS).
    pub(crate) connected_at: Option<Instant>,
    pub(crate) error: Option<String>,
}

pub(crate) struct Client {
    pub(crate) index: u8,
    pub(crate) rtc: Rtc,
    pub(crate) socket: UdpSocket,
    pub(crate) addr: SocketAddr,
    /// Its audio and video m-lines, if it publishes.
    pub(crate) publish: Option<(Mid, Option<Mid>)>,
    pub(crate) offers: mpsc::UnboundedReceiver<String>,
    /// Where its answers to renegotiation offers go (hippo's SFU only).
    pub(crate) sfu: Option<(SfuHandle, RoomId)>,
    pub(crate) id: ParticipantId,
    pub(crate) shared: Arc<Shared>,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) first_frame: Option<oneshot::Sender<Instant>>,
}

/// A client offers (its audio and video to send, or one receive-only audio
/// m-line) and the SFU answers.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn join(
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

pub(crate) async fn run_client(mut c: Client) -> ClientStats {
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
