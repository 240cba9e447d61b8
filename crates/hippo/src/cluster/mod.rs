//! Cluster mode, on whenever the database is PostgreSQL: this node's
//! frames go to the other nodes, and theirs come here, over a
//! [`ClusterBus`]. What travels is `hippo_service::cluster`'s sealed notes;
//! a bus only moves them.
//!
//! - [`postgres`] (the default): `LISTEN`/`NOTIFY` on the cluster's own
//!   database; every node hears every note; notes of any size (large ones
//!   by reference).
//! - [`nats`] (`--cluster-bus nats://HOST:4222`): one subject per user; a
//!   node subscribes only to the users with a socket on it, so it hears
//!   only what it can deliver.

pub mod nats;
pub mod postgres;

use crate::settings::ClusterBus as SettingsBus;
use anyhow::{Context, Result};
use hippo_core::UserId;
use hippo_service::Hippo;
use hippo_service::cluster::Outgoing;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Notes sent per round trip at most.
const BATCH: usize = 256;

/// A sealed note and the users it is for.
#[derive(Debug, Clone)]
pub struct Note {
    pub payload: String,
    pub users: Vec<UserId>,
}

/// A note from another node; `only_for` when the bus routed it here for
/// one user (deliver to that user only).
#[derive(Debug)]
pub struct Received {
    pub payload: String,
    pub only_for: Option<UserId>,
}

/// The users with sockets on this node now, and changes from then on.
pub struct Interest {
    pub now: Vec<UserId>,
    pub changes: mpsc::UnboundedReceiver<hippo_service::events::PresenceChange>,
}

/// Moves sealed notes between nodes.
#[async_trait::async_trait]
pub trait ClusterBus: Send + Sync + 'static {
    /// For logs: `postgres` or `nats`.
    fn name(&self) -> &'static str;
    /// Largest note this bus carries.
    fn max_payload(&self) -> usize;
    /// Whether the bus delivers per user (so notes are best sealed one per
    /// user, each narrowed to that user) rather than to every node.
    fn routes_by_user(&self) -> bool {
        false
    }
    /// Sends notes, in order.
    async fn publish(&self, notes: &[Note]) -> Result<()>;
    /// Starts receiving the other nodes' notes for `interest` (a bus that
    /// broadcasts may ignore it); they arrive on the returned queue until
    /// the bus is dropped. Reconnects by itself.
    async fn subscribe(self: Arc<Self>, interest: Interest) -> Result<mpsc::Receiver<Received>>;
}

/// Which bus: from `--cluster-bus` (`postgres` when not given).
pub async fn connect(
    database_url: &str,
    bus: Option<&SettingsBus>,
    routes: hippo_service::cluster::ClusterRoutes,
) -> Result<Arc<dyn ClusterBus>> {
    match bus {
        None | Some(SettingsBus::Postgres) => Ok(Arc::new(
            postgres::PgBus::connect(database_url)
                .await
                .context("cannot open the cluster event channel")?,
        )),
        Some(SettingsBus::Nats(url)) => {
            let deployment = routes.deployment();
            let route_of: nats::RouteOf = Arc::new(move |user| routes.user(user));
            let nats = nats::NatsBus::connect(url, &deployment, route_of)
                .await
                .context("cannot connect to the NATS cluster bus")?;
            Ok(Arc::new(nats))
        }
    }
}

/// Starts the relay's sender and receiver; `None` on SQLite (one node).
pub async fn spawn_relay(
    database_url: Option<&str>,
    bus: Option<&SettingsBus>,
    hippo: &Arc<Hippo>,
) -> Result<Option<Vec<tokio::task::JoinHandle<()>>>> {
    let Some(url) = database_url.filter(|u| u.starts_with("postgres")) else {
        return Ok(None);
    };
    let bus = connect(url, bus, hippo.cluster_routes()).await?;
    let node = hippo.node_id().to_owned();
    let mut outgoing = hippo.forward_events(&node, bus.routes_by_user());
    let sender = {
        let bus = bus.clone();
        tokio::spawn(async move {
            let mut queue = Vec::with_capacity(BATCH);
            while outgoing.recv_many(&mut queue, BATCH).await > 0 {
                let mut notes = Vec::with_capacity(queue.len());
                let mut barriers = Vec::new();
                for item in queue.drain(..) {
                    match item {
                        Outgoing::Note { payload, users } => {
                            if payload.len() > bus.max_payload() {
                                tracing::error!(
                                    bytes = payload.len(),
                                    bus = bus.name(),
                                    "a cluster note exceeds the bus's payload limit; other nodes' clients catch up by seq"
                                );
                                continue;
                            }
                            notes.push(Note { payload, users });
                        }
                        Outgoing::Barrier(b) => barriers.push(b),
                    }
                }
                send_with_retries(bus.as_ref(), &notes).await;
                // Everything queued before each barrier has been sent.
                for b in barriers {
                    let _ = b.send(());
                }
            }
        })
    };
    let (now, changes) = hippo.events().subscribe_presence();
    let mut incoming = bus.clone().subscribe(Interest { now, changes }).await?;
    let receiver = {
        let hippo = hippo.clone();
        tokio::spawn(async move {
            while let Some(r) = incoming.recv().await {
                hippo.receive_cluster_event(&node, &r.payload, r.only_for.as_ref());
            }
        })
    };
    tracing::info!(
        bus = bus.name(),
        "cluster mode: events shared with other nodes"
    );
    Ok(Some(vec![sender, receiver]))
}

/// Sends a batch, retrying with backoff; logs what is lost for good.
async fn send_with_retries(bus: &dyn ClusterBus, notes: &[Note]) {
    if notes.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(100);
    for attempt in 1..=5 {
        match bus.publish(notes).await {
            Ok(()) => return,
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, attempt, "sending cluster events failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) => tracing::error!(
                error = %e,
                events = notes.len(),
                "cluster events lost; other nodes' clients catch up on reconnect"
            ),
        }
    }
}
