//! `hippo-bench`: a load generator for a real `hippo serve` process.
//!
//! It starts the server binary on a loopback port with a fresh data dir
//! (SQLite, TLS on, durable commits), creates users with the admin CLI,
//! signs them in, creates conversations of K members, connects every user
//! over a TLS WebSocket, then sends messages (flat out or at a fixed rate)
//! and measures accepted messages/s, send→receive latency percentiles at the
//! recipients, server CPU and peak RSS. `--idle-sockets N` instead holds N
//! idle sockets and reports server memory per connection. It talks to the
//! server through `hippo-client` (REST calls and the stream), so frames are
//! read as `hippo_protocol::ServerFrame`, the server's own type. Loopback
//! only; every loop is bounded in count and time.
//!
//! ```sh
//! cargo build --release -p hippo -p hippo-bench
//! target/release/hippo-bench --seconds 10                 # flat out
//! target/release/hippo-bench --rate 2000 --seconds 10     # fixed rate
//! ulimit -n 65536; target/release/hippo-bench --idle-sockets 20000
//! # a cluster: N nodes on one PostgreSQL, clients spread over them
//! target/release/hippo-bench --nodes 3 --database-url postgres://postgres@127.0.0.1/test
//! ```

use anyhow::{Context, Result, bail};
use hippo_client::{Client, NewConversation, NewMessage};
use hippo_protocol::ServerFrame;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-password-long-enough";

#[derive(Debug, Clone)]
struct Options {
    hippo: PathBuf,
    users: usize,
    members: usize,
    conversations: usize,
    rate: u64,
    seconds: u64,
    workers: usize,
    idle_sockets: usize,
    /// Keep the server's data dir here (for backup/restore timing).
    keep_data: Option<PathBuf>,
    /// Nodes to start (more than one needs `--database-url`).
    nodes: usize,
    /// PostgreSQL for the nodes (a fresh schema is made in it).
    database_url: Option<String>,
}

fn parse_options() -> Result<Options> {
    let mut o = Options {
        hippo: std::env::current_exe()?.with_file_name("hippo"),
        users: 20,
        members: 10,
        conversations: 20,
        rate: 0,
        seconds: 10,
        workers: 64,
        idle_sockets: 0,
        keep_data: None,
        nodes: 1,
        database_url: None,
    };
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
            "--hippo" => o.hippo = PathBuf::from(value),
            "--users" => o.users = usize::try_from(n()?)?,
            "--members" => o.members = usize::try_from(n()?)?,
            "--conversations" => o.conversations = usize::try_from(n()?)?,
            "--rate" => o.rate = n()?,
            "--seconds" => o.seconds = n()?.min(1800),
            "--workers" => o.workers = usize::try_from(n()?)?.max(1),
            "--idle-sockets" => o.idle_sockets = usize::try_from(n()?)?,
            "--keep-data" => o.keep_data = Some(PathBuf::from(value)),
            "--nodes" => o.nodes = usize::try_from(n()?)?.clamp(1, 16),
            "--database-url" => o.database_url = Some(value.clone()),
            other => bail!("unknown option {other}"),
        }
        i += 2;
    }
    if o.members > o.users || o.members < 2 {
        bail!("--members must be between 2 and --users");
    }
    if o.nodes > 1 && o.database_url.is_none() {
        bail!("--nodes above 1 needs --database-url (PostgreSQL)");
    }
    Ok(o)
}

fn hippo_cmd(o: &Options, data: &Path, port: u16) -> Command {
    let mut c = Command::new(&o.hippo);
    c.arg("--data-dir")
        .arg(data)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--require-mfa",
            "false",
        ])
        .env("HIPPO_LOG", "warn");
    if let Some(url) = &o.database_url {
        c.env("HIPPO_DATABASE_URL", url);
    }
    c
}

