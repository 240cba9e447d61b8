//! Calls: who may start, answer, decline, leave and signal a voice or video
//! call, and the record of each step. The rules of a call's life are
//! [`hippo_core::Call`]'s; this module checks access (members only, deny by
//! default), stores each step with its audit record in one transaction
//! (compare-and-swap on the call's version, so two nodes cannot both win),
//! and then tells the participants' sessions. Signals (SDP, ICE candidates)
//! are relayed between joined sessions and never stored, logged or audited.

mod ice;
mod media;
mod signal;

pub use ice::{CallsConfig, IceServer, IceServers, TurnSecret};
pub use media::{MediaServer, SFU_SESSION};

use crate::core::Core;
use crate::events::CallNews;
use crate::{Actor, Event, Result, ServiceError};
use hippo_core::call::{decode_participants, encode_participants};
use hippo_core::{
    AuditAction, Call, CallEndReason, CallId, CallMedia, CallRefusal, CallTopology,
    ConversationKind, ErrorCode, NewAuditEvent, Outcome, ParticipantState, Step, Timestamp, UserId,
};
use hippo_store::{CallRow, StoreError};
use std::sync::Arc;

/// Tries of a step that lost a race with another change to the same call.
const CAS_TRIES: u32 = 8;

/// Waits before try `n` again: the change that won may still be on its way
/// to disk (SQLite commits writers in batches), and until then a read does
/// not see it.
async fn back_off(n: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(5 << n)).await;
}

#[derive(Debug, Clone)]
pub struct Calls {
    core: Arc<Core>,
}

fn to_row(c: &Call) -> CallRow {
    CallRow {
        id: c.id.clone(),
        conversation_id: c.conversation_id.clone(),
        media: c.media.as_str().to_owned(),
        topology: c.topology.as_str().to_owned(),
        relay_only: c.relay_only,
        started_by: c.started_by.clone(),
        started_at: c.started_at,
        answered_at: c.answered_at,
        ended_at: c.ended_at,
        end_reason: c.end_reason.map(|r| r.as_str().to_owned()),
        version: c.version,
        participants: encode_participants(&c.participants),
    }
}

fn from_row(r: CallRow) -> Result<Call> {
    let bad = |what: &str| ServiceError::from(StoreError::Corrupt(format!("call {what}")));
    Ok(Call {
        media: CallMedia::parse(&r.media).ok_or_else(|| bad("media"))?,
        topology: CallTopology::parse(&r.topology).ok_or_else(|| bad("topology"))?,
        end_reason: match r.end_reason.as_deref() {
            Some(s) => Some(CallEndReason::parse(s).ok_or_else(|| bad("end reason"))?),
            None => None,
        },
        participants: decode_participants(&r.participants).ok_or_else(|| bad("participants"))?,
        id: r.id,
        conversation_id: r.conversation_id,
        relay_only: r.relay_only,
        started_by: r.started_by,
        started_at: r.started_at,
        answered_at: r.answered_at,
        ended_at: r.ended_at,
        version: r.version,
    })
}

fn refused(r: CallRefusal) -> ServiceError {
    let code = match r {
        CallRefusal::NotInvited => return ServiceError::not_found(),
        CallRefusal::Ended | CallRefusal::JoinedElsewhere | CallRefusal::AlreadyJoined => {
            ErrorCode::Conflict
        }
    };
    ServiceError::public(code, r.detail())
}

/// The record of a call's end, with how long it was answered for.
pub(super) fn end_event(event: NewAuditEvent, call: &Call) -> NewAuditEvent {
    event
        .resource("call", call.id.as_str())
        .detail(serde_json::json!({
            "conversation_id": call.conversation_id.as_str(),
            "reason": call.end_reason.map(CallEndReason::as_str),
            "duration_ms": call.duration_ms(),
            "participants": call.participants.iter()
                .filter(|p| p.joined_at.is_some())
                .count(),
        }))
}

/// A step's own record and, when the step ended the call, `call.end`
/// (recorded as `end`, e.g. by the same actor).
pub(super) fn with_end(
    own: NewAuditEvent,
    call: &Call,
    step: Step,
    end: NewAuditEvent,
) -> Vec<NewAuditEvent> {
    let mut out = vec![own];
    if step == Step::Ended {
        out.push(end_event(end, call));
    }
    out
}

impl Calls {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// The call `id` names, if it is one.
    pub(super) async fn load(&self, id: &str) -> Result<Option<Call>> {
        match CallId::parse(id) {
            Some(cid) => self
                .core
                .store
                .get_call(&cid)
                .await?
                .map(from_row)
                .transpose(),
            None => Ok(None),
        }
    }

