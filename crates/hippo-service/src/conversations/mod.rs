//! Conversations: create direct and group conversations, list and read the
//! caller's, change titles and membership. Only members see a conversation;
//! to anyone else it does not exist (404), and each such attempt is
//! recorded as denied. Administrators and auditors never take part.

use crate::{Actor, Event, Result, ServiceError};
use hippo_core::conversation::MAX_MEMBERS;
use hippo_core::{
    AuditAction, Conversation, ConversationId, ConversationKind, ErrorCode, Outcome, UserId,
};
use hippo_crypto::Aad;
use hippo_store::ConversationRow;

/// A new conversation.
pub struct NewConversation {
    pub kind: String,
    pub title: Option<String>,
    pub member_ids: Vec<String>,
}

fn title_aad(id: &ConversationId) -> Aad {
    Aad::field("conversations", "title", id.as_str())
}

fn parse_title(title: Option<&str>) -> Result<Option<String>> {
    match title.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > 200 => Err(ServiceError::validation(
            "title must be at most 200 characters",
        )),
        Some(t) if t.chars().any(char::is_control) => Err(ServiceError::validation(
            "title must not contain control characters",
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// The key of a direct conversation: its two members' ids, sorted.
fn direct_pair(members: &[UserId]) -> String {
    let mut ids: Vec<&str> = members.iter().map(UserId::as_str).collect();
    ids.sort_unstable();
    ids.join(":")
}

/// Conversations and their members (`hippo.conversations()`).
#[derive(Debug, Clone)]
pub struct Conversations {
    core: std::sync::Arc<crate::core::Core>,
}

impl Conversations {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self { core }
    }
}

impl Conversations {
    /// Sets a conversation's retention (members). `None`: the default.
    pub(crate) async fn set_conversation_retention(
        &self,
        actor: &Actor,
        conversation: &ConversationId,
        secs: Option<i64>,
        tx: &mut dyn hippo_store::WriteTx,
    ) -> Result<()> {
        tx.set_retention(conversation, secs).await?;
        tx.append_audit(
            &actor
                .event(
                    self.core.clock.now(),
                    AuditAction::ConversationUpdate,
                    Outcome::Success,
                )
                .resource("conversation", conversation.as_str())
                .detail(serde_json::json!({ "fields": ["retention"], "retention_secs": secs })),
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn conversation_view(
        &self,
        row: &ConversationRow,
        members: Vec<UserId>,
    ) -> Result<Conversation> {
        let title = match &row.title_enc {
            Some(sealed) => Some(
                self.core
                    .conversation_key(row)
                    .await?
                    .open_str(&title_aad(&row.id), sealed)?,
            ),
            None => None,
        };
        Ok(Conversation {
            id: row.id.clone(),
            kind: row.kind,
            title,
            members: self.core.members_of(&members).await?,
            member_ids: members,
            created_at: row.created_at,
            last_seq: row.last_seq,
            unread_count: None,
            last_message_at: None,
        })
    }

    /// Fills in the viewer's unread count and the newest message's time
    /// (one query for all of `views`).
    async fn with_stats(&self, viewer: &UserId, views: &mut [Conversation]) -> Result<()> {
        let only = match views {
            [one] => Some(one.id.clone()),
            _ => None,
        };
        let stats = self
            .core
            .store
            .conversation_stats(viewer, only.as_ref())
            .await?;
        let by_id: std::collections::HashMap<_, _> = stats
            .into_iter()
            .map(|s| (s.conversation_id.clone(), s))
            .collect();
        for view in views {
            let s = by_id.get(&view.id);
            view.unread_count = Some(s.map_or(0, |s| s.unread));
            view.last_message_at = s.and_then(|s| s.last_message_at);
        }
        Ok(())
    }

    /// The pair's existing direct conversation, for its member `actor`;
    /// recorded as a read.
    async fn existing_direct(&self, actor: &Actor, id: &ConversationId) -> Result<Conversation> {
        let row =
            self.core.store.get_conversation(id).await?.ok_or_else(|| {
                ServiceError::Internal("a direct pair names no conversation".into())
            })?;
        let members = self.core.store.list_members(id).await?;
        self.read_view(
            actor,
            &row,
            members,
            serde_json::json!({ "existing_direct": true }),
        )
        .await
    }

    /// The caller's view of one conversation, its read recorded with
    /// `detail`.
    async fn read_view(
        &self,
        actor: &Actor,
        row: &ConversationRow,
        members: Vec<UserId>,
        detail: serde_json::Value,
    ) -> Result<Conversation> {
        let mut view = self.conversation_view(row, members).await?;
        self.with_stats(&actor.user.id, std::slice::from_mut(&mut view))
            .await?;
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::ConversationRead,
                        Outcome::Success,
                    )
                    .resource("conversation", row.id.as_str())
                    .detail(detail),
            )
            .await?;
        Ok(view)
    }

    /// Creates a conversation; the flag is `true` when it is new. A second
    /// direct conversation with the same person returns the first
    /// (`false`), recorded as a read of it.
    pub async fn create(
        &self,
        actor: &Actor,
        input: NewConversation,
    ) -> Result<(Conversation, bool)> {
        self.core
            .require_messaging(actor, AuditAction::ConversationCreate)
            .await?;
        let kind = ConversationKind::parse(&input.kind)
            .filter(|k| *k != ConversationKind::Patient)
            .ok_or_else(|| {
                ServiceError::validation(
                    "kind must be direct or group (a patient's conversation comes with POST /api/v1/patients)",
                )
            })?;
        let title = parse_title(input.title.as_deref())?;
        if input.member_ids.len() > MAX_MEMBERS {
            return Err(ServiceError::validation(format!(
                "at most {MAX_MEMBERS} members"
            )));
        }
        let mut members = vec![actor.user.id.clone()];
        for id in &input.member_ids {
            let uid = self.core.messaging_user(id).await?;
            if !members.contains(&uid) {
                members.push(uid);
            }
        }
        match kind {
            ConversationKind::Direct if members.len() != 2 => {
                return Err(ServiceError::validation(
                    "a direct conversation has exactly one other member",
                ));
            }
            ConversationKind::Direct if title.is_some() => {
                return Err(ServiceError::validation(
                    "a direct conversation has no title",
                ));
            }
            ConversationKind::Group if members.len() < 2 => {
                return Err(ServiceError::validation(
                    "a group needs at least one other member",
                ));
            }
            _ => {}
        }
        let pair = (kind == ConversationKind::Direct).then(|| direct_pair(&members));
        if let Some(pair) = &pair
            && let Some(existing) = self.core.store.find_direct(pair).await?
        {
            return Ok((self.existing_direct(actor, &existing).await?, false));
        }
        let now = self.core.clock.now();
        let id = ConversationId::generate();
        self.core
            .keys
            .ensure_current(self.core.store.as_ref())
            .await?;
        let (key_row, key) = self.core.keys.new_conversation_key(now)?;
        let row = ConversationRow {
            title_enc: title
                .as_deref()
                .map(|t| key.seal_str(&title_aad(&id), t))
                .transpose()?,
            id,
            kind,
            data_key_id: key_row.id.clone(),
            created_by: actor.user.id.clone(),
            created_at: now,
            updated_at: now,
            last_seq: 0,
        };
        let mut tx = self.core.store.begin_write().await?;
        self.core.keys.check_wrapping(tx.as_mut(), &key_row).await?;
        tx.insert_data_key(&key_row).await?;
        tx.insert_conversation(&row).await?;
        if let Some(pair) = &pair
            && !tx.claim_direct_pair(pair, &row.id).await?
        {
            // Another request created the pair's conversation meanwhile.
            drop(tx);
            let existing =
                self.core.store.find_direct(pair).await?.ok_or_else(|| {
                    ServiceError::Internal("a claimed direct pair vanished".into())
                })?;
            return Ok((self.existing_direct(actor, &existing).await?, false));
        }
        for m in &members {
            tx.add_member(&row.id, m, now).await?;
        }
        // Resolved before the commit, so nothing after it can fail the
        // answer (a retried create would make a second group).
        let named = self.core.members_of(&members).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::ConversationCreate, Outcome::Success)
                .resource("conversation", row.id.as_str())
                .detail(serde_json::json!({ "kind": kind.as_str(), "members": members.len() })),
        )
        .await?;
        tx.commit().await?;
        let conversation = Conversation {
            id: row.id,
            kind,
            title,
            members: named,
            member_ids: members.clone(),
            created_at: now,
            last_seq: 0,
            unread_count: None,
            last_message_at: None,
        };
        self.core.events.publish(Event::ConversationUpdated {
            conversation: conversation.clone(),
            recipients: members,
        });
        Ok((
            Conversation {
                unread_count: Some(0),
                ..conversation
            },
            true,
        ))
    }

    /// The caller's conversations, most recently active first.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<Conversation>> {
        self.core
            .require_messaging(actor, AuditAction::ConversationRead)
            .await?;
        let rows = self
            .core
            .store
            .list_conversations_for(&actor.user.id)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let members = self.core.store.list_members(&row.id).await?;
            out.push(self.conversation_view(&row, members).await?);
        }
        self.with_stats(&actor.user.id, &mut out).await?;
        // Titles can name patients: which conversations were shown is
        // recorded.
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::ConversationRead,
                        Outcome::Success,
                    )
                    .detail(serde_json::json!({
                        "listed": out.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
                    })),
            )
            .await?;
        Ok(out)
    }

    /// One conversation (members, or a clinician with open break-glass
    /// access); the read is recorded.
    pub async fn get(&self, actor: &Actor, id: &str) -> Result<Conversation> {
        let (row, members, break_glass) = self
            .core
            .readable_conversation(actor, id, AuditAction::ConversationRead)
            .await?;
        let detail = match break_glass {
            Some(grant) => serde_json::json!({ "break_glass": grant }),
            None => serde_json::json!({}),
        };
        self.read_view(actor, &row, members, detail).await
    }

    /// Changes the title (groups only; `Some(None)` or empty clears it)
    /// and/or the retention (`Some(None)`: the organisation default). A
    /// field that is `None` stays as it is.
    pub async fn update(
        &self,
        actor: &Actor,
        id: &str,
        title: Option<Option<String>>,
        retention: Option<Option<String>>,
    ) -> Result<Conversation> {
        let (row, members) = self
            .core
            .member_conversation(actor, id, AuditAction::ConversationUpdate)
            .await?;
        if title.is_none() && retention.is_none() {
            return Err(ServiceError::validation(
                "nothing to change: give title and/or retention",
            ));
        }
        if title.is_some() && row.kind == ConversationKind::Direct {
            return Err(ServiceError::validation(
                "a direct conversation has no title",
            ));
        }
        let title = title.map(|t| parse_title(t.as_deref())).transpose()?;
        let retention = retention
            .map(|r| crate::governance::retention::parse_retention(r.as_deref()))
            .transpose()?;
        let now = self.core.clock.now();
        let key = self.core.conversation_key(&row).await?;
        let mut tx = self.core.store.begin_write().await?;
        if let Some(title) = &title {
            let sealed = title
                .as_deref()
                .map(|t| key.seal_str(&title_aad(&row.id), t))
                .transpose()?;
            tx.update_conversation_title(&row.id, sealed.as_deref(), now)
                .await?;
            tx.append_audit(
                &actor
                    .event(now, AuditAction::ConversationUpdate, Outcome::Success)
                    .resource("conversation", row.id.as_str())
                    .detail(serde_json::json!({ "fields": ["title"] })),
            )
            .await?;
        }
        if let Some(secs) = retention {
            self.set_conversation_retention(actor, &row.id, secs, tx.as_mut())
                .await?;
        }
        tx.commit().await?;
        let mut conversation = self.conversation_view(&row, members.clone()).await?;
        if let Some(title) = title {
            conversation.title = title;
        }
        self.core.events.publish(Event::ConversationUpdated {
            conversation: conversation.clone(),
            recipients: members,
        });
        self.for_viewer(actor, conversation).await
    }

    /// A broadcast view made the caller's (their unread count and the last
    /// message's time). After a commit: a failure here must not turn the
    /// committed change into an error, so the view goes out without them.
    async fn for_viewer(&self, actor: &Actor, mut view: Conversation) -> Result<Conversation> {
        if let Err(e) = self
            .with_stats(&actor.user.id, std::slice::from_mut(&mut view))
            .await
        {
            tracing::warn!(error = %e, "conversation stats unavailable after a committed change");
        }
        Ok(view)
    }

    /// Adds a member to a group.
    pub async fn add_member(&self, actor: &Actor, id: &str, user_id: &str) -> Result<Conversation> {
        let (row, mut members) = self
            .core
            .member_conversation(actor, id, AuditAction::ConversationMemberAdd)
            .await?;
        if row.kind == ConversationKind::Direct {
            return Err(ServiceError::validation(
                "members of a direct conversation cannot change",
            ));
        }
        let user = self.core.messaging_user(user_id).await?;
        if members.contains(&user) {
            let view = self.conversation_view(&row, members).await?;
            return self.for_viewer(actor, view).await;
        }
        if members.len() >= MAX_MEMBERS {
            return Err(ServiceError::validation(format!(
                "at most {MAX_MEMBERS} members"
            )));
        }
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        tx.add_member(&row.id, &user, now).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::ConversationMemberAdd, Outcome::Success)
                .resource("conversation", row.id.as_str())
                .detail(serde_json::json!({ "user_id": user.as_str() })),
        )
        .await?;
        tx.commit().await?;
        members.push(user);
        let conversation = self.conversation_view(&row, members.clone()).await?;
        self.core.events.publish(Event::ConversationUpdated {
            conversation: conversation.clone(),
            recipients: members,
        });
        self.for_viewer(actor, conversation).await
    }

    /// Removes a member (or the caller, leaving) from a group. The removed
    /// member's access and live events end at once.
    pub async fn remove_member(&self, actor: &Actor, id: &str, user_id: &str) -> Result<()> {
        let (row, members) = self
            .core
            .member_conversation(actor, id, AuditAction::ConversationMemberRemove)
            .await?;
        if row.kind == ConversationKind::Direct {
            return Err(ServiceError::validation(
                "members of a direct conversation cannot change",
            ));
        }
        let Some(user) = UserId::parse(user_id).filter(|u| members.contains(u)) else {
            return Err(ServiceError::public(ErrorCode::NotFound, "no such member"));
        };
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        tx.remove_member(&row.id, &user).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::ConversationMemberRemove, Outcome::Success)
                .resource("conversation", row.id.as_str())
                .detail(serde_json::json!({ "user_id": user.as_str() })),
        )
        .await?;
        tx.commit().await?;
        let remaining: Vec<UserId> = members.iter().filter(|m| **m != user).cloned().collect();
        let conversation = self.conversation_view(&row, remaining).await?;
        self.core.events.publish(Event::ConversationUpdated {
            conversation,
            recipients: members,
        });
        Ok(())
    }
}
