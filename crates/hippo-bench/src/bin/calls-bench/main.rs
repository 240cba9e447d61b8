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

mod client;
mod janus;
mod options;
mod scenarios;
mod sfu;

use anyhow::Result;
use client::epoch;
use janus::{Janus, run_joins_janus, run_room_janus};
use options::{Load, Options, parse_options};
use scenarios::{machine, run_joins, run_room};

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