    /// Records that `user`'s `session` left the call by the server's doing
    /// (its session ended, the SFU dropped it), with `why`.
    pub(super) async fn leave_for(
        &self,
        call: Call,
        user: &UserId,
        session: &hippo_core::SessionId,
        why: &str,
    ) -> Result<()> {
        self.apply(
            call,
            |c, step, now| {
                with_end(
                    NewAuditEvent::new(now, AuditAction::CallLeave, Outcome::Success)
                        .actor(Some(user), Some(session))
                        .resource("call", c.id.as_str())
                        .detail(serde_json::json!({ "reason": why })),
                    c,
                    step,
                    NewAuditEvent::new(now, AuditAction::CallEnd, Outcome::Success),
                )
            },
            |c, now| c.leave(user, now),
        )
        .await?;
        Ok(())
    }

    fn everyone(call: &Call) -> Vec<UserId> {
        call.participants
            .iter()
            .map(|p| p.user_id.clone())
            .collect()
    }

    fn announce(&self, call: &Call, step: Step) {
        let kind = match step {
            Step::Unchanged => return,
            Step::Changed => CallNews::Updated,
            Step::Ended => CallNews::Ended,
        };
        self.core.events.publish(Event::Call {
            kind,
            call: Box::new(call.clone()),
            recipients: Self::everyone(call),
        });
    }

    /// A call the actor was invited to; for anyone else it does not exist
    /// (recorded as denied under `action`).
    async fn invited_call(&self, actor: &Actor, id: &str, action: AuditAction) -> Result<Call> {
        self.core
            .require_messaging_for(actor, action, Some(("call", id)))
            .await?;
        let call = self.load(id).await?;
        // Invited, and still a member (someone removed from the
        // conversation is out of its calls too).
        let member = match &call {
            Some(c) if c.participant(&actor.user.id).is_some() => {
                self.core
                    .store
                    .is_member(&c.conversation_id, &actor.user.id)
                    .await?
            }
            _ => false,
        };
        match call {
            Some(c) if member => Ok(c),
            _ => Err(self
                .core
                .deny(
                    actor,
                    action,
                    Some(("call", id.chars().take(64).collect())),
                    ServiceError::not_found(),
                )
                .await),
        }
    }

