//! The figures `/metrics` reads when scraped: this process's counters
//! (sign-ins, sockets, WhatsApp, webhooks) and what the database holds
//! (outbox depths, the last backup, verification and checkpoint, the
//! connection pool). Reading is async; recording into the recorder is not,
//! so [`gather`] collects first and [`Figures::record`] writes them.

use crate::AppState;
use hippo_core::Timestamp;
use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};
use std::sync::atomic::Ordering::Relaxed;

/// Everything read for one scrape.
pub(super) struct Figures {
    backend: &'static str,
    sockets: usize,
    slow_sockets_dropped: u64,
    login_failures: Vec<(&'static str, u64)>,
    lockouts: u64,
    webhooks: [u64; WEBHOOK_COUNTERS.len()],
    whatsapp: Option<Whatsapp>,
    /// `None`: the database did not answer.
    ops: Option<hippo_service::ops::Figures>,
}

/// `hippo_webhooks_{name}_total`: names and help, in the order of
/// `Figures::webhooks`.
const WEBHOOK_COUNTERS: [(&str, &str); 3] = [
    ("delivered", "Webhook deliveries a receiver took (2xx)"),
    (
        "failed_attempts",
        "Webhook attempts that failed (non-2xx, time-out, no connection) and were retried or given up",
    ),
    ("dead", "Webhook deliveries given up after their last retry"),
];

/// `hippo_whatsapp_{name}_total`: names and help, in the order of
/// `Whatsapp::counters`.
const WHATSAPP_COUNTERS: [(&str, &str); 8] = [
    ("sends_accepted", "Sends the Cloud API accepted"),
    (
        "sends_retried",
        "Sends that failed and were scheduled again",
    ),
    ("sends_failed", "Messages that failed for good"),
    ("status_sent", "sent reports applied"),
    ("status_delivered", "delivered reports applied"),
    ("status_read", "read reports applied"),
    ("inbound", "Messages received from patients"),
    (
        "webhooks_rejected",
        "Webhook deliveries with a bad signature",
    ),
];

struct Whatsapp {
    counters: [u64; WHATSAPP_COUNTERS.len()],
    outbox: Option<hippo_service::whatsapp::OutboxCounts>,
    now: Timestamp,
}

/// Reads the figures (the database ones may fail: then the scrape still
/// answers, with `hippo_store_up 0`).
pub(super) async fn gather(state: &AppState) -> Figures {
    let hippo = &state.hippo;
    let login = hippo.auth().stats();
    let wh = hippo.webhooks().stats();
    let whatsapp = match hippo.whatsapp().configured() {
        Some(channel) => {
            let st = &channel.stats;
            Some(Whatsapp {
                counters: [
                    st.accepted.load(Relaxed),
                    st.retried.load(Relaxed),
                    st.failed.load(Relaxed),
                    st.sent.load(Relaxed),
                    st.delivered.load(Relaxed),
                    st.read.load(Relaxed),
                    st.inbound.load(Relaxed),
                    st.webhooks_rejected.load(Relaxed),
                ],
                outbox: match hippo.whatsapp().outbox_counts().await {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "metrics: the WhatsApp outbox could not be counted");
                        None
                    }
                },
                now: hippo.now(),
            })
        }
        None => None,
    };
    let ops = match hippo.ops().figures().await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database figures could not be read");
            None
        }
    };
    Figures {
        backend: hippo.store().backend(),
        sockets: state.hub.connections(),
        slow_sockets_dropped: state.hub.slow_dropped(),
        login_failures: login.failures(),
        lockouts: login.lockouts.load(Relaxed),
        webhooks: [
            wh.delivered.load(Relaxed),
            wh.failed_attempts.load(Relaxed),
            wh.dead.load(Relaxed),
        ],
        whatsapp,
        ops,
    }
}

fn seconds_between(earlier: Timestamp, now: Timestamp) -> f64 {
    (now.as_millis() - earlier.as_millis()).max(0) as f64 / 1000.0
}

fn unix_seconds(t: Timestamp) -> f64 {
    t.as_millis() as f64 / 1000.0
}