/// A fresh schema in the bench database, and a URL that selects it.
async fn fresh_schema(url: &str) -> Result<String> {
    use sqlx::Connection;
    let schema = format!("bench_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&mut conn)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

fn start_server(o: &Options, data: &Path, port: u16) -> Result<Child> {
    let mut child = hippo_cmd(o, data, port)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", o.hippo.display()))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next().context("server exited before listening")??;
        if line.starts_with("hippo listening on") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Ok(child)
}

/// (utime + stime in seconds, peak RSS in KiB, current RSS in KiB) of a process.
fn proc_stats(pid: u32) -> Result<(f64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(") ").context("stat format")?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok((ticks / 100.0, kib("VmHWM:"), kib("VmRSS:")))
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut o = parse_options()?;
    if let Some(url) = &o.database_url {
        o.database_url = Some(fresh_schema(url).await?);
    }
    let dir = tempfile::tempdir()?;
    let data = match &o.keep_data {
        Some(d) => {
            if d.exists() {
                bail!("--keep-data {} already exists", d.display());
            }
            d.clone()
        }
        None => dir.path().join("data"),
    };
    let mut ports = Vec::new();
    for _ in 0..o.nodes {
        ports.push(
            std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port(),
        );
    }
    let dirs: Vec<PathBuf> = (0..o.nodes)
        .map(|i| {
            if i == 0 {
                data.clone()
            } else {
                dir.path().join(format!("node{i}"))
            }
        })
        .collect();

    eprintln!("creating {} users…", o.users);
    let mut user_ids = Vec::new();
    for i in 0..o.users {
        let mut c = hippo_cmd(&o, &data, ports[0])
            .args([
                "user",
                "create",
                "--username",
                &format!("bench{i}"),
                "--role",
                "clinician",
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        c.stdin
            .take()
            .context("stdin")?
            .write_all(format!("{PASSWORD}\n").as_bytes())?;
        let out = c.wait_with_output()?;
        if !out.status.success() {
            bail!("user create failed");
        }
        user_ids.push(String::from_utf8(out.stdout)?.trim().to_owned());
    }
    // Every node holds the same keys.
    for d in &dirs[1..] {
        std::fs::create_dir_all(d)?;
        for key in ["master.key", "audit-signing.key"] {
            std::fs::copy(data.join(key), d.join(key))?;
        }
    }
    let mut servers = Vec::new();
    for (d, port) in dirs.iter().zip(&ports) {
        servers.push(start_server(&o, d, *port)?);
    }
    let pids: Vec<u32> = servers.iter().map(Child::id).collect();
    let result = run(&o, &dirs, &ports, &pids, &user_ids).await;
    for mut server in servers {
        server.kill()?;
        server.wait()?;
    }
    result
}

/// CPU seconds (summed) and peak RSS (largest, KiB) of the nodes.
fn nodes_stats(pids: &[u32]) -> Result<(f64, u64)> {
    let mut cpu = 0.0;
    let mut peak = 0;
    for pid in pids {
        let (c, p, _) = proc_stats(*pid)?;
        cpu += c;
        peak = peak.max(p);
    }
    Ok((cpu, peak))
}

async fn run(
    o: &Options,
    dirs: &[PathBuf],
    ports: &[u16],
    pids: &[u32],
    user_ids: &[String],
) -> Result<()> {
    let pid = pids[0];
    // One client (one connection pool) trusting every node's certificate,
    // one copy of it per node.
    let mut builder = Client::builder(format!("https://localhost:{}", ports[0]))
        .pool_max_idle_per_host(o.workers)
        .timeout(Duration::from_secs(30));
    for d in dirs {
        builder = builder.root_certificates_pem(&std::fs::read(d.join("tls/cert.pem"))?);
    }
    let client = builder.build()?;
    let nodes: Vec<Client> = ports
        .iter()
        .map(|p| client.at(&format!("https://localhost:{p}")))
        .collect::<Result<_, _>>()?;
    // Each user signed in (on node 0), as seen from each node.
    let mut tokens = Vec::new();
    for i in 0..o.users {
        let login = client
            .login(&format!("bench{i}"), PASSWORD, None)
            .await
            .with_context(|| format!("bench{i} signs in"))?;
        tokens.push(login.token.context("token")?);
    }
    let users_at = |node: &Client| -> Vec<Client> {
        tokens.iter().map(|t| node.with_token(t.expose())).collect()
    };
    let users: Vec<Vec<Client>> = nodes.iter().map(users_at).collect();

    if o.idle_sockets > 0 {
        let (_, _, before) = proc_stats(pid)?;
        let mut sockets = Vec::with_capacity(o.idle_sockets);
        for i in 0..o.idle_sockets {
            sockets.push(users[0][i % tokens.len()].stream().await?);
            if (i + 1) % 1000 == 0 {
                eprintln!("{} sockets", i + 1);
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (_, peak, after) = proc_stats(pid)?;
        println!("idle sockets: {}", sockets.len());
        println!("server RSS before: {before} KiB, after: {after} KiB, peak: {peak} KiB");
        println!(
            "server memory per idle socket: {:.1} KiB",
            (after.saturating_sub(before)) as f64 / sockets.len() as f64
        );
        return Ok(());
    }

    // Conversations of `members` users, round-robin over the users.
    let mut conversations = Vec::new();
    for c in 0..o.conversations {
        let creator = c % o.users;
        let others: Vec<&String> = (1..o.members)
            .map(|k| &user_ids[(creator + k) % o.users])
            .collect();
        let conversation = users[0][creator]
            .create_conversation(&NewConversation::group(others))
            .await?;
        conversations.push((conversation.id, creator));
    }

    let start = Instant::now();
    let latencies: Arc<std::sync::Mutex<Vec<u64>>> = Arc::default();
    let bad_frames: Arc<std::sync::atomic::AtomicU64> = Arc::default();
    let mut readers = Vec::new();
    for u in 0..tokens.len() {
        let mut ws = users[u % ports.len()][u].stream().await?;
        let latencies = latencies.clone();
        let bad_frames = bad_frames.clone();
        readers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                match tokio::time::timeout(Duration::from_secs(3), ws.next_frame()).await {
                    Ok(Ok(Some(ServerFrame::MessageCreated { message }))) => {
                        if let Some(sent) = message
                            .body
                            .as_deref()
                            .and_then(|b| b.strip_prefix("t:"))
                            .and_then(|n| n.parse::<u64>().ok())
                        {
                            let now =
                                u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
                            mine.push(now.saturating_sub(sent));
                        }
                    }
                    Ok(Ok(Some(_))) => {}
                    // The server's own frame type: a frame it sends that
                    // does not parse is a protocol break, counted below.
                    Ok(Err(hippo_client::Error::Frame { .. })) => {
                        bad_frames.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    // Closed, failed, or quiet for 3 s: the run is over.
                    _ => break,
                }
            }
            latencies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(mine);
        }));
    }

    eprintln!(
        "sending for {} s with {} workers ({})…",
        o.seconds,
        o.workers,
        if o.rate == 0 {
            "flat out".to_owned()
        } else {
            format!("{} msg/s", o.rate)
        }
    );
    let (cpu0, _) = nodes_stats(pids)?;
    let accepted = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let failures: Arc<std::sync::Mutex<std::collections::BTreeMap<String, u64>>> = Arc::default();
    let next_slot = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let send_start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..o.workers {
        let (senders, conversations) = (users[w % users.len()].clone(), conversations.clone());
        let failures = failures.clone();
        let (accepted, failed, next_slot, stop, rate) = (
            accepted.clone(),
            failed.clone(),
            next_slot.clone(),
            stop.clone(),
            o.rate,
        );
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                if let Some(interval_us) = 1_000_000u64.checked_div(rate) {
                    let slot = next_slot.fetch_add(1, Ordering::Relaxed);
                    let due = send_start + Duration::from_micros(slot * interval_us);
                    tokio::time::sleep_until(due.into()).await;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                let (conv, sender) = &conversations[i % conversations.len()];
                i += 7;
                let sent = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
                let r = senders[*sender]
                    .send_message(conv, &NewMessage::text(format!("t:{sent}")))
                    .await;
                let why = match r {
                    Ok(_) => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    Err(hippo_client::Error::Api {
                        status, problem, ..
                    }) => {
                        let code = problem.map(|p| p.code).unwrap_or_default();
                        format!("{} {code}", status.as_u16())
                    }
                    Err(hippo_client::Error::Http(e)) if e.is_timeout() => {
                        "client timeout".to_owned()
                    }
                    Err(hippo_client::Error::Http(e)) => {
                        let e = e.without_url();
                        let mut why = format!("connection error: {e}");
                        let mut source = std::error::Error::source(&e);
                        while let Some(inner) = source {
                            why.push_str(&format!(": {inner}"));
                            source = inner.source();
                        }
                        why
                    }
                    Err(e) => format!("error: {e}"),
                };
                failed.fetch_add(1, Ordering::Relaxed);
                *failures
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .entry(why)
                    .or_insert(0) += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    let elapsed = send_start.elapsed().as_secs_f64();
    let (cpu1, peak) = nodes_stats(pids)?;
    for r in readers {
        let _ = r.await;
    }
    let mut lat = latencies
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    lat.sort_unstable();
    let n = accepted.load(Ordering::Relaxed);
    println!(
        "nodes {} ({}) | users {} | conversations {} x {} members | workers {}",
        o.nodes,
        if o.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        o.users,
        o.conversations,
        o.members,
        o.workers
    );
    println!(
        "accepted: {n} in {elapsed:.1} s = {:.0} msg/s ({} failed)",
        n as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );
    let bad = bad_frames.load(Ordering::Relaxed);
    if bad > 0 {
        println!("frames that are not a ServerFrame: {bad}");
    }
    for (why, count) in failures
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        println!("  failed: {count} × {why}");
    }
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
        (cpu1 - cpu0) / elapsed * 100.0,
        peak / 1024
    );
    Ok(())
}
