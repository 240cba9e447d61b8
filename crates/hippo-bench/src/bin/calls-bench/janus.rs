//! Janus (VideoRoom plugin, HTTP API) as the peer SFU: the session and its
//! event long poll, Janus's CPU from `/proc`, its publishers and
//! subscribers, and the same scenarios as on hippo's SFU.

use crate::client::{Client, Shared, run_client};
use crate::options::{Load, Options, rcvbuf_errors, thread_cpu_ns, thread_id};
use crate::scenarios::{Cpu, RoomResult, summarise};
use anyhow::{Context, Result, anyhow, bail};
use hippo_media::ParticipantId;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, MediaKind, Mid};
use str0m::{Candidate, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

/// One Janus session over its HTTP API; events come from a long poll and go
/// to the request whose transaction they carry.
pub(crate) struct Janus {
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
    pub(crate) async fn connect(base: &str, client_ip: std::net::IpAddr) -> Result<Self> {
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

/// The same room as [`run_room`](crate::scenarios::run_room), through
/// Janus: `publishers` publishers (in a mesh each also subscribes to the
/// others) and `listeners` subscribers to the first publisher.
pub(crate) async fn run_room_janus(
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

/// [`run_joins`](crate::scenarios::run_joins) through Janus: subscriber
/// join request → first frame.
pub(crate) async fn run_joins_janus(
    o: &Options,
    j: &Janus,
    room: u64,
) -> Result<(Vec<f64>, Vec<f64>)> {
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
