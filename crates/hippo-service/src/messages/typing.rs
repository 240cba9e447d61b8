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

/// How often stale entries are swept (each entry is a real membership, so
/// the map is bounded by who is typing where).
const SWEEP_EVERY_MS: i64 = 10_000;

/// When each (sender, conversation) last had a typing frame forwarded.
#[derive(Debug, Default)]
pub(crate) struct TypingThrottle {
    state: Mutex<Throttled>,
}

#[derive(Debug, Default)]
struct Throttled {
    last: HashMap<(UserId, ConversationId), Timestamp>,
    swept_at: i64,
}

impl TypingThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, Throttled> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether one was forwarded for this sender and conversation less
    /// than [`TYPING_INTERVAL_MS`] ago.
    fn throttled(&self, user: &UserId, conversation: &ConversationId, now: Timestamp) -> bool {
        self.lock()
            .last
            .get(&(user.clone(), conversation.clone()))
            .is_some_and(|at| now.as_millis() - at.as_millis() < TYPING_INTERVAL_MS)
    }

    /// Records a forwarded frame (only for a checked membership), sweeping
    /// stale entries now and then.
    fn record(&self, user: &UserId, conversation: &ConversationId, now: Timestamp) {
        let mut t = self.lock();
        let now_ms = now.as_millis();
        if now_ms - t.swept_at >= SWEEP_EVERY_MS {
            t.last
                .retain(|_, at| now_ms - at.as_millis() < TYPING_INTERVAL_MS);
            t.swept_at = now_ms;
        }
        t.last.insert((user.clone(), conversation.clone()), now);
    }

    #[cfg(test)]
    fn admit(&self, user: &UserId, conversation: &ConversationId, now: Timestamp) -> bool {
        if self.throttled(user, conversation, now) {
            return false;
        }
        self.record(user, conversation, now);
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
        // Throttle before touching the database: repeats cost nothing.
        // Only checked memberships are recorded, so the map stays bounded.
        if let Some(id) = ConversationId::parse(conversation)
            && self.core.typing.throttled(&actor.user.id, &id, now)
        {
            return Ok(());
        }
        let (conv, members) = self
            .core
            .member_conversation(actor, conversation, AuditAction::ConversationRead)
            .await?;
        self.core.typing.record(&actor.user.id, &conv.id, now);
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
        // Stale entries are swept.
        assert!(t.admit(&ben, &c2, at(20_000)));
        assert_eq!(t.lock().last.len(), 1);
    }
}
