//! Messages: send (idempotent by client id), read history by `seq`, edit
//! (earlier versions kept, encrypted), recall (a tombstone stays), and
//! delivered/read receipts kept as per-member watermarks.
//!
//! Bodies are sealed with the conversation's data key, AAD binding each to
//! its conversation and message id.

mod append;
pub mod typing;

pub(crate) use append::{Appended, Draft, append};

use crate::{Actor, Event, Result, ServiceError};
use hippo_core::{
    AttachmentInfo, AuditAction, Channel, ChannelStatus, ConversationId, ErrorCode, Message,
    MessageBody, MessageId, Outcome, Priority, Timestamp, UserId,
};
use hippo_crypto::{Aad, DataKey};
use hippo_store::{ConversationRow, MarkKind, MessageRow, ReceiptRow};

/// Most messages one history call returns.
pub const MAX_PAGE: i64 = 500;
/// Messages per history call when the client does not say.
pub const DEFAULT_PAGE: i64 = 50;

/// A message to send.
pub struct NewMessage {
    pub body: String,
    pub client_id: Option<String>,
    pub priority: Option<String>,
    /// Files uploaded earlier (by the sender, or shared with them).
    pub attachment_ids: Vec<String>,
}

/// One page of history.
#[derive(Debug)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Pass as `after_seq` to continue; equals the request's when empty.
    pub next_after_seq: i64,
}

/// One member's receipt for one message.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub user_id: UserId,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
}

pub(crate) fn body_aad(conversation: &ConversationId, message: &MessageId) -> Aad {
    Aad::field("messages", "body", &format!("{conversation}/{message}"))
}

fn version_aad(conversation: &ConversationId, message: &MessageId, version: i64) -> Aad {
    Aad::field(
        "message_versions",
        "body",
        &format!("{conversation}/{message}/{version}"),
    )
}

/// Messages, receipts and typing indicators (`hippo.messages()`).
#[derive(Debug, Clone)]
pub struct Messages {
    core: std::sync::Arc<crate::core::Core>,
    files: crate::files::Files,
}

impl Messages {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self {
            files: crate::files::Files::new(core.clone()),
            core,
        }
    }
}

