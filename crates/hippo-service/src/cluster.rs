//! Cluster mode: several nodes on one PostgreSQL. Every event a node
//! publishes is also encoded here as a small notification (ids, recipients
//! and, when it fits, the message itself) sealed with a key derived from
//! the directory key — so nothing readable passes through the database
//! server, and nobody without the keys can forge one — and sent to the
//! other nodes. A node that receives one opens it (loading a message that
//! did not fit from the database) and hands the event to its local sockets. The transport
//! (PostgreSQL `LISTEN`/`NOTIFY`) is the binary's; this module only knows
//! strings in and out.
//!
//! Delivery to sockets is best effort across a lost connection to the
//! database (notifications are not replayed); clients catch up by `seq`
//! (`GET …/messages?after_seq=`) when they reconnect, as after any gap.

use crate::events::{Event, EventSink};
use crate::{Hippo, Result};
use base64::Engine;
use hippo_core::{ConversationId, Message, MessageId, SessionId, Timestamp, UserId};
use hippo_crypto::{Aad, DataKey};
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
#[allow(clippy::large_enum_variant, reason = "short-lived, one at a time")]
enum Wire {
    #[serde(rename = "session_ended")]
    SessionEnded {
        session_id: String,
        user_id: String,
        reason: String,
    },
    #[serde(rename = "message_created")]
    MessageCreated {
        message_id: String,
        /// The message (absent when too large: load it instead).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        m: Option<WireMessage>,
        r: Vec<String>,
    },
    #[serde(rename = "message_updated")]
    MessageUpdated {
        message_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        m: Option<WireMessage>,
        r: Vec<String>,
    },
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

/// One notification: which node sent it, when, and the event.
#[derive(Debug, Serialize, Deserialize)]
struct Note {
    node: String,
    /// When it was sent (ms): a note replayed later is refused.
    at: i64,
    #[serde(flatten)]
    event: Wire,
}

/// How far a note's time may be from the receiver's clock (replays older
/// than this are refused; nodes' clocks must agree within it, e.g. NTP).
const NOTE_MAX_AGE_MS: i64 = 120_000;

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
            m: Some(wire_message(message)),
            r: ids(recipients),
        },
        Event::MessageUpdated {
            message,
            recipients,
        } => Wire::MessageUpdated {
            message_id: message.id.as_str().to_owned(),
            m: Some(wire_message(message)),
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

/// The sealed notifications for one event (several when it has many
/// recipients); a message too large to travel inside is loaded instead.
fn encode(node: &str, at: Timestamp, event: &Event, key: &DataKey) -> Vec<String> {
    let base = wire(event);
    let notes = notes_of(node, at, base.clone(), key);
    if notes.iter().all(|n| n.len() <= MAX_NOTE) {
        return notes;
    }
    let mut base = base;
    if let Wire::MessageCreated { m, .. } | Wire::MessageUpdated { m, .. } = &mut base {
        *m = None;
    }
    notes_of(node, at, base, key)
}

fn notes_of(node: &str, at: Timestamp, mut base: Wire, key: &DataKey) -> Vec<String> {
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
            let plain = zeroize::Zeroizing::new(
                serde_json::to_vec(&Note {
                    node: node.to_owned(),
                    at: at.as_millis(),
                    event,
                })
                .ok()?,
            );
            let sealed = key.seal(&note_aad(), &plain).ok()?;
            Some(base64::engine::general_purpose::STANDARD.encode(sealed))
        })
        .collect()
}

/// Opens a notification; `None` if it is not one of this deployment's.
fn decode(payload: &str, key: &DataKey) -> Option<Note> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()?;
    let plain = key.open(&note_aad(), &raw).ok()?;
    serde_json::from_slice(&plain).ok()
}

/// Largest notification (PostgreSQL refuses 8000 bytes and more).
const MAX_NOTE: usize = 7900;

fn note_aad() -> Aad {
    Aad::field("cluster", "note", "v1")
}

/// A message as it travels between nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct WireMessage {
    conversation_id: String,
    seq: i64,
    sender_id: String,
    body: Option<String>,
    priority: String,
    client_id: Option<String>,
    created_at: i64,
    edited_at: Option<i64>,
    deleted: bool,
    attachments: Vec<(String, String, String, u64, String)>,
    channel: String,
    channel_status: Option<(String, i64, Option<i64>, Option<String>)>,
}

fn wire_message(m: &Message) -> WireMessage {
    WireMessage {
        conversation_id: m.conversation_id.as_str().to_owned(),
        seq: m.seq,
        sender_id: m.sender_id.as_str().to_owned(),
        body: m.body.clone(),
        priority: m.priority.as_str().to_owned(),
        client_id: m.client_id.clone(),
        created_at: m.created_at.as_millis(),
        edited_at: m.edited_at.map(Timestamp::as_millis),
        deleted: m.deleted,
        attachments: m
            .attachments
            .iter()
            .map(|a| {
                (
                    a.id.as_str().to_owned(),
                    a.filename.clone(),
                    a.content_type.clone(),
                    a.size,
                    a.sha256.clone(),
                )
            })
            .collect(),
        channel: m.channel.as_str().to_owned(),
        channel_status: m.channel_status.as_ref().map(|c| {
            (
                c.state.as_str().to_owned(),
                c.updated_at.as_millis(),
                c.error_code,
                c.error_title.clone(),
            )
        }),
    }
}

