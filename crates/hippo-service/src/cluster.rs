//! Cluster mode: several nodes on one PostgreSQL. Every event a node
//! publishes is also encoded here as a small notification (ids and
//! recipients, never content) and sent to the other nodes; a node that
//! receives one loads what it names from the database, decrypts it as it
//! would its own, and hands the event to its local sockets. The transport
//! (PostgreSQL `LISTEN`/`NOTIFY`) is the binary's; this module only knows
//! strings in and out.
//!
//! Delivery to sockets is best effort across a lost connection to the
//! database (notifications are not replayed); clients catch up by `seq`
//! (`GET …/messages?after_seq=`) when they reconnect, as after any gap.

use crate::events::{Event, EventSink};
use crate::{Hippo, Result};
use hippo_core::{ConversationId, MessageId, SessionId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Recipients per notification: keeps every payload far below
/// PostgreSQL's 8000-byte limit.
const RECIPIENTS_PER_NOTE: usize = 100;
/// Notifications waiting to be sent before new ones are dropped (logged).
const QUEUE: usize = 65_536;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k")]
enum Wire {
    #[serde(rename = "session_ended")]
    SessionEnded {
        session_id: String,
        user_id: String,
        reason: String,
    },
    #[serde(rename = "message_created")]
    MessageCreated { message_id: String, r: Vec<String> },
    #[serde(rename = "message_updated")]
    MessageUpdated { message_id: String, r: Vec<String> },
    #[serde(rename = "message_deleted")]
    MessageDeleted {
        conversation_id: String,
        message_id: String,
        r: Vec<String>,
    },
    #[serde(rename = "receipt")]
    Receipt {
        conversation_id: String,
        message_id: String,
        up_to_seq: i64,
        user_id: String,
        delivered_at: Option<i64>,
        read_at: Option<i64>,
        r: Vec<String>,
    },
    #[serde(rename = "conversation_updated")]
    ConversationUpdated {
        conversation_id: String,
        r: Vec<String>,
    },
}

impl Wire {
    fn recipients_mut(&mut self) -> Option<&mut Vec<String>> {
        match self {
            Self::SessionEnded { .. } => None,
            Self::MessageCreated { r, .. }
            | Self::MessageUpdated { r, .. }
            | Self::MessageDeleted { r, .. }
            | Self::Receipt { r, .. }
            | Self::ConversationUpdated { r, .. } => Some(r),
        }
    }
}

/// One notification: which node sent it, and the event.
#[derive(Debug, Serialize, Deserialize)]
struct Note {
    node: String,
    #[serde(flatten)]
    event: Wire,
}

fn ids(users: &[UserId]) -> Vec<String> {
    users.iter().map(|u| u.as_str().to_owned()).collect()
}

fn wire(event: &Event) -> Wire {
    match event {
        Event::SessionEnded {
            session_id,
            user_id,
            reason,
        } => Wire::SessionEnded {
            session_id: session_id.as_str().to_owned(),
            user_id: user_id.as_str().to_owned(),
            reason: (*reason).to_owned(),
        },
        Event::MessageCreated {
            message,
            recipients,
        } => Wire::MessageCreated {
            message_id: message.id.as_str().to_owned(),
            r: ids(recipients),
        },
        Event::MessageUpdated {
            message,
            recipients,
        } => Wire::MessageUpdated {
            message_id: message.id.as_str().to_owned(),
            r: ids(recipients),
        },
        Event::MessageDeleted {
            conversation_id,
            message_id,
            recipients,
        } => Wire::MessageDeleted {
            conversation_id: conversation_id.as_str().to_owned(),
            message_id: message_id.as_str().to_owned(),
            r: ids(recipients),
        },
        Event::Receipt {
            conversation_id,
            message_id,
            up_to_seq,
            user_id,
            delivered_at,
            read_at,
            recipients,
        } => Wire::Receipt {
            conversation_id: conversation_id.as_str().to_owned(),
            message_id: message_id.as_str().to_owned(),
            up_to_seq: *up_to_seq,
            user_id: user_id.as_str().to_owned(),
            delivered_at: delivered_at.map(Timestamp::as_millis),
            read_at: read_at.map(Timestamp::as_millis),
            r: ids(recipients),
        },
        Event::ConversationUpdated {
            conversation,
            recipients,
        } => Wire::ConversationUpdated {
            conversation_id: conversation.id.as_str().to_owned(),
            r: ids(recipients),
        },
    }
}

/// The notifications for one event (several when it has many recipients).
fn encode(node: &str, event: &Event) -> Vec<String> {
    let mut base = wire(event);
    let chunks: Vec<Vec<String>> = match base.recipients_mut() {
        Some(r) => std::mem::take(r)
            .chunks(RECIPIENTS_PER_NOTE)
            .map(<[String]>::to_vec)
            .collect(),
        None => vec![Vec::new()],
    };
    chunks
        .into_iter()
        .filter_map(|chunk| {
            let mut event = base.clone();
            if let Some(r) = event.recipients_mut() {
                *r = chunk;
            }
            serde_json::to_string(&Note {
                node: node.to_owned(),
                event,
            })
            .ok()
        })
        .collect()
}

/// What the binary's transport drains from the queue, in order.
#[derive(Debug)]
pub enum Outgoing {
    /// A notification to send.
    Note(String),
    /// Completed once every note before it was sent.
    Barrier(tokio::sync::oneshot::Sender<()>),
}

/// Sends every published event to the other nodes (through the queue the
/// binary drains into its transport).
struct Forwarder {
    node: String,
    tx: mpsc::Sender<Outgoing>,
    dropped: AtomicU64,
}

impl EventSink for Forwarder {
    fn flush(&self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.tx.try_send(Outgoing::Barrier(done)).ok()?;
        Some(wait)
    }

    fn handle(&self, event: &Event) {
        for note in encode(&self.node, event) {
            if self.tx.try_send(Outgoing::Note(note)).is_err() {
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
}

fn reason(s: &str) -> &'static str {
    match s {
        "logout" => "logout",
        "expired" => "expired",
        "deactivated" => "deactivated",
        _ => "revoked",
    }
}

fn users(r: Vec<String>) -> Vec<UserId> {
    r.into_iter().map(UserId::from_stored).collect()
}

impl Hippo {
    /// Turns cluster mode on for this node (`node` is its random id):
    /// returns the queue of notifications to send to the other nodes.
    pub fn forward_events(&self, node: &str) -> mpsc::Receiver<Outgoing> {
        let (tx, rx) = mpsc::channel(QUEUE);
        self.events().set_forwarder(Arc::new(Forwarder {
            node: node.to_owned(),
            tx,
            dropped: AtomicU64::new(0),
        }));
        rx
    }

    /// Handles a notification from the cluster: ignored if this node sent
    /// it or it does not parse; otherwise what it names is loaded and the
    /// event handed to this node's sockets.
    pub async fn receive_cluster_event(&self, node: &str, payload: &str) -> Result<()> {
        let Ok(note) = serde_json::from_str::<Note>(payload) else {
            tracing::warn!("ignored a cluster notification that does not parse");
            return Ok(());
        };
        if note.node == node {
            return Ok(());
        }
        if let Some(event) = self.resolve(note.event).await? {
            self.events().deliver_local(&event);
        }
        Ok(())
    }

    async fn resolve(&self, wire: Wire) -> Result<Option<Event>> {
        Ok(Some(match wire {
            Wire::SessionEnded {
                session_id,
                user_id,
                reason: why,
            } => Event::SessionEnded {
                session_id: SessionId::from_stored(session_id),
                user_id: UserId::from_stored(user_id),
                reason: reason(&why),
            },
            Wire::MessageCreated { message_id, r } => {
                let Some(message) = self.message_for_event(message_id).await? else {
                    return Ok(None);
                };
                Event::MessageCreated {
                    message,
                    recipients: users(r),
                }
            }
            Wire::MessageUpdated { message_id, r } => {
                let Some(message) = self.message_for_event(message_id).await? else {
                    return Ok(None);
                };
                Event::MessageUpdated {
                    message,
                    recipients: users(r),
                }
            }
            Wire::MessageDeleted {
                conversation_id,
                message_id,
                r,
            } => Event::MessageDeleted {
                conversation_id: ConversationId::from_stored(conversation_id),
                message_id: MessageId::from_stored(message_id),
                recipients: users(r),
            },
            Wire::Receipt {
                conversation_id,
                message_id,
                up_to_seq,
                user_id,
                delivered_at,
                read_at,
                r,
            } => Event::Receipt {
                conversation_id: ConversationId::from_stored(conversation_id),
                message_id: MessageId::from_stored(message_id),
                up_to_seq,
                user_id: UserId::from_stored(user_id),
                delivered_at: delivered_at.map(Timestamp::from_millis),
                read_at: read_at.map(Timestamp::from_millis),
                recipients: users(r),
            },
            Wire::ConversationUpdated { conversation_id, r } => {
                let id = ConversationId::from_stored(conversation_id);
                let Some(row) = self.store.get_conversation(&id).await? else {
                    return Ok(None);
                };
                let members = self.store.list_members(&id).await?;
                Event::ConversationUpdated {
                    conversation: self.conversation_view(&row, members).await?,
                    recipients: users(r),
                }
            }
        }))
    }

    /// A message as its recipients see it, loaded and decrypted here.
    async fn message_for_event(&self, id: String) -> Result<Option<hippo_core::Message>> {
        let Some(row) = self.store.get_message(&MessageId::from_stored(id)).await? else {
            return Ok(None);
        };
        let Some(conversation) = self.store.get_conversation(&row.conversation_id).await? else {
            return Ok(None);
        };
        let key = self.conversation_key(&conversation).await?;
        Ok(Some(self.one_message_view(&key, &row).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_stay_small_and_round_trip() {
        let recipients: Vec<UserId> = (0..250).map(|_| UserId::generate()).collect();
        let event = Event::MessageDeleted {
            conversation_id: ConversationId::generate(),
            message_id: MessageId::generate(),
            recipients: recipients.clone(),
        };
        let notes = encode("node-a", &event);
        assert_eq!(notes.len(), 3);
        let mut back = Vec::new();
        for n in &notes {
            assert!(n.len() < 7900, "{}", n.len());
            let note: Note = serde_json::from_str(n).unwrap();
            assert_eq!(note.node, "node-a");
            match note.event {
                Wire::MessageDeleted { r, .. } => back.extend(r),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(back, ids(&recipients));
        let ended = Event::SessionEnded {
            session_id: SessionId::generate(),
            user_id: UserId::generate(),
            reason: "deactivated",
        };
        let notes = encode("n", &ended);
        assert_eq!(notes.len(), 1);
        let note: Note = serde_json::from_str(&notes[0]).unwrap();
        assert_eq!(note.event, wire(&ended));
    }
}
