//! `xmpp-bench`: hippo-bench's messaging workload against an XMPP server
//! (ejabberd, provisioned by `bench/ejabberd/setup.sh`), so the two can be
//! measured side by side.
//!
//! Every user signs in over plain TCP on loopback (SASL PLAIN, no TLS:
//! loopback bench only), binds a resource and joins its multi-user chat
//! room (XEP-0045) without history; users `bench{r*M}` … `bench{r*M+M-1}`
//! are the M members of `room{r}`. Then N closed-loop senders each send a
//! groupchat message to their room and wait until the server reflects it
//! back to them (the room has archived it by then: ejabberd's mod_mam
//! stores a room message before it broadcasts it) before sending the next.
//! Measured over `--seconds` after `--warmup`: accepted messages/s (the
//! reflections to the sender), send→receive latency at every member (the
//! sender included; the send time travels in the body), the server's CPU
//! and peak RSS, PostgreSQL's CPU, and this driver's own CPU, which must
//! stay well under a core for the figures to be the server's. The output
//! lines match hippo-bench's.
//!
//! The XMPP is hand-written: raw XML strings out, and a small splitter that
//! cuts the server's stream into top-level stanzas (depth counting, quote
//! aware inside tags), which is all a fixed workload against one server
//! needs. CPU time comes from `/proc/<pid>/stat` (for this process the
//! same accounting as `getrusage(RUSAGE_SELF)`, without `unsafe`).
//!
//! ```sh
//! bench/ejabberd/setup.sh
//! taskset -c 1 target/release/xmpp-bench --senders 16 --seconds 10
//! taskset -c 1 target/release/xmpp-bench --senders 64 --seconds 10
//! ```

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
struct Options {
    addr: String,
    domain: String,
    muc: String,
    password: String,
    users: usize,
    members: usize,
    rooms: usize,
    senders: usize,
    seconds: u64,
    warmup: u64,
    server_pid: Option<u32>,
}

const USAGE: &str = "xmpp-bench [--senders 16] [--seconds 10] [--warmup 2] [--users 100] \
[--members 10] [--conversations 10] [--addr 127.0.0.1:5222] [--domain localhost] \
[--muc conference.localhost] [--password P] [--server-pid PID]";

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: "127.0.0.1:5222".to_owned(),
            domain: "localhost".to_owned(),
            muc: "conference.localhost".to_owned(),
            password: "bench-password-long-enough".to_owned(),
            users: 100,
            members: 10,
            rooms: 10,
            senders: 16,
            seconds: 10,
            warmup: 2,
            server_pid: None,
        }
    }
}

fn parse_options() -> Result<Options> {
    let mut o = Options::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args
            .get(i + 1)
            .with_context(|| format!("{} needs a value", args[i]))?;
        let n = || {
            value
                .parse::<u64>()
                .with_context(|| format!("{} needs a number", args[i]))
        };
        match args[i].as_str() {
            "--addr" => o.addr = value.clone(),
            "--domain" => o.domain = value.clone(),
            "--muc" => o.muc = value.clone(),
            "--password" => o.password = value.clone(),
            "--users" => o.users = usize::try_from(n()?)?,
            "--members" => o.members = usize::try_from(n()?)?,
            "--conversations" | "--rooms" => o.rooms = usize::try_from(n()?)?,
            "--senders" | "--workers" => o.senders = usize::try_from(n()?)?.max(1),
            "--seconds" => o.seconds = n()?.clamp(1, 1800),
            "--warmup" => o.warmup = n()?.min(600),
            "--server-pid" => o.server_pid = Some(u32::try_from(n()?)?),
            other => bail!("unknown option {other}\n{USAGE}"),
        }
        i += 2;
    }
    if o.members < 2 || o.rooms == 0 || o.rooms * o.members > o.users {
        bail!("need --members ≥ 2 and --conversations × --members ≤ --users");
    }
    if o.senders > o.rooms * o.members {
        bail!("--senders is at most one per room member");
    }
    Ok(o)
}

