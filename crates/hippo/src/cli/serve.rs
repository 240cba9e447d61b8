//! `hippo serve`: checks the ground, then serves HTTPS (or, with
//! `--insecure-http`, plain HTTP behind a proxy) until SIGTERM/SIGINT, then
//! drains in-flight requests and exits 0.

use crate::settings::Config;
use anyhow::{Context, Result};
use hippo_http::tls::{PlainListener, TlsFiles, TlsListener, load_server_tls};
use std::future::Future;
use std::time::Duration;

/// After a shutdown signal, how long in-flight requests and idle keep-alive
/// connections get before the server stops anyway.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How often expired sessions are ended (and their sockets closed).
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(15);

/// How often retention policies are applied.
pub const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// How often the activity review looks for complete windows.
pub const ACTIVITY_REVIEW_EVERY: Duration = Duration::from_secs(60);

/// How often the audit chain's head is signed (when it moved).
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(300);

/// Runs a server future; once `shutdown` fires, gives it [`DRAIN_TIMEOUT`].
async fn with_drain<F>(
    serve: impl FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> F,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    F: Future<Output = ()>,
{
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let signal = Box::pin(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    let deadline = async move {
        let _ = rx.wait_for(|fired| *fired).await;
        tokio::time::sleep(DRAIN_TIMEOUT).await;
    };
    tokio::select! {
        () = serve(signal) => {},
        () = deadline => tracing::warn!("connections still open after the drain timeout; stopping anyway"),
    }
}

/// Waits for SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; draining in-flight requests");
}

/// Serves `router` on the configured listener until `shutdown` completes.
/// Returns once every connection has drained.
pub async fn serve_until(
    config: &Config,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_listening: impl FnOnce(std::net::SocketAddr, Option<&str>),
) -> Result<()> {
    let limits = config.connection_limits.clone();
    if config.insecure_http {
        let listener = PlainListener::bind(config.listen, &limits)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        on_listening(addr, None);
        with_drain(
            |signal| hippo_http::server::serve(listener, router, limits, signal),
            shutdown,
        )
        .await;
    } else {
        let files = TlsFiles {
            cert: config.tls_cert.clone(),
            key: config.tls_key.clone(),
            client_ca: config.tls_client_ca.clone(),
        };
        let tls = load_server_tls(&config.data_dir, &files)?;
        let listener = TlsListener::bind(config.listen, tls.config.clone(), &limits)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        on_listening(addr, Some(&tls.fingerprint_sha256));
        if tls.generated {
            tracing::warn!(
                "serving a generated self-signed certificate; configure --tls-cert/--tls-key for production"
            );
        }
        with_drain(
            |signal| hippo_http::server::serve(listener, router, limits, signal),
            shutdown,
        )
        .await;
    }
    Ok(())
}

/// Starts forwarding security alerts to the configured syslog collector, if
/// any.
pub fn spawn_alert_forwarder(
    config: &Config,
    hippo: &hippo_service::Hippo,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(target) = config.syslog_target.clone() else {
        return Ok(None);
    };
    let tls = match (&target, &config.syslog_ca_file) {
        (crate::syslog::Target::Tls { .. }, Some(ca)) => Some(crate::syslog::tls_config(
            ca,
            config.syslog_client.as_ref(),
        )?),
        _ => None,
    };
    tracing::info!(
        ?target,
        trail = config.syslog_forward_trail,
        "forwarding security alerts to syslog"
    );
    Ok(Some(crate::syslog::spawn(
        target,
        tls,
        hippo.audit().subscribe_alerts(),
        hippo.audit().subscribe_tree_heads(),
        config.syslog_forward_trail.then(|| hippo.audit().clone()),
    )))
}

/// Serves `/metrics` alone, in plain HTTP, on `addr` (for Prometheus on an
/// internal network: the figures name no one, but say much about the
/// service, so keep the address off the public network).
async fn spawn_metrics_listener(
    addr: std::net::SocketAddr,
    router: axum::Router,
) -> Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for metrics"))?;
    let bound = listener.local_addr()?;
    println!("metrics on http://{bound}/metrics");
    tracing::info!(addr = %bound, "metrics listener on");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    }))
}

