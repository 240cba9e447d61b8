//! Cluster mode: several nodes on one PostgreSQL. Every frame a node
//! publishes ([`Outbound`]: the typed frame and its audience) is sealed
//! here with a key derived from the directory key — so nothing readable
//! passes through the bus, and nobody without the keys can forge one — and
//! queued for the other nodes. A node that receives one opens it and hands
//! the frame to its local sockets: no database round trip. The transport
//! (a `ClusterBus`: PostgreSQL `LISTEN`/`NOTIFY` or NATS) is the binary's;
//! this module only knows sealed strings in and out, and for each one the
//! users it is for (so a bus can route by user).
//!
//! Delivery to sockets is best effort across a lost bus connection
//! (notes are not replayed); clients catch up by `seq`
//! (`GET …/messages?after_seq=`) when they reconnect, as after any gap.

use crate::Hippo;
use crate::events::{EventSink, Outbound};
use base64::Engine;
use hippo_core::{Timestamp, UserId};
use hippo_crypto::{Aad, DataKey};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Notes waiting to be sent before new ones are dropped (logged).
const QUEUE: usize = 65_536;

/// How far a note's time may be from the receiver's clock (replays older
/// than this are refused; nodes' clocks must agree within it, e.g. NTP).
const NOTE_MAX_AGE_MS: i64 = 120_000;

/// One note: which node sent it, when, and the frame with its audience.
#[derive(Debug, Serialize, Deserialize)]
struct Note {
    node: String,
    /// When it was sent (ms): a note replayed later is refused.
    at: i64,
    out: Outbound,
}

fn note_aad() -> Aad {
    Aad::field("cluster", "note", "v2")
}

/// Seals a frame for the other nodes.
fn encode(node: &str, at: Timestamp, out: &Outbound, key: &DataKey) -> Option<String> {
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(&Note {
            node: node.to_owned(),
            at: at.as_millis(),
            out: out.clone(),
        })
        .ok()?,
    );
    let sealed = key.seal(&note_aad(), &plain).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(sealed))
}

/// Opens a note; `None` if it is not one of this deployment's.
fn decode(payload: &str, key: &DataKey) -> Option<Note> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()?;
    let plain = zeroize::Zeroizing::new(key.open(&note_aad(), &raw).ok()?);
    serde_json::from_slice(&plain).ok()
}

/// What the binary's transport drains from the queue, in order.
#[derive(Debug)]
pub enum Outgoing {
    /// A sealed note and the users it is for.
    Note { payload: String, users: Vec<UserId> },
    /// Completed once every note before it was sent.
    Barrier(tokio::sync::oneshot::Sender<()>),
}

/// Sends every published frame to the other nodes (through the queue the
/// binary drains into its transport).
struct Forwarder {
    node: String,
    keys: Arc<crate::Keyring>,
    clock: Arc<dyn hippo_core::Clock>,
    tx: mpsc::Sender<Outgoing>,
    dropped: AtomicU64,
    /// Seal one note per recipient (the bus routes by user).
    per_user: bool,
}

impl EventSink for Forwarder {
    fn flush(&self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.tx.try_send(Outgoing::Barrier(done)).ok()?;
        Some(wait)
    }

    fn handle(&self, out: &Outbound) {
        if self.per_user {
            // One note per user, narrowed to them: a bus routing by user
            // then carries each recipient only their own copy.
            for user in out.to.user_ids() {
                if let Some(to) = out.to.only(user) {
                    let one = Outbound {
                        to,
                        frame: out.frame.clone(),
                    };
                    self.queue(&one, vec![user.clone()]);
                }
            }
        } else {
            self.queue(out, out.to.user_ids().to_vec());
        }
    }
}

impl Forwarder {
    /// Seals `out` and queues it for `users`.
    fn queue(&self, out: &Outbound, users: Vec<UserId>) {
        let Some(payload) = encode(&self.node, self.clock.now(), out, self.keys.cluster_key())
        else {
            tracing::error!(
                frame = out.frame.kind(),
                "a cluster note could not be sealed"
            );
            return;
        };
        if self.tx.try_send(Outgoing::Note { payload, users }).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    dropped = n,
                    "cluster event queue full or closed; other nodes' clients catch up on reconnect"
                );
            }
        }
    }
}

