//! Voice and video calls: what a call is and the rules of its life, with no
//! I/O. A call rings the other members of a conversation; the first to
//! join from one of their sessions answers it (their other sessions stop
//! ringing: "answered elsewhere"); it ends when a joined side hangs up, when
//! the only callee declines, when nobody answers within [`RING_TIMEOUT_MS`]
//! or when a participant is deactivated. Who may do any of this is the
//! service's to decide; this module only says what each step does to the
//! call.

use crate::{CallId, ConversationId, SessionId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// How long a call rings before it ends as missed.
pub const RING_TIMEOUT_MS: i64 = 45_000;

macro_rules! spelt {
    ($(#[doc = $doc:literal])+ $name:ident { $($variant:ident => $slug:literal),+ $(,)? }) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $slug)] $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $slug,)+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($slug => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

spelt! {
    /// What the call carries.
    CallMedia { Audio => "audio", Video => "video" }
}

spelt! {
    /// How media flows: straight between the two parties (through TURN
    /// when needed), or through hippo's SFU.
    CallTopology { P2p => "p2p", Sfu => "sfu" }
}

spelt! {
    /// Where a call is in its life.
    CallState { Ringing => "ringing", Active => "active", Ended => "ended" }
}

spelt! {
    /// Where one invited user is in the call.
    ParticipantState { Ringing => "ringing", Joined => "joined", Declined => "declined", Left => "left" }
}

spelt! {
    /// Why a call ended.
    CallEndReason {
        Hangup => "hangup",
        Declined => "declined",
        Missed => "missed",
        Deactivated => "deactivated",
    }
}

/// One invited user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub user_id: UserId,
    pub state: ParticipantState,
    /// The session that joined (signals are addressed to it).
    pub session_id: Option<SessionId>,
    pub joined_at: Option<Timestamp>,
    pub left_at: Option<Timestamp>,
}

/// A call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub id: CallId,
    pub conversation_id: ConversationId,
    pub media: CallMedia,
    pub topology: CallTopology,
    /// Media only through the TURN relay, so no party sees another's
    /// address.
    pub relay_only: bool,
    pub started_by: UserId,
    pub started_at: Timestamp,
    /// When a second participant joined.
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<CallEndReason>,
    /// Raised by one on every change (the store compares and swaps it).
    pub version: i64,
    pub participants: Vec<Participant>,
}

/// Why a step cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallRefusal {
    /// The call is over.
    Ended,
    /// The user was not invited to it.
    NotInvited,
    /// The user is in the call on another session.
    JoinedElsewhere,
    /// The user is in the call: hang up instead of declining.
    AlreadyJoined,
}

impl CallRefusal {
    /// In words fit for a client.
    pub fn detail(self) -> &'static str {
        match self {
            Self::Ended => "this call has ended",
            Self::NotInvited => "you are not in this call",
            Self::JoinedElsewhere => "you are in this call on another device or tab",
            Self::AlreadyJoined => "you are in this call; hang up to leave it",
        }
    }
}

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing (a repeat of what was already so).
    Unchanged,
    /// The call changed and goes on.
    Changed,
    /// The call changed and is now over.
    Ended,
}