/// Sender `s` is member `s / rooms` of room `s % rooms`: spread over the
/// rooms first, one sender per user.
fn sender_user(o: &Options, s: usize) -> usize {
    (s % o.rooms) * o.members + (s / o.rooms) % o.members
}

/// What the splitter found in the stream.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    /// The `<stream:stream …>` header.
    Start,
    /// A complete top-level element, as a range of `Splitter::buf`.
    Stanza(Range<usize>),
    /// `</stream:stream>`.
    End,
}

/// Cuts an XMPP stream into its top-level elements. It counts element
/// depth from the tags alone (skipping `<?…?>` and `<!…>`) and honours
/// quotes inside a tag; text never holds a raw `<`, so that is enough.
#[derive(Default)]
struct Splitter {
    buf: Vec<u8>,
    /// Where scanning resumes.
    pos: usize,
    /// Start of the stanza being assembled (depth ≥ 2).
    start: usize,
    depth: u32,
    /// The bytes before this were handed out; dropped on the next read.
    consumed: usize,
}

impl Splitter {
    /// Drop what was handed out and make room for a read.
    fn compact(&mut self) {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.pos -= self.consumed;
            self.start = self.start.saturating_sub(self.consumed);
            self.consumed = 0;
        }
        self.buf.reserve(16 * 1024);
    }

    /// A new stream (after SASL success): depth starts over.
    fn restart(&mut self) {
        self.depth = 0;
    }

    fn next_event(&mut self) -> Result<Option<Event>> {
        loop {
            let Some(lt) = self.buf[self.pos..].iter().position(|&b| b == b'<') else {
                if self.depth <= 1 {
                    // Whitespace between stanzas: nothing to keep.
                    self.pos = self.buf.len();
                    self.consumed = self.pos;
                } else {
                    self.pos = self.buf.len();
                }
                return Ok(None);
            };
            let tag_start = self.pos + lt;
            let Some(len) = tag_len(&self.buf[tag_start..]) else {
                self.pos = tag_start;
                if self.depth <= 1 {
                    self.consumed = tag_start;
                }
                return Ok(None);
            };
            let tag = &self.buf[tag_start..tag_start + len];
            let end = tag_start + len;
            self.pos = end;
            match tag.get(1) {
                Some(b'?' | b'!') => {
                    if self.depth <= 1 {
                        self.consumed = end;
                    }
                }
                Some(b'/') => {
                    if self.depth == 0 {
                        bail!("end tag outside the stream");
                    }
                    self.depth -= 1;
                    match self.depth {
                        0 => {
                            self.consumed = end;
                            return Ok(Some(Event::End));
                        }
                        1 => {
                            self.consumed = end;
                            return Ok(Some(Event::Stanza(self.start..end)));
                        }
                        _ => {}
                    }
                }
                _ if tag.ends_with(b"/>") => {
                    if self.depth == 1 {
                        self.consumed = end;
                        return Ok(Some(Event::Stanza(tag_start..end)));
                    }
                    if self.depth == 0 {
                        bail!("empty element outside the stream");
                    }
                }
                _ => {
                    self.depth += 1;
                    match self.depth {
                        1 => {
                            self.consumed = end;
                            return Ok(Some(Event::Start));
                        }
                        2 => self.start = tag_start,
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Length of the tag at the start of `b` (which begins with `<`), up to and
/// including its `>`, or `None` if it is not complete yet.
fn tag_len(b: &[u8]) -> Option<usize> {
    let mut quote = 0u8;
    for (i, &c) in b.iter().enumerate().skip(1) {
        match c {
            b'\'' | b'"' if quote == 0 => quote = c,
            _ if c == quote => quote = 0,
            b'>' if quote == 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The start tag of a stanza (up to its first `>`).
fn start_tag(stanza: &[u8]) -> &[u8] {
    &stanza[..tag_len(stanza).unwrap_or(stanza.len())]
}

/// The value of attribute `name` (`b" type="`, with its leading space and
/// trailing `=`) in a start tag, either quote style.
fn attr<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let at = find(tag, name)? + name.len();
    let quote = *tag.get(at)?;
    let rest = &tag[at + 1..];
    Some(&rest[..rest.iter().position(|&b| b == quote)?])
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One client connection: the read side with its splitter, the write side.
struct Conn {
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    sp: Splitter,
}

impl Conn {
    async fn read_more(&mut self) -> Result<()> {
        self.sp.compact();
        if self.rd.read_buf(&mut self.sp.buf).await? == 0 {
            bail!("server closed the connection");
        }
        Ok(())
    }

    /// The next top-level stanza as text, skipping stream headers (login
    /// phase only; the measured path works on the buffer in place).
    async fn stanza(&mut self) -> Result<String> {
        loop {
            match self.sp.next_event()? {
                Some(Event::Stanza(r)) => {
                    return Ok(String::from_utf8_lossy(&self.sp.buf[r]).into_owned());
                }
                Some(Event::Start) => {}
                Some(Event::End) => bail!("server ended the stream"),
                None => self.read_more().await?,
            }
        }
    }

    async fn open_stream(&mut self, domain: &str) -> Result<String> {
        self.sp.restart();
        self.wr
            .write_all(
                format!(
                    "<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' \
                     xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                )
                .as_bytes(),
            )
            .await?;
        let features = self.stanza().await?;
        if !features.starts_with("<stream:features") {
            bail!("expected stream features, got {features}");
        }
        Ok(features)
    }
}

/// Sign in as `bench{u}`, bind a resource, ask to join the room.
async fn login(o: &Options, u: usize) -> Result<Conn> {
    let tcp = TcpStream::connect(&o.addr)
        .await
        .with_context(|| format!("cannot connect to {}", o.addr))?;
    tcp.set_nodelay(true)?;
    let (rd, wr) = tcp.into_split();
    let mut c = Conn {
        rd,
        wr,
        sp: Splitter::default(),
    };
    let features = c.open_stream(&o.domain).await?;
    if !features.contains(">PLAIN<") {
        bail!("server does not offer SASL PLAIN: {features}");
    }
    let user = format!("bench{u}");
    let creds = base64(format!("\0{user}\0{}", o.password).as_bytes());
    c.wr.write_all(
        format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{creds}</auth>")
            .as_bytes(),
    )
    .await?;
    let reply = c.stanza().await?;
    if !reply.starts_with("<success") {
        bail!("sign-in of {user} refused: {reply}");
    }
    c.open_stream(&o.domain).await?;
    c.wr.write_all(
        b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
          <resource>bench</resource></bind></iq>",
    )
    .await?;
    let reply = c.stanza().await?;
    if !reply.contains("type='result'") && !reply.contains("type=\"result\"") {
        bail!("resource bind of {user} failed: {reply}");
    }
    if u < o.rooms * o.members {
        let room = u / o.members;
        c.wr.write_all(
            format!(
                "<presence to='room{room}@{}/{user}'><x xmlns='http://jabber.org/protocol/muc'>\
                 <history maxstanzas='0'/></x></presence>",
                o.muc
            )
            .as_bytes(),
        )
        .await?;
    }
    Ok(c)
}

/// State shared by the readers, the senders and the main task.
struct Shared {
    /// Times are µs since this instant (the body carries the send time).
    start: Instant,
    /// One wake-up per sender, given by the reader of its user.
    wake: Vec<Notify>,
    /// The sender of each user, if any.
    sender_of: Vec<Option<usize>>,
    stop: AtomicBool,
    /// Messages sent in [window_start, window_end) (µs since `start`) count.
    window_start: AtomicU64,
    window_end: AtomicU64,
    accepted: AtomicU64,
    failed: AtomicU64,
    delivered: AtomicU64,
    joined: AtomicU64,
    join_errors: AtomicU64,
    latencies: Mutex<Vec<u64>>,
}

fn micros(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Reads one user's stream until the server closes it: records the latency of every
/// counted message, wakes the sender whose reflection this is.
async fn reader(mut rd: OwnedReadHalf, mut sp: Splitter, u: usize, shared: Arc<Shared>) {
    let mut mine = Vec::new();
    let mut joined = false;
    'outer: loop {
        loop {
            let r = match sp.next_event() {
                Ok(Some(Event::Stanza(r))) => r,
                Ok(Some(Event::Start)) => continue,
                Ok(Some(Event::End)) | Err(_) => break 'outer,
                Ok(None) => break,
            };
            let stanza = &sp.buf[r];
            let tag = start_tag(stanza);
            if tag.starts_with(b"<message") {
                let Some(at) = find(stanza, b"<body>") else {
                    continue;
                };
                let body = &stanza[at + 6..];
                let body = &body[..find(body, b"</body>").unwrap_or(0)];
                let Some((sent, s)) = parse_body(body) else {
                    continue;
                };
                let error = attr(tag, b" type=") == Some(b"error");
                let counted = sent >= shared.window_start.load(Ordering::Relaxed)
                    && sent < shared.window_end.load(Ordering::Relaxed);
                if error {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                } else if counted {
                    mine.push(micros(shared.start).saturating_sub(sent));
                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                }
                if shared.sender_of[u] == Some(s) {
                    if counted && !error {
                        shared.accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Some(n) = shared.wake.get(s) {
                        n.notify_one();
                    }
                }
            } else if tag.starts_with(b"<presence") && !joined {
                if attr(tag, b" type=") == Some(b"error") {
                    shared.join_errors.fetch_add(1, Ordering::Relaxed);
                    eprintln!("join refused: {}", String::from_utf8_lossy(stanza));
                    joined = true;
                } else if find(stanza, b"code='110'").is_some()
                    || find(stanza, b"code=\"110\"").is_some()
                {
                    shared.joined.fetch_add(1, Ordering::Relaxed);
                    joined = true;
                }
            }
        }
        sp.compact();
        match rd.read_buf(&mut sp.buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    shared
        .latencies
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .extend(mine);
}

/// `t:<µs since start>:<sender>` → (sent, sender).
fn parse_body(body: &[u8]) -> Option<(u64, usize)> {
    let body = std::str::from_utf8(body).ok()?.strip_prefix("t:")?;
    let (sent, s) = body.split_once(':')?;
    Some((sent.parse().ok()?, s.parse().ok()?))
}

/// One closed-loop sender: send, wait for the reflection, repeat.
async fn sender(
    mut wr: OwnedWriteHalf,
    to: String,
    s: usize,
    shared: Arc<Shared>,
) -> Result<OwnedWriteHalf> {
    let mut seq = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        seq += 1;
        let sent = micros(shared.start);
        let stanza = format!(
            "<message to='{to}' type='groupchat' id='m{s}-{seq}'><body>t:{sent}:{s}</body></message>"
        );
        wr.write_all(stanza.as_bytes()).await?;
        if tokio::time::timeout(Duration::from_secs(5), shared.wake[s].notified())
            .await
            .is_err()
        {
            shared.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
    // Handed back: the connection stays open until the last deliveries.
    Ok(wr)
}

/// utime + stime of a process, in seconds (all its threads).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds of every `postgres` process, by pid.
fn postgres_cpu() -> HashMap<String, f64> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim_end() == "postgres"
            && let Some(cpu) = cpu_seconds(&pid)
        {
            out.insert(pid, cpu);
        }
    }
    out
}

fn server_pid(o: &Options) -> Result<u32> {
    if let Some(pid) = o.server_pid {
        return Ok(pid);
    }
    let text = std::fs::read_to_string("/run/ejabberd/ejabberd.pid")
        .context("no /run/ejabberd/ejabberd.pid (is ejabberd up? or pass --server-pid)")?;
    Ok(text.trim().parse()?)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let o = parse_options()?;
    let pid = server_pid(&o)?;
    let mut sender_of = vec![None; o.users];
    for s in 0..o.senders {
        sender_of[sender_user(&o, s)] = Some(s);
    }
    let shared = Arc::new(Shared {
        start: Instant::now(),
        wake: (0..o.senders).map(|_| Notify::new()).collect(),
        sender_of,
        stop: AtomicBool::new(false),
        window_start: AtomicU64::new(u64::MAX),
        window_end: AtomicU64::new(u64::MAX),
        accepted: AtomicU64::default(),
        failed: AtomicU64::default(),
        delivered: AtomicU64::default(),
        joined: AtomicU64::default(),
        join_errors: AtomicU64::default(),
        latencies: Mutex::default(),
    });

    eprintln!("signing in {} users at {}…", o.users, o.addr);
    let mut writers: Vec<Option<OwnedWriteHalf>> = Vec::new();
    let mut readers = Vec::new();
    for u in 0..o.users {
        let c = login(&o, u).await?;
        writers.push(Some(c.wr));
        readers.push(tokio::spawn(reader(c.rd, c.sp, u, shared.clone())));
    }
    let in_rooms = (o.rooms * o.members) as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while shared.joined.load(Ordering::Relaxed) + shared.join_errors.load(Ordering::Relaxed)
        < in_rooms
    {
        if Instant::now() > deadline {
            bail!(
                "only {} of {in_rooms} joined their room",
                shared.joined.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if shared.join_errors.load(Ordering::Relaxed) > 0 {
        bail!(
            "{} joins refused",
            shared.join_errors.load(Ordering::Relaxed)
        );
    }

    eprintln!(
        "{} users joined {} rooms; {} s warmup, then {} s with {} senders…",
        o.users, o.rooms, o.warmup, o.seconds, o.senders
    );
    let mut senders = Vec::new();
    for s in 0..o.senders {
        let u = sender_user(&o, s);
        let wr = writers[u].take().context("one sender per user")?;
        let to = format!("room{}@{}", u / o.members, o.muc);
        senders.push(tokio::spawn(sender(wr, to, s, shared.clone())));
    }
    tokio::time::sleep(Duration::from_secs(o.warmup)).await;
    shared.failed.store(0, Ordering::Relaxed);
    let sample = || -> Result<(f64, HashMap<String, f64>, f64)> {
        Ok((
            cpu_seconds(&pid.to_string()).context("server CPU")?,
            postgres_cpu(),
            cpu_seconds(&std::process::id().to_string()).context("own CPU")?,
        ))
    };
    let (cpu0, pg0, own0) = sample()?;
    let t0 = Instant::now();
    shared
        .window_start
        .store(micros(shared.start), Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    shared
        .window_end
        .store(micros(shared.start), Ordering::Relaxed);
    let elapsed = t0.elapsed().as_secs_f64();
    let (cpu1, pg1, own1) = sample()?;
    shared.stop.store(true, Ordering::Relaxed);
    for (s, task) in senders.into_iter().enumerate() {
        writers[sender_user(&o, s)] = Some(task.await??);
    }
    // Let the last deliveries of counted messages arrive.
    let drain = Instant::now() + Duration::from_secs(5);
    while shared.delivered.load(Ordering::Relaxed)
        < shared.accepted.load(Ordering::Relaxed) * o.members as u64
        && Instant::now() < drain
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Closing our side ends each stream; the readers finish on its end.
    drop(writers);
    let close = Instant::now() + Duration::from_secs(10);
    for r in readers {
        let _ = tokio::time::timeout_at(close.into(), r).await;
    }

    let mut lat = shared
        .latencies
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    lat.sort_unstable();
    let n = shared.accepted.load(Ordering::Relaxed);
    let pg: f64 = pg1
        .iter()
        .map(|(p, c)| c - pg0.get(p).copied().unwrap_or(0.0))
        .sum();
    let server = cpu1 - cpu0;
    let per_msg = |cpu: f64| cpu / n.max(1) as f64 * 1e6;
    println!(
        "nodes 1 (ejabberd, PostgreSQL) | users {} | conversations {} x {} members | workers {}",
        o.users, o.rooms, o.members, o.senders
    );
    println!(
        "accepted: {n} in {elapsed:.1} s = {:.0} msg/s ({} failed)",
        n as f64 / elapsed,
        shared.failed.load(Ordering::Relaxed)
    );
    println!(
        "deliveries: {} (expected {})",
        lat.len(),
        n * o.members as u64
    );
    println!(
        "send→receive latency ms: p50 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}",
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        percentile(&lat, 1.0)
    );
    println!(
        "server CPU (all nodes): {:.0}% of one core; peak RSS (largest node) {} MiB",
        server / elapsed * 100.0,
        peak_rss_kib(pid) / 1024
    );
    println!(
        "server CPU per message: {:.0} µs; PostgreSQL CPU: {:.0}% of one core ({:.0} µs per message)",
        per_msg(server),
        pg / elapsed * 100.0,
        per_msg(pg)
    );
    println!(
        "driver CPU: {:.0}% of one core",
        (own1 - own0) / elapsed * 100.0
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&str]) -> Vec<String> {
        let mut sp = Splitter::default();
        let mut out = Vec::new();
        for chunk in chunks {
            sp.compact();
            sp.buf.extend_from_slice(chunk.as_bytes());
            loop {
                out.push(match sp.next_event() {
                    Ok(None) => break,
                    Err(e) => return vec![format!("ERR {e}")],
                    Ok(Some(Event::Start)) => "START".to_owned(),
                    Ok(Some(Event::End)) => "END".to_owned(),
                    Ok(Some(Event::Stanza(r))) => String::from_utf8_lossy(&sp.buf[r]).into_owned(),
                });
            }
        }
        out
    }

    #[test]
    fn splits_a_stream_across_reads() {
        let stream = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='a>b'>\
                      <stream:features><mechanisms><mechanism>PLAIN</mechanism></mechanisms>\
                      </stream:features> <success xmlns='x'/>\
                      <message type='groupchat' from='r/n'><body>t:5:1 &lt;</body></message>\
                      </stream:stream>";
        let whole = events(&[stream]);
        assert_eq!(whole.len(), 5, "{whole:?}");
        assert_eq!(whole[0], "START");
        assert!(whole[1].starts_with("<stream:features>") && whole[1].ends_with("features>"));
        assert_eq!(whole[2], "<success xmlns='x'/>");
        assert!(whole[3].starts_with("<message") && whole[3].ends_with("</message>"));
        assert_eq!(whole[4], "END");
        // Any cut of the bytes gives the same stanzas.
        for cut in 1..stream.len() {
            if stream.is_char_boundary(cut) {
                assert_eq!(
                    events(&[&stream[..cut], &stream[cut..]]),
                    whole,
                    "cut {cut}"
                );
            }
        }
    }

    #[test]
    fn attributes_bodies_and_base64() {
        let tag = start_tag(b"<message to='a' type='groupchat'><body>x</body></message>");
        assert_eq!(attr(tag, b" type="), Some(&b"groupchat"[..]));
        assert_eq!(attr(tag, b" id="), None);
        assert_eq!(parse_body(b"t:123:7"), Some((123, 7)));
        assert_eq!(parse_body(b"hello"), None);
        assert_eq!(base64(b"\0u\0p"), "AHUAcA==");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn senders_are_distinct_users_spread_over_rooms() {
        let o = Options::default();
        assert_eq!((o.users, o.members, o.rooms), (100, 10, 10));
        let users: std::collections::HashSet<usize> =
            (0..100).map(|s| sender_user(&o, s)).collect();
        assert_eq!(users.len(), 100);
        assert_eq!(sender_user(&o, 3) / o.members, 3);
        assert_eq!(sender_user(&o, 13) / o.members, 3);
    }
}
