//! The NATS cluster bus (`--cluster-bus nats://HOST:4222`). Each user has a
//! subject, `hippo.<deployment>.u.<route>`, where both names are keyed
//! hashes (`hippo_service::cluster::ClusterRoutes`): no user id crosses the
//! wire, and deployments sharing one NATS never mix; a note is published once to
//! each of its users' subjects, and a node subscribes only to the subjects
//! of users with a socket on it (following the hub's presence), so a node
//! hears only what it can deliver. Subjects carry opaque ids only; the
//! notes themselves are sealed.

use super::{ClusterBus, Interest, Note, Received};
use anyhow::{Context, Result};
use futures_util::StreamExt;
use hippo_core::UserId;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Notes received but not yet handed to the sockets.
const INBOX: usize = 4096;

/// Names a user on the bus.
pub type RouteOf = Arc<dyn Fn(&UserId) -> String + Send + Sync>;

pub struct NatsBus {
    client: async_nats::Client,
    prefix: String,
    route_of: RouteOf,
}

impl NatsBus {
    /// Connects; `deployment` keeps deployments sharing one NATS apart and
    /// `route_of` names each user's subject.
    pub async fn connect(url: &str, deployment: &str, route_of: RouteOf) -> Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .name("hippo")
            .retry_on_initial_connect()
            .connection_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await
            .with_context(|| format!("cannot connect to {url}"))?;
        Ok(Self {
            client,
            prefix: format!("hippo.{deployment}.u"),
            route_of,
        })
    }

    fn subject(&self, user: &UserId) -> String {
        format!("{}.{}", self.prefix, (self.route_of)(user))
    }
}

#[async_trait::async_trait]
impl ClusterBus for NatsBus {
    fn name(&self) -> &'static str {
        "nats"
    }

    fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }

    fn routes_by_user(&self) -> bool {
        true
    }

    async fn publish(&self, notes: &[Note]) -> Result<()> {
        // Each note was sealed for one user (`routes_by_user`); a note for
        // several still reaches each of them.
        for note in notes {
            let payload = bytes_of(&note.payload);
            for user in &note.users {
                self.client
                    .publish(self.subject(user), payload.clone())
                    .await
                    .context("NATS publish failed")?;
            }
        }
        // Acknowledged sends are announced before the answer: wait until
        // everything is written to the server.
        self.client.flush().await.context("NATS flush failed")?;
        Ok(())
    }

    async fn subscribe(self: Arc<Self>, interest: Interest) -> Result<mpsc::Receiver<Received>> {
        let (tx, rx) = mpsc::channel(INBOX);
        let Interest { now, mut changes } = interest;
        let mut subscriptions: HashMap<UserId, tokio::task::JoinHandle<()>> = HashMap::new();
        for user in now {
            let task = self.follow(&user, tx.clone()).await?;
            subscriptions.insert(user, task);
        }
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                let user = change.user;
                if !change.online {
                    if let Some(task) = subscriptions.remove(&user) {
                        // Dropping the subscriber unsubscribes.
                        task.abort();
                    }
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    subscriptions.entry(user.clone())
                {
                    match self.follow_with_retries(&user, &tx).await {
                        Some(task) => {
                            slot.insert(task);
                        }
                        None => continue,
                    }
                }
                // The server has the subscription: the socket may say ready.
                if let Some(ready) = change.ready {
                    let _ = ready.send(());
                }
            }
        });
        Ok(rx)
    }
}

impl NatsBus {
    /// [`NatsBus::follow`], tried a few times; `None` (logged) if NATS
    /// keeps refusing (the user's sockets then get other nodes' frames only
    /// after reconnecting).
    async fn follow_with_retries(
        &self,
        user: &UserId,
        tx: &mpsc::Sender<Received>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let mut delay = std::time::Duration::from_millis(100);
        for attempt in 1..=5 {
            match self.follow(user, tx.clone()).await {
                Ok(task) => return Some(task),
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "cannot subscribe on the cluster bus");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
        None
    }

    /// Subscribes to one user's subject, forwarding into `tx`; returns once
    /// the server has the subscription.
    async fn follow(
        &self,
        user: &UserId,
        tx: mpsc::Sender<Received>,
    ) -> Result<tokio::task::JoinHandle<()>> {
        let mut sub = self
            .client
            .subscribe(self.subject(user))
            .await
            .context("NATS subscribe failed")?;
        self.round_trip()
            .await
            .context("NATS did not confirm the subscription")?;
        let user = user.clone();
        Ok(tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                let Ok(payload) = String::from_utf8(msg.payload.to_vec()) else {
                    continue;
                };
                let r = Received {
                    payload,
                    only_for: Some(user.clone()),
                };
                if tx.send(r).await.is_err() {
                    return;
                }
            }
        }))
    }
}

impl NatsBus {
    /// Returns once the server has processed everything this connection
    /// sent before. `flush` only empties the client's write buffer (the
    /// server may not have read a SUB yet when another node publishes), and
    /// the client has no PING, so the round trip is a message to a fresh
    /// inbox on this connection: the server handles one connection's
    /// operations in order, so when it comes back the earlier SUB is in
    /// effect.
    async fn round_trip(&self) -> Result<()> {
        let inbox = self.client.new_inbox();
        let mut probe = self
            .client
            .subscribe(inbox.clone())
            .await
            .context("NATS subscribe failed")?;
        self.client
            .publish(inbox, bytes::Bytes::new())
            .await
            .context("NATS publish failed")?;
        self.client.flush().await.context("NATS flush failed")?;
        tokio::time::timeout(std::time::Duration::from_secs(5), probe.next())
            .await
            .context("no answer from NATS within 5 s")?
            .context("the NATS connection closed")?;
        Ok(())
    }
}

fn bytes_of(s: &str) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(s.as_bytes())
}
