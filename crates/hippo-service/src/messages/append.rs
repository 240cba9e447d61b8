//! The one way a message joins a conversation, for every caller (a member's
//! send, a WhatsApp send, a patient's inbound reply; call events later).
//!
//! The protocol: one step (`WriteTx::append_message`; one statement on
//! PostgreSQL, two on SQLite) takes the conversation's next `seq`
//! (`UPDATE … RETURNING`, which locks the conversation row until commit),
//! so sends to one conversation serialise and `seq` is gapless, and
//! inserts the message unless the sender's `client_id` is taken (`ON
//! CONFLICT … DO NOTHING` on the unique constraint, which sees the
//! committed original of a concurrent retry that waited for the lock). A
//! retry then looks the original up, drops the transaction, which gives
//! the number back (no gap), and returns it. A new message also queues its
//! `message.created` webhook deliveries in the same transaction.

use super::body_aad;
use crate::Result;
use hippo_core::{ConversationId, MessageBody, MessageId, Priority, Timestamp, UserId};
use hippo_crypto::DataKey;
use hippo_store::{MessageRow, WhatsappDelivery, WriteTx};

/// What to append.
pub(crate) struct Draft<'a> {
    pub conversation: &'a ConversationId,
    /// The conversation's data key: the body is sealed with it.
    pub key: &'a DataKey,
    pub sender: UserId,
    pub body: &'a MessageBody,
    pub priority: Priority,
    /// The sender's idempotency key, if any.
    pub client_id: Option<String>,
    pub whatsapp: Option<WhatsappDelivery>,
    pub now: Timestamp,
}

/// How an append went.
pub(crate) enum Appended {
    /// A retry of a message the sender sent before (by `client_id`): the
    /// transaction is gone (its `seq` released); here is the original.
    Retry(MessageRow),
    /// Inserted in `tx`, which the caller completes (its own rows, its
    /// audit record) and commits.
    New {
        tx: Box<dyn WriteTx>,
        row: MessageRow,
    },
}

/// Appends `draft` to its conversation in `tx` (see the module doc).
pub(crate) async fn append(mut tx: Box<dyn WriteTx>, draft: Draft<'_>) -> Result<Appended> {
    let id = MessageId::generate();
    let mut row = MessageRow {
        body_enc: Some(
            draft
                .key
                .seal_str(&body_aad(draft.conversation, &id), draft.body.as_str())?,
        ),
        id,
        conversation_id: draft.conversation.clone(),
        seq: 0,
        sender_id: draft.sender,
        priority: draft.priority,
        client_id: draft.client_id,
        created_at: draft.now,
        edited_at: None,
        deleted_at: None,
        whatsapp: draft.whatsapp,
    };
    if let Some(seq) = tx.append_message(&row, draft.now).await? {
        row.seq = seq;
        // Integrators hear of every message, whoever sent it, in the same
        // transaction (nothing reported that did not commit).
        crate::webhooks::enqueue(
            &mut tx,
            &crate::webhooks::Outgoing::MessageCreated {
                conversation_id: &row.conversation_id,
                message_id: &row.id,
                seq,
                sender_id: &row.sender_id,
                channel: if row.whatsapp.is_some() {
                    "whatsapp"
                } else {
                    "hippo"
                },
                priority: row.priority.as_str(),
            },
            draft.now,
        )
        .await?;
        return Ok(Appended::New { tx, row });
    }
    let existing = match &row.client_id {
        Some(client_id) => {
            tx.find_by_client_id(draft.conversation, &row.sender_id, client_id)
                .await?
        }
        None => None,
    };
    drop(tx); // releases the seq: no gap
    existing
        .map(Appended::Retry)
        .ok_or_else(|| crate::ServiceError::Internal("message append inserted nothing".into()))
}
