//! Command-line options, the load each publisher writes, and the `/proc`
//! readers (a thread's CPU time, the box's UDP receive-buffer drops).

use crate::client::HEADER;
use anyhow::{Context, Result, bail};
use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) fanout: Vec<usize>,
    pub(crate) mesh: Vec<usize>,
    pub(crate) joins: usize,
    pub(crate) seconds: u64,
    pub(crate) audio_kbps: u64,
    pub(crate) video_kbps: u64,
    pub(crate) fps: u64,
    pub(crate) audio_only: bool,
    /// Janus's HTTP API instead of hippo's SFU.
    pub(crate) janus: Option<String>,
    /// The address Janus's clients bind (Janus offers no loopback
    /// candidates, so they use one of the box's own addresses).
    pub(crate) client_ip: std::net::IpAddr,
}

fn list(value: &str) -> Result<Vec<usize>> {
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse::<usize>().context("a list of numbers"))
        .filter(|n| !matches!(n, Ok(0)))
        .collect()
}

pub(crate) fn parse_options() -> Result<Options> {
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
pub(crate) struct Load {
    pub(crate) audio_bytes: usize,
    pub(crate) video_bytes: usize,
    pub(crate) video_interval: Duration,
    pub(crate) video_ticks: u64,
    pub(crate) video: bool,
}

impl Load {
    pub(crate) fn new(o: &Options) -> Self {
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
pub(crate) fn thread_id() -> Result<u32> {
    let link = std::fs::read_link("/proc/thread-self")?;
    let tid = link
        .file_name()
        .and_then(|s| s.to_str())
        .context("no thread id")?;
    Ok(tid.parse()?)
}

/// CPU time a thread of this process has had, in ns.
pub(crate) fn thread_cpu_ns(tid: u32) -> Result<u64> {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))?;
    let ns = s.split_whitespace().next().context("empty schedstat")?;
    Ok(ns.parse()?)
}

/// The box's UDP receive-buffer overflows so far (`/proc/net/snmp`,
/// every socket on the box, not only this bench's).
pub(crate) fn rcvbuf_errors() -> u64 {
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