impl Messages {
    /// Decrypts one page of message rows (one conversation, ascending
    /// `seq`) with their attachments.
    pub(crate) async fn messages_view(
        &self,
        key: &DataKey,
        rows: &[MessageRow],
    ) -> Result<Vec<Message>> {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(Vec::new());
        };
        let mut shared = self
            .core
            .store
            .list_message_attachments(&first.conversation_id, first.seq - 1, last.seq)
            .await?
            .into_iter()
            .peekable();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut attachments = Vec::new();
            while let Some(a) = shared.next_if(|a| a.seq <= row.seq) {
                if a.message_id == row.id {
                    attachments.push(self.files.attachment_info(&a.attachment).await?);
                }
            }
            out.push(self.message_view(key, row, attachments)?);
        }
        Ok(out)
    }

    pub(crate) async fn one_message_view(
        &self,
        key: &DataKey,
        row: &MessageRow,
    ) -> Result<Message> {
        self.messages_view(key, std::slice::from_ref(row))
            .await?
            .pop()
            .ok_or_else(|| ServiceError::Internal("message view missing".into()))
    }

    pub(crate) fn message_view(
        &self,
        key: &DataKey,
        row: &MessageRow,
        attachments: Vec<AttachmentInfo>,
    ) -> Result<Message> {
        let body = match &row.body_enc {
            Some(sealed) => Some(key.open_str(&body_aad(&row.conversation_id, &row.id), sealed)?),
            None => None,
        };
        Ok(Message {
            id: row.id.clone(),
            conversation_id: row.conversation_id.clone(),
            seq: row.seq,
            sender_id: row.sender_id.clone(),
            body,
            priority: row.priority,
            client_id: row.client_id.clone(),
            created_at: row.created_at,
            edited_at: row.edited_at,
            deleted: row.deleted_at.is_some(),
            attachments,
            channel: if row.whatsapp.is_some() {
                Channel::Whatsapp
            } else {
                Channel::Hippo
            },
            channel_status: row.whatsapp.as_ref().map(|w| ChannelStatus {
                state: w.state,
                updated_at: w.updated_at,
                error_code: w.error_code,
                error_title: w.error_title.clone(),
            }),
        })
    }

    /// Sends a message. A retry with the same `client_id` returns the first
    /// message instead of a duplicate.
    pub async fn send(
        &self,
        actor: &Actor,
        conversation: &str,
        input: NewMessage,
    ) -> Result<Message> {
        let found = self
            .core
            .send_conversation(actor, conversation, AuditAction::MessageSend)
            .await?;
        let (conv, members) = (&found.row, found.members.clone());
        let body = MessageBody::parse(&input.body).map_err(ServiceError::validation)?;
        let priority = match input.priority.as_deref() {
            None => Priority::Normal,
            Some(p) => Priority::parse(p)
                .ok_or_else(|| ServiceError::validation("priority must be normal or urgent"))?,
        };
        if let Some(c) = &input.client_id
            && (c.is_empty() || c.len() > 128 || c.chars().any(char::is_control))
        {
            return Err(ServiceError::validation(
                "client_id must be 1 to 128 printable characters",
            ));
        }
        let attachments = self
            .files
            .attachments_for_send(actor, &input.attachment_ids)
            .await?;
        let mut infos = Vec::with_capacity(attachments.len());
        for a in &attachments {
            infos.push(self.files.attachment_info(a).await?);
        }
        let key = self.core.conversation_key(conv).await?;
        let now = self.core.clock.now();
        let tx = self.core.store.begin_write().await?;
        let draft = Draft {
            conversation: &conv.id,
            key: &key,
            sender: actor.user.id.clone(),
            body: &body,
            priority,
            client_id: input.client_id,
            whatsapp: None,
            now,
        };
        let (mut tx, row) = match append(tx, draft).await? {
            Appended::New { tx, row } => (tx, row),
            Appended::Retry(existing) => {
                let message = self.one_message_view(&key, &existing).await?;
                // Announced again: the first attempt may have committed on
                // a node that died before it told anyone (at-least-once;
                // clients keep one copy per message id).
                self.core.events.publish(Event::MessageCreated {
                    message: message.clone(),
                    recipients: members,
                });
                self.core.events.flushed().await;
                return Ok(message);
            }
        };
        let seq = row.seq;
        for (position, a) in (0_i64..).zip(&attachments) {
            tx.link_attachment(&row, &a.id, position).await?;
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::MessageSend, Outcome::Success)
                .resource("message", row.id.as_str())
                .detail(serde_json::json!({
                    "conversation_id": conv.id.as_str(),
                    "seq": seq,
                    "attachment_ids": attachments.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
                })),
        )
        .await?;
        tx.commit().await?;
        let message = self.message_view(&key, &row, infos)?;
        self.core.events.publish(Event::MessageCreated {
            message: message.clone(),
            recipients: members,
        });
        // In a cluster, acknowledged means announced to the other nodes.
        self.core.events.flushed().await;
        Ok(message)
    }

    /// History after `after_seq`, oldest first. Fetching marks the messages
    /// delivered to the caller; the read is recorded with its range.
    pub async fn list(
        &self,
        actor: &Actor,
        conversation: &str,
        after_seq: Option<i64>,
        limit: Option<i64>,
    ) -> Result<MessagePage> {
        let (conv, members, break_glass) = self
            .core
            .readable_conversation(actor, conversation, AuditAction::ConversationRead)
            .await?;
        let after_seq = after_seq.unwrap_or(0);
        if after_seq < 0 {
            return Err(ServiceError::validation("after_seq must be 0 or more"));
        }
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::validation(format!(
                "limit must be 1 to {MAX_PAGE}"
            )));
        }
        let key = self.core.conversation_key(&conv).await?;
        let rows = self
            .core
            .store
            .list_messages(&conv.id, after_seq, limit)
            .await?;
        let messages = self.messages_view(&key, &rows).await?;
        let next_after_seq = messages.last().map_or(after_seq, |m| m.seq);
        let now = self.core.clock.now();
        let mut detail = serde_json::json!({
            "after_seq": after_seq,
            "up_to_seq": next_after_seq,
            "count": messages.len(),
        });
        if let (Some(grant), Some(map)) = (&break_glass, detail.as_object_mut()) {
            map.insert("break_glass".into(), grant.as_str().into());
        }
        let mut tx = self.core.store.begin_write().await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::ConversationRead, Outcome::Success)
                .resource("conversation", conv.id.as_str())
                .detail(detail),
        )
        .await?;
        // Only members receive messages: an emergency reader leaves no
        // delivery marks.
        let delivered = match messages.iter().rev().find(|m| m.sender_id != actor.user.id) {
            Some(last)
                if break_glass.is_none()
                    && tx
                        .raise_mark(&conv.id, &actor.user.id, MarkKind::Delivered, last.seq, now)
                        .await? =>
            {
                Some((last.id.clone(), last.seq))
            }
            _ => None,
        };
        tx.commit().await?;
        if let Some((message_id, seq)) = delivered {
            self.publish_receipt(
                &conv.id,
                message_id,
                seq,
                &actor.user.id,
                Some(now),
                None,
                members,
            );
        }
        Ok(MessagePage {
            messages,
            next_after_seq,
        })
    }

    #[expect(clippy::too_many_arguments, reason = "one receipt's facts")]
    fn publish_receipt(
        &self,
        conversation: &ConversationId,
        message_id: MessageId,
        up_to_seq: i64,
        user: &UserId,
        delivered_at: Option<Timestamp>,
        read_at: Option<Timestamp>,
        recipients: Vec<UserId>,
    ) {
        self.core.events.publish(Event::Receipt {
            conversation_id: conversation.clone(),
            message_id,
            up_to_seq,
            user_id: user.clone(),
            delivered_at,
            read_at,
            recipients,
        });
    }

    /// Loads a message for a member of its conversation.
    async fn member_message(
        &self,
        actor: &Actor,
        id: &str,
        action: AuditAction,
    ) -> Result<(ConversationRow, Vec<UserId>, MessageRow)> {
        self.core.require_messaging(actor, action).await?;
        let found = match MessageId::parse(id) {
            Some(mid) => self.core.store.get_message(&mid).await?,
            None => None,
        };
        if let Some(msg) = found
            && let Some(conv) = self
                .core
                .store
                .get_conversation(&msg.conversation_id)
                .await?
        {
            let members = self.core.store.list_members(&conv.id).await?;
            if members.contains(&actor.user.id) {
                return Ok((conv, members, msg));
            }
        }
        Err(self
            .core
            .deny(
                actor,
                action,
                Some(("message", id.chars().take(64).collect())),
                ServiceError::not_found(),
            )
            .await)
    }

    /// Replaces a message's body (sender only); the earlier body is kept.
    pub async fn edit(&self, actor: &Actor, id: &str, body: &str) -> Result<Message> {
        let (conv, members, msg) = self
            .member_message(actor, id, AuditAction::MessageEdit)
            .await?;
        if msg.sender_id != actor.user.id {
            return Err(self
                .core
                .deny(
                    actor,
                    AuditAction::MessageEdit,
                    Some(("message", msg.id.to_string())),
                    ServiceError::public(
                        ErrorCode::Forbidden,
                        "only the sender can edit a message",
                    ),
                )
                .await);
        }
        let body = MessageBody::parse(body).map_err(ServiceError::validation)?;
        let key = self.core.conversation_key(&conv).await?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let current = tx
            .get_message_for_update(&msg.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let Some(previous_enc) = current.body_enc.as_deref() else {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "a recalled message cannot be edited",
            ));
        };
        let previous = key.open(&body_aad(&conv.id, &msg.id), previous_enc)?;
        let version = tx.count_versions(&msg.id).await? + 1;
        let kept = key.seal(&version_aad(&conv.id, &msg.id, version), &previous)?;
        let sealed = key.seal_str(&body_aad(&conv.id, &msg.id), body.as_str())?;
        tx.edit_message(&msg.id, version, &kept, &sealed, now)
            .await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::MessageEdit, Outcome::Success)
                .resource("message", msg.id.as_str())
                .detail(
                    serde_json::json!({ "conversation_id": conv.id.as_str(), "version": version }),
                ),
        )
        .await?;
        crate::webhooks::enqueue(
            &mut tx,
            &crate::webhooks::Outgoing::MessageUpdated {
                conversation_id: &conv.id,
                message_id: &msg.id,
                seq: msg.seq,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        let mut updated = current;
        updated.body_enc = Some(sealed);
        updated.edited_at = Some(now);
        let message = self.one_message_view(&key, &updated).await?;
        self.core.events.publish(Event::MessageUpdated {
            message: message.clone(),
            recipients: members,
        });
        Ok(message)
    }

    /// Recalls a message (sender only): its body and earlier versions are
    /// destroyed; the tombstone keeps its `seq`. Under legal hold, the body
    /// and versions stay sealed behind the tombstone (members see it
    /// recalled) until the hold is cleared.
    pub async fn delete(&self, actor: &Actor, id: &str) -> Result<()> {
        let (conv, members, msg) = self
            .member_message(actor, id, AuditAction::MessageDelete)
            .await?;
        if msg.sender_id != actor.user.id {
            return Err(self
                .core
                .deny(
                    actor,
                    AuditAction::MessageDelete,
                    Some(("message", msg.id.to_string())),
                    ServiceError::public(
                        ErrorCode::Forbidden,
                        "only the sender can recall a message",
                    ),
                )
                .await);
        }
        if msg.deleted_at.is_some() {
            return Ok(());
        }
        let key = self.core.conversation_key(&conv).await?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let current = tx
            .get_message_for_update(&msg.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let Some(body_enc) = current.body_enc.as_deref() else {
            return Ok(()); // recalled meanwhile
        };
        // Sealed as a version now; the store keeps it only under a hold.
        let original = key.open(&body_aad(&conv.id, &msg.id), body_enc)?;
        let version = tx.count_versions(&msg.id).await? + 1;
        let kept = key.seal(&version_aad(&conv.id, &msg.id, version), &original)?;
        let held = tx.recall_message(&msg.id, now, (version, &kept)).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::MessageDelete, Outcome::Success)
                .resource("message", msg.id.as_str())
                .detail(serde_json::json!({
                    "conversation_id": conv.id.as_str(),
                    "seq": msg.seq,
                    "kept_under_legal_hold": held,
                })),
        )
        .await?;
        crate::webhooks::enqueue(
            &mut tx,
            &crate::webhooks::Outgoing::MessageDeleted {
                conversation_id: &conv.id,
                message_id: &msg.id,
                seq: msg.seq,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.core.events.publish(Event::MessageDeleted {
            conversation_id: conv.id,
            message_id: msg.id,
            recipients: members,
        });
        Ok(())
    }

    /// Marks everything up to `up_to_seq` read (and so delivered) by the caller.
    pub async fn mark_read(&self, actor: &Actor, conversation: &str, up_to_seq: i64) -> Result<()> {
        let (conv, members) = self
            .core
            .member_conversation(actor, conversation, AuditAction::MessageRead)
            .await?;
        if up_to_seq < 1 || up_to_seq > conv.last_seq {
            return Err(ServiceError::validation(format!(
                "up_to_seq must be 1 to {}",
                conv.last_seq
            )));
        }
        self.raise_marks(actor, &conv, members, up_to_seq, true)
            .await
    }

    /// Marks everything up to `up_to_seq` delivered to the caller (the
    /// WebSocket stream calls this after pushing messages).
    /// Records many "pushed to a socket" deliveries in one transaction (the
    /// WebSocket hub batches them), then publishes the receipts. Entries are
    /// (recipient, conversation, highest seq pushed).
    pub async fn record_deliveries(&self, batch: Vec<(UserId, ConversationId, i64)>) -> Result<()> {
        let mut best: std::collections::HashMap<(UserId, ConversationId), i64> =
            std::collections::HashMap::new();
        for (user, conv, seq) in batch {
            let e = best.entry((user, conv)).or_insert(seq);
            *e = (*e).max(seq);
        }
        if best.is_empty() {
            return Ok(());
        }
        let now = self.core.clock.now();
        let mut raised = Vec::new();
        let mut tx = self.core.store.begin_write().await?;
        for ((user, conv), seq) in best {
            if tx
                .raise_mark(&conv, &user, MarkKind::Delivered, seq, now)
                .await?
            {
                raised.push((user, conv, seq));
            }
        }
        tx.commit().await?;
        for (user, conv, seq) in raised {
            let members = self.core.store.list_members(&conv).await?;
            if let Some(m) = self
                .core
                .store
                .list_messages(&conv, seq - 1, 1)
                .await?
                .first()
            {
                self.publish_receipt(&conv, m.id.clone(), seq, &user, Some(now), None, members);
            }
        }
        Ok(())
    }

    pub async fn mark_delivered(
        &self,
        actor: &Actor,
        conversation: &ConversationId,
        up_to_seq: i64,
    ) -> Result<()> {
        let Some(conv) = self.core.store.get_conversation(conversation).await? else {
            return Ok(());
        };
        let members = self.core.store.list_members(&conv.id).await?;
        if !members.contains(&actor.user.id) {
            return Ok(());
        }
        self.raise_marks(actor, &conv, members, up_to_seq.min(conv.last_seq), false)
            .await
    }

    async fn raise_marks(
        &self,
        actor: &Actor,
        conv: &ConversationRow,
        members: Vec<UserId>,
        up_to_seq: i64,
        read: bool,
    ) -> Result<()> {
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let delivered = tx
            .raise_mark(
                &conv.id,
                &actor.user.id,
                MarkKind::Delivered,
                up_to_seq,
                now,
            )
            .await?;
        let read = read
            && tx
                .raise_mark(&conv.id, &actor.user.id, MarkKind::Read, up_to_seq, now)
                .await?;
        if read {
            tx.append_audit(
                &actor
                    .event(now, AuditAction::MessageRead, Outcome::Success)
                    .resource("conversation", conv.id.as_str())
                    .detail(serde_json::json!({ "up_to_seq": up_to_seq })),
            )
            .await?;
        }
        tx.commit().await?;
        if delivered || read {
            let rows = self
                .core
                .store
                .list_messages(&conv.id, up_to_seq - 1, 1)
                .await?;
            if let Some(m) = rows.first() {
                self.publish_receipt(
                    &conv.id,
                    m.id.clone(),
                    up_to_seq,
                    &actor.user.id,
                    Some(now).filter(|_| delivered),
                    Some(now).filter(|_| read),
                    members,
                );
            }
        }
        Ok(())
    }

    /// Who has received and read a message: every member but the sender.
    pub async fn receipts(&self, actor: &Actor, message: &str) -> Result<Vec<Receipt>> {
        let (conv, members, msg) = self
            .member_message(actor, message, AuditAction::ConversationRead)
            .await?;
        let rows: Vec<ReceiptRow> = self.core.store.receipts(&conv.id, msg.seq).await?;
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::ConversationRead,
                        Outcome::Success,
                    )
                    .resource("message", msg.id.as_str())
                    .detail(serde_json::json!({
                        "conversation_id": conv.id.as_str(),
                        "receipts": true,
                    })),
            )
            .await?;
        Ok(members
            .into_iter()
            .filter(|m| *m != msg.sender_id)
            .map(|m| {
                let r = rows.iter().find(|r| r.user_id == m);
                let read_at = r.and_then(|r| r.read_at);
                let delivered_at = match (r.and_then(|r| r.delivered_at), read_at) {
                    (Some(d), Some(rd)) => Some(d.min(rd)),
                    (d, rd) => d.or(rd),
                };
                Receipt {
                    user_id: m,
                    delivered_at,
                    read_at,
                }
            })
            .collect())
    }
}