fn message_of(id: &str, w: WireMessage) -> Option<Message> {
    Some(Message {
        id: MessageId::from_stored(id.to_owned()),
        conversation_id: ConversationId::from_stored(w.conversation_id),
        seq: w.seq,
        sender_id: UserId::from_stored(w.sender_id),
        body: w.body,
        priority: hippo_core::Priority::parse(&w.priority)?,
        client_id: w.client_id,
        created_at: Timestamp::from_millis(w.created_at),
        edited_at: w.edited_at.map(Timestamp::from_millis),
        deleted: w.deleted,
        attachments: w
            .attachments
            .into_iter()
            .map(
                |(id, filename, content_type, size, sha256)| hippo_core::AttachmentInfo {
                    id: hippo_core::AttachmentId::from_stored(id),
                    filename,
                    content_type,
                    size,
                    sha256,
                },
            )
            .collect(),
        channel: hippo_core::Channel::parse(&w.channel)?,
        channel_status: match w.channel_status {
            Some((state, updated_at, error_code, error_title)) => Some(hippo_core::ChannelStatus {
                state: hippo_core::ChannelState::parse(&state)?,
                updated_at: Timestamp::from_millis(updated_at),
                error_code,
                error_title,
            }),
            None => None,
        },
    })
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
    keys: Arc<crate::Keyring>,
    clock: Arc<dyn hippo_core::Clock>,
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
        for note in encode(&self.node, self.clock.now(), event, self.keys.cluster_key()) {
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
            keys: self.keys.clone(),
            clock: self.clock.clone(),
            tx,
            dropped: AtomicU64::new(0),
        }));
        rx
    }

    /// Handles a notification from the cluster: ignored if this node sent
    /// it or it does not parse; otherwise what it names is loaded and the
    /// event handed to this node's sockets.
    pub async fn receive_cluster_event(&self, node: &str, payload: &str) -> Result<()> {
        let Some(note) = decode(payload, self.keys.cluster_key()) else {
            tracing::warn!(
                "ignored a cluster notification that does not open with this deployment's key"
            );
            return Ok(());
        };
        if note.node == node {
            return Ok(());
        }
        if (self.clock.now().as_millis() - note.at).abs() > NOTE_MAX_AGE_MS {
            tracing::warn!(
                "ignored a cluster notification outside the time window (a replay, or clocks apart)"
            );
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
            Wire::MessageCreated { message_id, m, r } => {
                let Some(message) = self.message_for_event(message_id, m).await? else {
                    return Ok(None);
                };
                Event::MessageCreated {
                    message,
                    recipients: users(r),
                }
            }
            Wire::MessageUpdated { message_id, m, r } => {
                let Some(message) = self.message_for_event(message_id, m).await? else {
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
    async fn message_for_event(
        &self,
        id: String,
        carried: Option<WireMessage>,
    ) -> Result<Option<hippo_core::Message>> {
        if let Some(m) = carried.and_then(|w| message_of(&id, w)) {
            return Ok(Some(m));
        }
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
    fn notes_are_sealed_small_and_round_trip() {
        let key = DataKey::generate().unwrap();
        let recipients: Vec<UserId> = (0..250).map(|_| UserId::generate()).collect();
        let event = Event::MessageDeleted {
            conversation_id: ConversationId::generate(),
            message_id: MessageId::generate(),
            recipients: recipients.clone(),
        };
        let notes = encode("node-a", Timestamp::from_millis(1), &event, &key);
        assert_eq!(notes.len(), 3);
        let mut back = Vec::new();
        for n in &notes {
            assert!(n.len() <= MAX_NOTE, "{}", n.len());
            assert!(!n.contains(recipients[0].as_str()), "sealed");
            let note = decode(n, &key).unwrap();
            assert_eq!(note.node, "node-a");
            match note.event {
                Wire::MessageDeleted { r, .. } => back.extend(r),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(back, ids(&recipients));
        // Another deployment's key (or a forged note) does not open.
        assert!(decode(&notes[0], &DataKey::generate().unwrap()).is_none());
        assert!(decode("eyJub2RlIjoieCJ9", &key).is_none());

        // A message travels inside; one too large travels as its id.
        let message = |body: String| Message {
            id: MessageId::generate(),
            conversation_id: ConversationId::generate(),
            seq: 7,
            sender_id: UserId::generate(),
            body: Some(body),
            priority: hippo_core::Priority::Urgent,
            client_id: Some("c1".into()),
            created_at: Timestamp::from_millis(5),
            edited_at: None,
            deleted: false,
            attachments: Vec::new(),
            channel: hippo_core::Channel::Hippo,
            channel_status: None,
        };
        let small = message("BP 120/80".into());
        let notes = encode(
            "n",
            Timestamp::from_millis(1),
            &Event::MessageCreated {
                message: small.clone(),
                recipients: recipients[..3].to_vec(),
            },
            &key,
        );
        assert!(!notes[0].contains("BP 120/80"));
        match decode(&notes[0], &key).unwrap().event {
            Wire::MessageCreated { message_id, m, .. } => {
                assert_eq!(message_of(&message_id, m.unwrap()).unwrap(), small);
            }
            other => panic!("{other:?}"),
        }
        let big = message("x".repeat(20_000));
        let notes = encode(
            "n",
            Timestamp::from_millis(1),
            &Event::MessageCreated {
                message: big,
                recipients: recipients[..3].to_vec(),
            },
            &key,
        );
        assert!(notes[0].len() <= MAX_NOTE);
        assert!(matches!(
            decode(&notes[0], &key).unwrap().event,
            Wire::MessageCreated { m: None, .. }
        ));
    }
}
