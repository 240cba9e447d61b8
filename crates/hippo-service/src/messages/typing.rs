//! Typing indicators: a member says they are typing in a conversation and
//! the members' other sessions hear of it. Not stored, not audited (a
//! refused one is, like any denied access); at most one per
//! [`TYPING_INTERVAL_MS`] per sender and conversation is forwarded, the rest
//! are dropped quietly.

use super::Messages;
use crate::{Actor, Event, Result};
use hippo_core::{AuditAction, ConversationId, Timestamp, UserId};
use std::collections::HashMap;
use std::sync::Mutex;

/// Shortest time between two forwarded typing frames of one sender in one
/// conversation.
pub const TYPING_INTERVAL_MS: i64 = 2_000;

/// Entries kept before stale ones are swept.
const SWEEP_AT: usize = 10_000;

/// When each (sender, conversation) last had a typing frame forwarded.
#[derive(Debug, Default)]
pub(crate) struct TypingThrottle {
    last: Mutex<HashMap<(UserId, ConversationId), Timestamp>>,
}

impl TypingThrottle {
    /// Whether a frame now may be forwarded (and if so, records it).
    fn admit(&self, user: &UserId, conversation: &ConversationId, now: Timestamp) -> bool {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (user.clone(), conversation.clone());
        if let Some(at) = last.get(&key)
            && now.as_millis() - at.as_millis() < TYPING_INTERVAL_MS
        {
            return false;
        }
        if last.len() >= SWEEP_AT {
            last.retain(|_, at| now.as_millis() - at.as_millis() < TYPING_INTERVAL_MS);
        }
        last.insert(key, now);
        true
    }
}

impl Messages {
    /// The caller is typing in `conversation`. Members' other sessions get
    /// a `typing` frame unless one was forwarded for this sender and
    /// conversation less than 2 s ago. A conversation the caller is not in
    /// does not exist for them (`not_found`, recorded as denied).
    pub async fn typing(&self, actor: &Actor, conversation: &str) -> Result<()> {
        let now = self.core.clock.now();
        // Throttle before touching the database: a flood costs nothing.
        let parsed = ConversationId::parse(conversation);
        if let Some(id) = &parsed
            && !self.core.typing.admit(&actor.user.id, id, now)
        {
            return Ok(());
        }
        let (conv, members) = self
            .core
            .member_conversation(actor, conversation, AuditAction::ConversationRead)
            .await?;
        self.core.events.publish(Event::Typing {
            conversation_id: conv.id,
            user_id: actor.user.id.clone(),
            from: actor.session.id.clone(),
            recipients: members,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_typing_frame_per_two_seconds_per_sender_and_conversation() {
        let t = TypingThrottle::default();
        let (ana, ben) = (UserId::generate(), UserId::generate());
        let (c1, c2) = (ConversationId::generate(), ConversationId::generate());
        let at = Timestamp::from_millis;
        assert!(t.admit(&ana, &c1, at(0)));
        assert!(!t.admit(&ana, &c1, at(1_999)));
        assert!(t.admit(&ana, &c2, at(1_000)), "another conversation");
        assert!(t.admit(&ben, &c1, at(1_000)), "another sender");
        assert!(t.admit(&ana, &c1, at(2_000)));
    }
}