impl Call {
    /// A call `caller` starts from `session`, ringing `others`.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        id: CallId,
        conversation_id: ConversationId,
        media: CallMedia,
        topology: CallTopology,
        relay_only: bool,
        caller: (&UserId, &SessionId),
        others: &[UserId],
        now: Timestamp,
    ) -> Self {
        let mut participants = vec![Participant {
            user_id: caller.0.clone(),
            state: ParticipantState::Joined,
            session_id: Some(caller.1.clone()),
            joined_at: Some(now),
            left_at: None,
        }];
        participants.extend(
            others
                .iter()
                .filter(|u| *u != caller.0)
                .map(|u| Participant {
                    user_id: u.clone(),
                    state: ParticipantState::Ringing,
                    session_id: None,
                    joined_at: None,
                    left_at: None,
                }),
        );
        Self {
            id,
            conversation_id,
            media,
            topology,
            relay_only,
            started_by: caller.0.clone(),
            started_at: now,
            answered_at: None,
            ended_at: None,
            end_reason: None,
            version: 1,
            participants,
        }
    }

    pub fn state(&self) -> CallState {
        if self.ended_at.is_some() {
            CallState::Ended
        } else if self.answered_at.is_some() {
            CallState::Active
        } else {
            CallState::Ringing
        }
    }

    pub fn participant(&self, user: &UserId) -> Option<&Participant> {
        self.participants.iter().find(|p| &p.user_id == user)
    }

    fn participant_mut(&mut self, user: &UserId) -> Result<&mut Participant, CallRefusal> {
        self.participants
            .iter_mut()
            .find(|p| &p.user_id == user)
            .ok_or(CallRefusal::NotInvited)
    }

    /// Whether `session` of `user` is joined: signals go only between such
    /// sessions.
    pub fn is_joined(&self, user: &UserId, session: &SessionId) -> bool {
        self.state() != CallState::Ended
            && self.participant(user).is_some_and(|p| {
                p.state == ParticipantState::Joined && p.session_id.as_ref() == Some(session)
            })
    }

    /// The joined participant whose session is `session`.
    pub fn joined_session(&self, session: &SessionId) -> Option<&Participant> {
        self.participants
            .iter()
            .find(|p| p.state == ParticipantState::Joined && p.session_id.as_ref() == Some(session))
    }

    fn joined(&self) -> usize {
        self.participants
            .iter()
            .filter(|p| p.state == ParticipantState::Joined)
            .count()
    }

    /// How long it was answered for, once ended (0 if never answered).
    pub fn duration_ms(&self) -> Option<i64> {
        let ended = self.ended_at?;
        Some(
            self.answered_at
                .map_or(0, |a| ended.as_millis() - a.as_millis()),
        )
    }

    fn end(&mut self, reason: CallEndReason, now: Timestamp) {
        for p in &mut self.participants {
            if p.state == ParticipantState::Joined {
                p.state = ParticipantState::Left;
                p.left_at = Some(now);
            }
        }
        self.ended_at = Some(now);
        self.end_reason = Some(reason);
    }

    fn changed(&mut self, step: Step) -> Step {
        if step != Step::Unchanged {
            self.version += 1;
        }
        step
    }

    /// `user` answers (or rejoins) from `session`.
    pub fn join(
        &mut self,
        user: &UserId,
        session: &SessionId,
        now: Timestamp,
    ) -> Result<Step, CallRefusal> {
        if self.state() == CallState::Ended {
            return Err(CallRefusal::Ended);
        }
        let p = self.participant_mut(user)?;
        if p.state == ParticipantState::Joined {
            return if p.session_id.as_ref() == Some(session) {
                Ok(Step::Unchanged)
            } else {
                Err(CallRefusal::JoinedElsewhere)
            };
        }
        p.state = ParticipantState::Joined;
        p.session_id = Some(session.clone());
        p.joined_at = Some(now);
        p.left_at = None;
        if self.answered_at.is_none() && self.joined() >= 2 {
            self.answered_at = Some(now);
        }
        Ok(self.changed(Step::Changed))
    }

    /// `user` declines on every session. When nobody is left ringing and
    /// the caller is alone, the call ends as declined.
    pub fn decline(&mut self, user: &UserId, now: Timestamp) -> Result<Step, CallRefusal> {
        if self.state() == CallState::Ended {
            return Err(CallRefusal::Ended);
        }
        let p = self.participant_mut(user)?;
        match p.state {
            ParticipantState::Joined => return Err(CallRefusal::AlreadyJoined),
            ParticipantState::Declined | ParticipantState::Left => return Ok(Step::Unchanged),
            ParticipantState::Ringing => p.state = ParticipantState::Declined,
        }
        let ringing = self
            .participants
            .iter()
            .any(|p| p.state == ParticipantState::Ringing);
        if !ringing && self.joined() < 2 {
            self.end(CallEndReason::Declined, now);
            return Ok(self.changed(Step::Ended));
        }
        Ok(self.changed(Step::Changed))
    }

    /// `user` hangs up. A two-party call ends with it; a group call ends
    /// when the last joined participant leaves. Hanging up while still
    /// being rung declines. Leaving a call already over changes nothing.
    pub fn leave(&mut self, user: &UserId, now: Timestamp) -> Result<Step, CallRefusal> {
        if self.state() == CallState::Ended {
            return if self.participant(user).is_some() {
                Ok(Step::Unchanged)
            } else {
                Err(CallRefusal::NotInvited)
            };
        }
        let p = self.participant_mut(user)?;
        match p.state {
            ParticipantState::Ringing => return self.decline(user, now),
            ParticipantState::Declined | ParticipantState::Left => return Ok(Step::Unchanged),
            ParticipantState::Joined => {
                p.state = ParticipantState::Left;
                p.left_at = Some(now);
            }
        }
        if self.topology == CallTopology::P2p || self.joined() == 0 {
            self.end(CallEndReason::Hangup, now);
            return Ok(self.changed(Step::Ended));
        }
        Ok(self.changed(Step::Changed))
    }

    /// Ends a call nobody answered within [`RING_TIMEOUT_MS`].
    pub fn expire(&mut self, now: Timestamp) -> Step {
        if self.state() != CallState::Ringing
            || now.as_millis() - self.started_at.as_millis() < RING_TIMEOUT_MS
        {
            return Step::Unchanged;
        }
        self.end(CallEndReason::Missed, now);
        self.changed(Step::Ended)
    }

    /// Drops a deactivated user: a two-party call ends, a group call goes
    /// on without them (and ends if nobody is left).
    pub fn drop_user(&mut self, user: &UserId, now: Timestamp) -> Step {
        if self.state() == CallState::Ended {
            return Step::Unchanged;
        }
        let Ok(p) = self.participant_mut(user) else {
            return Step::Unchanged;
        };
        match p.state {
            ParticipantState::Joined => {
                p.state = ParticipantState::Left;
                p.left_at = Some(now);
            }
            ParticipantState::Ringing => p.state = ParticipantState::Declined,
            ParticipantState::Declined | ParticipantState::Left => return Step::Unchanged,
        }
        let ringing = self
            .participants
            .iter()
            .any(|p| p.state == ParticipantState::Ringing);
        if self.topology == CallTopology::P2p
            || self.joined() == 0
            || (self.joined() < 2 && !ringing)
        {
            self.end(CallEndReason::Deactivated, now);
            return self.changed(Step::Ended);
        }
        self.changed(Step::Changed)
    }
}