pub async fn run(config: Config) -> Result<()> {
    let app = crate::app::open(&config).await?;
    if app.created_master_key {
        tracing::warn!(
            path = %config.master_key_file.display(),
            "created a new master key; in production keep it apart from the data directory and its backups"
        );
    }
    if config.insecure_http {
        tracing::warn!(
            "PLAIN HTTP: --insecure-http is set; run only behind a TLS-terminating proxy"
        );
    }
    for setting in &config.inactive {
        tracing::warn!(
            setting,
            "setting accepted but not yet in effect in this version"
        );
    }
    tracing::info!(
        backend = app.store.backend(),
        require_mfa = config.require_mfa,
        "hippo starting"
    );
    let relay = crate::cluster::spawn_relay(
        config.database_url.as_deref().map(String::as_str),
        config.cluster_bus.as_ref(),
        &app.hippo,
    )
    .await?;
    let hippo_http::Http {
        router,
        hub,
        metrics,
    } = hippo_http::http(app.hippo.clone(), crate::app::http_options(&config));
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(spawn_metrics_listener(addr, metrics).await?),
        None => None,
    };
    // Automatic logoff also for idle sockets: end expired sessions even when
    // no request arrives for them.
    let sweeper = {
        let hippo = app.hippo.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_INTERVAL);
            loop {
                tick.tick().await;
                if let Err(e) = hippo.auth().sweep_expired_sessions().await {
                    tracing::warn!(error = %e, "ending expired sessions failed");
                }
            }
        })
    };
    if let Some(listen) = config.media_listen {
        let public = crate::media::start(&app.hippo, listen, config.media_public_addr).await?;
        tracing::info!(%public, "media server (SFU) for group calls on");
    }
    // Calls nobody answered within 45 s end as missed (every node looks;
    // the call's compare-and-swap lets one of them end it), and sessions
    // in an answered call do not idle out.
    let call_timer = {
        let hippo = app.hippo.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(e) = hippo.calls().tick().await {
                    tracing::warn!(error = %e, "the calls timer failed");
                }
            }
        })
    };
    // Signed checkpoints of the audit chain, so a cut-off or recomputed
    // trail is detectable; one more at shutdown.
    let checkpointer = {
        let hippo = app.hippo.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_INTERVAL);
            loop {
                tick.tick().await;
                if let Err(e) = hippo.audit().write_checkpoint().await {
                    tracing::warn!(error = %e, "signing an audit checkpoint failed");
                }
            }
        })
    };
    let forwarder = spawn_alert_forwarder(&config, &app.hippo)?;
    let (stop_witness, witness_stop) = tokio::sync::watch::channel(false);
    let witness = config
        .audit_witness_file
        .clone()
        .map(|path| {
            crate::witness::spawn(path, app.hippo.audit().subscribe_tree_heads(), witness_stop)
        })
        .transpose()?;
    let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
    // Pending audit records into the tree, signed heads (one node of a
    // cluster at a time).
    let sequencer = {
        let hippo = app.hippo.clone();
        let stop = workers_stop.clone();
        tokio::spawn(async move { hippo.audit().run_sequencer(stop).await })
    };
    let mut whatsapp = crate::app::spawn_whatsapp_workers(&app.hippo, &workers_stop);
    whatsapp.push(crate::app::spawn_webhook_worker(&app.hippo, &workers_stop));
    if let Some(w) = &config.whatsapp {
        tracing::info!(phi_mode = w.phi_mode.as_str(), rate = w.rate, api_version = %w.api_version, "WhatsApp channel on");
    }
    let app = std::sync::Arc::new(app);
    let backups = config.backup_dir.clone().map(|dir| {
        tracing::info!(dir = %dir.display(), every = ?config.backup_interval, keep = config.backup_keep, "scheduled backups on");
        tokio::spawn(crate::backup::scheduled(
            app.clone(),
            config.data_dir.clone(),
            config.master_key_file.clone(),
            config.audit_signing_key_file.clone(),
            dir,
            config.backup_interval,
            config.backup_keep,
        ))
    });
    let drills = match (&config.backup_dir, config.backup_drill_interval) {
        (Some(_), Some(_)) if config.database_url.is_some() => anyhow::bail!(
            "backup_drill_interval restores SQLite backups; on PostgreSQL, drill with `hippo backup restore` into a scratch database"
        ),
        (Some(_), Some(every)) => {
            tracing::info!(every = ?every, "scheduled restore drills on");
            Some(tokio::spawn(crate::cli::backup::scheduled_drills(
                app.clone(),
                config.clone(),
                every,
            )))
        }
        (None, Some(_)) => {
            anyhow::bail!(
                "backup_drill_interval drills the backups in backup_dir: set backup_dir too"
            )
        }
        _ => None,
    };
    // Erasures whose key-file rewrite was cut off (a crash, a backup
    // volume away) reach the backups now.
    {
        let hippo = app.hippo.clone();
        tokio::spawn(async move {
            match hippo.governance().shred_backup_keys().await {
                Ok(r) if r.keys > 0 || r.failed > 0 => tracing::info!(
                    key_files = r.files,
                    keys = r.keys,
                    failed = r.failed,
                    "destroyed keys removed from backup key files"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "cannot check backup key files"),
            }
        });
    }
    // Disposal by policy, and the closing of dormant accounts.
    let retention = {
        let hippo = app.hippo.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RETENTION_INTERVAL);
            loop {
                tick.tick().await;
                // Once per cluster.
                if !hippo
                    .ops()
                    .lead("retention", RETENTION_INTERVAL.mul_f32(0.9))
                    .await
                {
                    continue;
                }
                match hippo
                    .governance()
                    .run_retention(hippo_service::Principal::System("retention"))
                    .await
                {
                    Ok(r) if r.messages > 0 => tracing::info!(
                        messages = r.messages,
                        files = r.files,
                        conversations = r.conversations,
                        "retention purge"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "retention purge failed"),
                }
                // Dormant accounts, on the same hourly round (a no-op
                // without deactivate_after).
                match hippo
                    .users()
                    .deactivate_dormant(hippo_service::Principal::System("dormant_accounts"))
                    .await
                {
                    Ok(done) if !done.is_empty() => {
                        tracing::info!(accounts = done.len(), "dormant accounts deactivated");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "dormant account check failed"),
                }
            }
        })
    };
    // The activity review, once per cluster.
    let activity = (!config.activity.window.is_zero()).then(|| {
        let hippo = app.hippo.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(ACTIVITY_REVIEW_EVERY);
            loop {
                tick.tick().await;
                if !hippo
                    .ops()
                    .lead("activity_review", ACTIVITY_REVIEW_EVERY.mul_f32(2.0))
                    .await
                {
                    continue;
                }
                match hippo.audit().review_activity().await {
                    Ok(r) if r.alerts > 0 => tracing::warn!(
                        windows = r.windows,
                        alerts = r.alerts,
                        "activity review raised alerts"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "activity review failed"),
                }
            }
        })
    });
    let scheme = if config.insecure_http {
        "http"
    } else {
        "https"
    };
    // Sockets live as long as their clients: tell them to reconnect
    // (1001) rather than hold the drain to its timeout.
    let shutdown = async move {
        shutdown_signal().await;
        hub.going_away();
    };
    serve_until(&config, router, shutdown, |addr, fingerprint| {
        if let Some(fp) = fingerprint {
            println!("TLS certificate SHA-256 fingerprint: {fp}");
        }
        println!("hippo listening on {scheme}://{addr}");
        tracing::info!(%addr, scheme, "listening");
    })
    .await?;
    let _ = stop_workers.send(true);
    for w in whatsapp {
        if tokio::time::timeout(std::time::Duration::from_secs(25), w)
            .await
            .is_err()
        {
            tracing::warn!("a WhatsApp worker did not stop in time");
        }
    }
    if tokio::time::timeout(std::time::Duration::from_secs(5), sequencer)
        .await
        .is_err()
    {
        tracing::warn!("the audit sequencer did not stop in time");
    }
    // What this node wrote last goes into the tree now, under one more
    // signed head (another node would take it within seconds anyway).
    match app.hippo.audit().sequence_now().await {
        Ok(_) => {
            if let Err(e) = app.hippo.audit().sign_tree_head(true).await {
                tracing::warn!(error = %e, "signing the shutdown audit tree head failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "sequencing the audit trail at shutdown failed"),
    }
    app.hippo.ops().release_leases().await;
    sweeper.abort();
    call_timer.abort();
    if let Some(m) = metrics_listener {
        m.abort();
    }
    for task in relay.into_iter().flatten() {
        task.abort();
    }
    checkpointer.abort();
    retention.abort();
    if let Some(a) = activity {
        a.abort();
    }
    if let Some(b) = backups {
        b.abort();
    }
    if let Some(d) = drills {
        d.abort();
    }
    if let Some(f) = forwarder {
        f.abort();
    }
    let _ = stop_witness.send(true);
    if let Some(w) = witness {
        // It writes the shutdown head, then ends.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), w).await;
    }
    if let Err(e) = app.hippo.audit().write_checkpoint().await {
        tracing::warn!(error = %e, "signing the shutdown audit checkpoint failed");
    }
    app.store.close().await;
    tracing::info!("stopped");
    Ok(())
}