/// `HELP` texts, once per recorder.
pub(super) fn describe() {
    describe_gauge!(
        "hippo_build_info",
        "Always 1; the labels name this build's version and storage backend."
    );
    describe_gauge!(
        "hippo_store_up",
        "1 when the database answered this scrape's queries, else 0."
    );
    describe_gauge!("hippo_stream_sockets", "WebSockets open on this node.");
    describe_counter!(
        "hippo_stream_slow_sockets_dropped_total",
        "WebSockets closed because their client could not keep up (it reconnects and catches up)."
    );
    describe_counter!(
        "hippo_login_failures_total",
        "Refused sign-ins on this node by the error code answered."
    );
    describe_counter!(
        "hippo_account_lockouts_total",
        "Accounts locked on this node after repeated failed sign-ins."
    );
    for (name, help) in WEBHOOK_COUNTERS {
        describe_counter!(format!("hippo_webhooks_{name}_total"), format!("{help}."));
    }
    describe_gauge!(
        "hippo_webhook_deliveries",
        "Outgoing webhook deliveries in the database (the cluster's) by state: pending or dead."
    );
    describe_gauge!(
        "hippo_webhook_backlog_age_seconds",
        Unit::Seconds,
        "Age of the oldest pending outgoing webhook delivery (0 when none)."
    );
    for (name, help) in WHATSAPP_COUNTERS {
        describe_counter!(format!("hippo_whatsapp_{name}_total"), format!("{help}."));
    }
    describe_gauge!(
        "hippo_whatsapp_outbox_jobs",
        "WhatsApp outbox jobs by state."
    );
    describe_gauge!(
        "hippo_whatsapp_outbox_lag_seconds",
        Unit::Seconds,
        "Age of the oldest unsent WhatsApp outbox job (0 when none)."
    );
    describe_gauge!(
        "hippo_audit_pending_records",
        "Audit records committed but not yet sequenced into the tree."
    );
    describe_gauge!(
        "hippo_audit_pending_age_seconds",
        Unit::Seconds,
        "Age of the oldest audit record not yet sequenced (0 when none)."
    );
    describe_gauge!(
        "hippo_audit_checkpoint_last_timestamp_seconds",
        Unit::Seconds,
        "When the audit chain's head was last signed (Unix time; absent before the first)."
    );
    describe_gauge!(
        "hippo_operation_last_timestamp_seconds",
        Unit::Seconds,
        "When an operation (backup.create, backup.verify, backup.restore, backup.drill, audit.verify, key.rotate) last ended with an outcome (Unix time), from the audit trail."
    );
    describe_gauge!(
        "hippo_db_connections",
        "This node's database connections by state (in_use, idle); SQLite: the reader pool."
    );
    describe_gauge!(
        "hippo_db_connections_max",
        "The most connections this node's pool opens."
    );
    describe_counter!(
        "hippo_db_write_transactions_total",
        "Write transactions this node started."
    );
    describe_gauge!(
        "hippo_db_write_waited_seconds",
        Unit::Seconds,
        "Time write transactions on this node waited for a connection so far (SQLite: for the single writer); only rises, so rate() applies."
    );
}

impl Figures {
    /// Writes the figures into the current (local) recorder.
    pub(super) fn record(&self) {
        gauge!(
            "hippo_build_info",
            "version" => env!("CARGO_PKG_VERSION"),
            "backend" => self.backend
        )
        .set(1.0);
        gauge!("hippo_stream_sockets").set(self.sockets as f64);
        counter!("hippo_stream_slow_sockets_dropped_total").absolute(self.slow_sockets_dropped);
        for (code, n) in &self.login_failures {
            counter!("hippo_login_failures_total", "code" => *code).absolute(*n);
        }
        counter!("hippo_account_lockouts_total").absolute(self.lockouts);
        for ((name, _), n) in WEBHOOK_COUNTERS.iter().zip(self.webhooks) {
            counter!(format!("hippo_webhooks_{name}_total")).absolute(n);
        }
        if let Some(w) = &self.whatsapp {
            for ((name, _), n) in WHATSAPP_COUNTERS.iter().zip(w.counters) {
                counter!(format!("hippo_whatsapp_{name}_total")).absolute(n);
            }
            if let Some(c) = &w.outbox {
                for (state, n) in [
                    ("pending", c.pending),
                    ("sending", c.sending),
                    ("done", c.done),
                    ("dead", c.dead),
                ] {
                    gauge!("hippo_whatsapp_outbox_jobs", "state" => state).set(n as f64);
                }
                let lag = c
                    .oldest_unsent_at
                    .map_or(0.0, |t| seconds_between(t, w.now));
                gauge!("hippo_whatsapp_outbox_lag_seconds").set(lag);
            }
        }
        let Some(ops) = &self.ops else {
            gauge!("hippo_store_up").set(0.0);
            return;
        };
        gauge!("hippo_store_up").set(1.0);
        let s = &ops.store;
        gauge!("hippo_webhook_deliveries", "state" => "pending").set(s.webhook_pending as f64);
        gauge!("hippo_webhook_deliveries", "state" => "dead").set(s.webhook_dead as f64);
        gauge!("hippo_webhook_backlog_age_seconds").set(
            s.webhook_oldest_pending_at
                .map_or(0.0, |t| seconds_between(t, ops.now)),
        );
        gauge!("hippo_audit_pending_records").set(ops.audit_pending as f64);
        gauge!("hippo_audit_pending_age_seconds").set(
            ops.audit_pending_oldest
                .map_or(0.0, |t| seconds_between(t, ops.now)),
        );
        if let Some(at) = s.last_checkpoint_at {
            gauge!("hippo_audit_checkpoint_last_timestamp_seconds").set(unix_seconds(at));
        }
        for (operation, outcome, at) in &s.last_records {
            gauge!(
                "hippo_operation_last_timestamp_seconds",
                "operation" => operation.clone(),
                "outcome" => outcome.clone()
            )
            .set(unix_seconds(*at));
        }
        let p = &ops.pool;
        gauge!("hippo_db_connections", "state" => "in_use")
            .set(f64::from(p.open.saturating_sub(p.idle)));
        gauge!("hippo_db_connections", "state" => "idle").set(f64::from(p.idle));
        gauge!("hippo_db_connections_max").set(f64::from(p.max));
        counter!("hippo_db_write_transactions_total").absolute(p.writes);
        // The exporter's counters are integers: fractions of a second
        // need a gauge (that only rises).
        gauge!("hippo_db_write_waited_seconds").set(p.write_wait_seconds);
    }
}