    /// Starts a call in a conversation the actor is in, ringing the other
    /// members' sessions. When a call is already going on there (both
    /// pressed "call" at once: glare) the actor joins that one instead and
    /// `false` is returned with it.
    pub async fn start(
        &self,
        actor: &Actor,
        conversation: &str,
        media: &str,
        relay_only: bool,
    ) -> Result<(Call, bool)> {
        let action = AuditAction::CallStart;
        let Some(media) = CallMedia::parse(media) else {
            return Err(ServiceError::validation("media must be audio or video"));
        };
        let (conv, members) = self
            .core
            .member_conversation(actor, conversation, action)
            .await?;
        if conv.kind == ConversationKind::Patient {
            return Err(ServiceError::public(
                ErrorCode::ChannelPolicy,
                "calls with patients over WhatsApp are not available; call from a conversation \
                 between colleagues",
            ));
        }
        let topology = if members.len() > 2 {
            if self.media().is_none() {
                return Err(ServiceError::public(
                    ErrorCode::Unavailable,
                    "group calls need hippo's media server (SFU), which this server does not run \
                     (set media_listen); calls between two people work",
                ));
            }
            CallTopology::Sfu
        } else {
            CallTopology::P2p
        };
        if members.len() < 2 {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "there is nobody else in this conversation to call",
            ));
        }
        for n in 0..CAS_TRIES {
            if n > 0 {
                back_off(n).await;
            }
            if let Some(live) = self.core.store.live_call_in(&conv.id).await? {
                let mut call = from_row(live)?;
                self.expire_if_due(&mut call).await?;
                if call.ended_at.is_none() {
                    let call = self.join_call(actor, call).await?;
                    return Ok((call, false));
                }
                continue;
            }
            let now = self.core.clock.now();
            let call = Call::start(
                CallId::generate(),
                conv.id.clone(),
                media,
                topology,
                relay_only || self.core.config.calls.relay_only,
                (&actor.user.id, &actor.session.id),
                &members,
                now,
            );
            let mut tx = self.core.store.begin_write().await?;
            match tx.insert_call(&to_row(&call)).await {
                // Another start came first: join that one.
                Err(StoreError::Conflict(_)) => continue,
                other => other?,
            }
            tx.append_audit(
                &actor
                    .event(now, action, Outcome::Success)
                    .resource("call", call.id.as_str())
                    .detail(serde_json::json!({
                        "conversation_id": conv.id.as_str(),
                        "media": media.as_str(),
                        "topology": call.topology.as_str(),
                        "relay_only": call.relay_only,
                    })),
            )
            .await?;
            tx.commit().await?;
            let ringing: Vec<UserId> = call
                .participants
                .iter()
                .filter(|p| p.state == ParticipantState::Ringing)
                .map(|p| p.user_id.clone())
                .collect();
            self.core.events.publish(Event::Call {
                kind: CallNews::Ringing,
                call: Box::new(call.clone()),
                recipients: ringing,
            });
            self.announce(&call, Step::Changed);
            return Ok((call, true));
        }
        Err(ServiceError::public(
            ErrorCode::Conflict,
            "the call kept changing; try again",
        ))
    }

    /// Applies `step` to the freshest copy of a call and stores it with its
    /// audit records, retrying when another change came first. Returns the
    /// call as stored and what the step did.
    async fn apply<F>(
        &self,
        mut call: Call,
        records: impl Fn(&Call, Step, Timestamp) -> Vec<NewAuditEvent>,
        step: F,
    ) -> Result<(Call, Step)>
    where
        F: Fn(&mut Call, Timestamp) -> std::result::Result<Step, CallRefusal>,
    {
        for n in 0..CAS_TRIES {
            if n > 0 {
                back_off(n).await;
            }
            let now = self.core.clock.now();
            let mut next = call.clone();
            let done = step(&mut next, now).map_err(refused)?;
            if done == Step::Unchanged {
                return Ok((next, done));
            }
            let mut tx = self.core.store.begin_write().await?;
            if !tx.update_call(&to_row(&next)).await? {
                drop(tx);
                let fresh = self.core.store.get_call(&call.id).await?;
                call = from_row(fresh.ok_or_else(ServiceError::not_found)?)?;
                continue;
            }
            for event in records(&next, done, now) {
                tx.append_audit(&event).await?;
            }
            tx.commit().await?;
            self.release_media(&call, &next).await;
            self.announce(&next, done);
            return Ok((next, done));
        }
        Err(ServiceError::public(
            ErrorCode::Conflict,
            "the call kept changing; try again",
        ))
    }

    /// The audit records of an actor's step: the step's own and, when it
    /// ended the call, `call.end`.
    fn step_records(
        actor: &Actor,
        action: AuditAction,
    ) -> impl Fn(&Call, Step, Timestamp) -> Vec<NewAuditEvent> + '_ {
        move |call, step, now| {
            with_end(
                actor
                    .event(now, action, Outcome::Success)
                    .resource("call", call.id.as_str())
                    .detail(serde_json::json!({
                        "conversation_id": call.conversation_id.as_str(),
                    })),
                call,
                step,
                actor.event(now, AuditAction::CallEnd, Outcome::Success),
            )
        }
    }

    async fn join_call(&self, actor: &Actor, call: Call) -> Result<Call> {
        let (user, session) = (actor.user.id.clone(), actor.session.id.clone());
        let (call, _) = self
            .apply(
                call,
                Self::step_records(actor, AuditAction::CallJoin),
                move |c, now| c.join(&user, &session, now),
            )
            .await?;
        Ok(call)
    }

    /// Answers (or rejoins) a call from this session; the user's other
    /// sessions stop ringing.
    pub async fn join(&self, actor: &Actor, id: &str) -> Result<Call> {
        let mut call = self.invited_call(actor, id, AuditAction::CallJoin).await?;
        self.expire_if_due(&mut call).await?;
        self.join_call(actor, call).await
    }

    /// Declines a call on every session of the user.
    pub async fn decline(&self, actor: &Actor, id: &str) -> Result<Call> {
        let mut call = self
            .invited_call(actor, id, AuditAction::CallDecline)
            .await?;
        self.expire_if_due(&mut call).await?;
        let user = actor.user.id.clone();
        let (call, _) = self
            .apply(
                call,
                Self::step_records(actor, AuditAction::CallDecline),
                move |c, now| c.decline(&user, now),
            )
            .await?;
        Ok(call)
    }

    /// Hangs up.
    pub async fn leave(&self, actor: &Actor, id: &str) -> Result<Call> {
        let call = self.invited_call(actor, id, AuditAction::CallLeave).await?;
        let user = actor.user.id.clone();
        let (call, _) = self
            .apply(
                call,
                Self::step_records(actor, AuditAction::CallLeave),
                move |c, now| c.leave(&user, now),
            )
            .await?;
        Ok(call)
    }

    /// A call the actor was invited to.
    pub async fn get(&self, actor: &Actor, id: &str) -> Result<Call> {
        let mut call = self.invited_call(actor, id, AuditAction::CallJoin).await?;
        self.expire_if_due(&mut call).await?;
        Ok(call)
    }

    /// The live calls the actor is in or is being rung for.
    pub async fn live_for(&self, actor: &Actor) -> Result<Vec<Call>> {
        self.core
            .require_messaging(actor, AuditAction::CallJoin)
            .await?;
        let mine: Vec<Call> = self
            .live_calls()
            .await?
            .into_iter()
            .filter(|c| {
                c.participant(&actor.user.id).is_some_and(|p| {
                    matches!(
                        p.state,
                        ParticipantState::Ringing | ParticipantState::Joined
                    )
                })
            })
            .collect();
        self.expire_due(mine).await
    }

    /// Ends `call` as missed if it rang out, recorded by the server.
    async fn expire_if_due(&self, call: &mut Call) -> Result<()> {
        let (next, _) = self
            .apply(
                call.clone(),
                |c, _, now| {
                    vec![end_event(
                        NewAuditEvent::new(now, AuditAction::CallEnd, Outcome::Success),
                        c,
                    )]
                },
                |c, now| Ok(c.expire(now)),
            )
            .await?;
        *call = next;
        Ok(())
    }

    /// Ends every call that rang for 45 s without an answer; returns how
    /// many. Run every second by `serve` (on every node: the compare and
    /// swap lets one win).
    pub async fn expire_unanswered(&self) -> Result<usize> {
        let live = self.live_calls().await?;
        let before = live.len();
        Ok(before - self.expire_due(live).await?.len())
    }

    async fn live_calls(&self) -> Result<Vec<Call>> {
        self.core
            .store
            .live_calls()
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// Ends those of `calls` that rang out; returns the rest.
    async fn expire_due(&self, calls: Vec<Call>) -> Result<Vec<Call>> {
        let mut live = Vec::with_capacity(calls.len());
        for mut call in calls {
            self.expire_if_due(&mut call).await?;
            if call.ended_at.is_none() {
                live.push(call);
            }
        }
        Ok(live)
    }

    /// Looks after the sessions joined to live calls. One that ended
    /// (logout, revocation, expiry, a password change) leaves its call, as
    /// if it had hung up. One in an answered call does not idle out: a
    /// clinician on a 20-minute consult is present, not idle (its idle
    /// timer moves as a request would move it, at most once a minute).
    async fn look_after_joined_sessions(&self, calls: Vec<Call>) -> Result<()> {
        let idle = self.core.config.session_idle_timeout;
        let granule = (idle / 15).min(std::time::Duration::from_secs(60));
        for call in calls {
            for p in &call.participants {
                let (ParticipantState::Joined, Some(sid)) = (p.state, &p.session_id) else {
                    continue;
                };
                let now = self.core.clock.now();
                let session = self.core.store.get_session(sid).await?;
                let live = session
                    .as_ref()
                    .is_some_and(|s| s.state(now, idle) == hippo_core::SessionState::Live);
                if !live {
                    self.leave_for(call.clone(), &p.user_id, sid, "session ended")
                        .await?;
                    // The call changed: the rest is looked at next time.
                    break;
                }
                if call.state() == hippo_core::CallState::Active
                    && let Some(s) = &session
                    && now.since(s.last_seen_at) >= granule
                {
                    self.core.store.touch_session(sid, now).await?;
                }
            }
        }
        Ok(())
    }

    /// What `serve` runs every second: unanswered calls end, sessions
    /// that ended leave their calls, joined sessions stay signed in.
    pub async fn tick(&self) -> Result<()> {
        let live = self.expire_due(self.live_calls().await?).await?;
        self.look_after_joined_sessions(live).await
    }

    /// Drops a deactivated user from every call at once.
    pub(crate) async fn drop_user(&self, user: &UserId, by: NewAuditEvent) -> Result<()> {
        for call in self.live_calls().await? {
            if call.participant(user).is_none() {
                continue;
            }
            let u = user.clone();
            self.apply(
                call,
                |c, step, now| {
                    with_end(
                        by.clone().resource("call", c.id.as_str()).detail(
                            serde_json::json!({"dropped": u.as_str(), "reason": "deactivated"}),
                        ),
                        c,
                        step,
                        NewAuditEvent::new(now, AuditAction::CallEnd, Outcome::Success),
                    )
                },
                |c, now| Ok(c.drop_user(user, now)),
            )
            .await?;
        }
        Ok(())
    }
}