/// Keyed names for routing on a shared bus: a deployment name and one per
/// user, derived from the directory key, so subjects carry no user ids and
/// deployments sharing a bus (or a schema name) never mix.
#[derive(Clone)]
pub struct ClusterRoutes {
    keys: Arc<crate::Keyring>,
}

impl std::fmt::Debug for ClusterRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterRoutes")
    }
}

impl ClusterRoutes {
    /// This deployment's name (16 hex digits).
    pub fn deployment(&self) -> String {
        self.keys.cluster_route("deployment")[..16].to_owned()
    }

    /// A user's name (32 hex digits: 128 bits of a keyed hash).
    pub fn user(&self, user: &UserId) -> String {
        self.keys.cluster_route(user.as_str())[..32].to_owned()
    }
}

impl Hippo {
    /// Names for routing this deployment's notes on a shared bus.
    pub fn cluster_routes(&self) -> ClusterRoutes {
        ClusterRoutes {
            keys: self.core.keys.clone(),
        }
    }

    /// Turns cluster mode on for this node (`node` is its id): returns the
    /// queue of notes to send to the other nodes; with `per_user`, one note
    /// per recipient, narrowed to them.
    pub fn forward_events(&self, node: &str, per_user: bool) -> mpsc::Receiver<Outgoing> {
        let (tx, rx) = mpsc::channel(QUEUE);
        self.events().set_forwarder(Arc::new(Forwarder {
            node: node.to_owned(),
            keys: self.core.keys.clone(),
            clock: self.core.clock.clone(),
            tx,
            dropped: AtomicU64::new(0),
            per_user,
        }));
        rx
    }

    /// Handles a note from the cluster: ignored if this node sent it, it
    /// does not open, or it is outside the time window; otherwise its frame
    /// goes to this node's sockets. With `only_for`, the bus routed the
    /// note to this node for that one user: only that user's sockets get it.
    pub fn receive_cluster_event(&self, node: &str, payload: &str, only_for: Option<&UserId>) {
        let Some(note) = decode(payload, self.core.keys.cluster_key()) else {
            tracing::warn!(
                "ignored a cluster notification that does not open with this deployment's key"
            );
            return;
        };
        if note.node == node {
            return;
        }
        if (self.core.clock.now().as_millis() - note.at).abs() > NOTE_MAX_AGE_MS {
            tracing::warn!(
                "ignored a cluster notification outside the time window (a replay, or clocks apart)"
            );
            return;
        }
        let out = match only_for {
            None => note.out,
            Some(user) => match note.out.to.only(user) {
                Some(to) => Outbound {
                    to,
                    frame: note.out.frame,
                },
                None => return,
            },
        };
        self.events().deliver_local(&out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;
    use hippo_core::{ConversationId, Message, MessageId};

    #[test]
    fn notes_are_sealed_and_round_trip() {
        let key = DataKey::generate().unwrap();
        let recipients: Vec<UserId> = (0..250).map(|_| UserId::generate()).collect();
        let message = Message {
            id: MessageId::generate(),
            conversation_id: ConversationId::generate(),
            seq: 7,
            sender_id: UserId::generate(),
            body: Some("BP 120/80 ".repeat(2_000)),
            priority: hippo_core::Priority::Urgent,
            client_id: Some("c1".into()),
            created_at: Timestamp::from_millis(5),
            edited_at: None,
            deleted: false,
            attachments: Vec::new(),
            channel: hippo_core::Channel::Hippo,
            channel_status: None,
        };
        let out = Outbound::from(Event::MessageCreated {
            message,
            recipients: recipients.clone(),
        });
        let note = encode("node-a", Timestamp::from_millis(1), &out, &key).unwrap();
        assert!(note.len() > 8_000, "large frames travel whole");
        assert!(!note.contains("BP 120/80") && !note.contains(recipients[0].as_str()));
        let back = decode(&note, &key).unwrap();
        assert_eq!(back.node, "node-a");
        assert_eq!(back.out, out);
        // Another deployment's key (or a forged note) does not open.
        assert!(decode(&note, &DataKey::generate().unwrap()).is_none());
        assert!(decode("eyJub2RlIjoieCJ9", &key).is_none());
    }
}