/// A participant as stored (JSON in the call's row).
#[derive(Serialize, Deserialize)]
struct StoredParticipant {
    user_id: String,
    state: ParticipantState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    joined_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    left_at: Option<i64>,
}

/// The participants as the store keeps them.
pub fn encode_participants(list: &[Participant]) -> String {
    let stored: Vec<StoredParticipant> = list
        .iter()
        .map(|p| StoredParticipant {
            user_id: p.user_id.to_string(),
            state: p.state,
            session_id: p.session_id.as_ref().map(ToString::to_string),
            joined_at: p.joined_at.map(Timestamp::as_millis),
            left_at: p.left_at.map(Timestamp::as_millis),
        })
        .collect();
    // A list of strings, numbers and unit enums always serialises.
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into())
}

/// The participants from what [`encode_participants`] wrote; `None` for
/// anything else.
pub fn decode_participants(text: &str) -> Option<Vec<Participant>> {
    let stored: Vec<StoredParticipant> = serde_json::from_str(text).ok()?;
    Some(
        stored
            .into_iter()
            .map(|p| Participant {
                user_id: UserId::from_stored(p.user_id),
                state: p.state,
                session_id: p.session_id.map(SessionId::from_stored),
                joined_at: p.joined_at.map(Timestamp::from_millis),
                left_at: p.left_at.map(Timestamp::from_millis),
            })
            .collect(),
    )
}

#[cfg(test)]
#[path = "call_tests.rs"]
mod tests;
