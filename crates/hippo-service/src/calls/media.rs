//! Group calls through hippo's SFU: the service's side of it. The SFU
//! itself (`hippo-media`) knows nothing of users; this module decides who
//! may reach it. A joined session of an SFU call sends its offer as a
//! `call.signal` to `"sfu"` and gets the answer back from `"sfu"`; the
//! SFU's own offers (when someone joins or leaves) reach the session the
//! same way, and its answers go back. A session that leaves the call is
//! removed from the SFU; one the SFU drops (its media never connected or
//! was lost) leaves the call, recorded.

use super::Calls;
use crate::{Event, Result, ServiceError};
use hippo_core::{Call, CallId, CallTopology, ParticipantState, SessionId};
use hippo_protocol::SdpPayload;
use std::sync::Arc;

/// The session id signals to and from the SFU carry.
pub const SFU_SESSION: &str = "sfu";

/// The SFU as the service drives it (implemented over `hippo-media` by
/// `serve`). Errors are in words fit for a client, never SDP.
#[async_trait::async_trait]
pub trait MediaServer: Send + Sync + 'static {
    /// Adds the session to the call's room, or replaces its connection
    /// there with this offer's (a reloaded page); returns the answer. A bad
    /// offer changes nothing.
    async fn join(
        &self,
        call: &CallId,
        session: &SessionId,
        offer: &str,
    ) -> std::result::Result<String, String>;
    /// The session's answer to the SFU's last offer.
    async fn answer(
        &self,
        call: &CallId,
        session: &SessionId,
        answer: &str,
    ) -> std::result::Result<(), String>;
    /// Takes the session out of the room (nothing if it is not in it).
    async fn remove(&self, call: &CallId, session: &SessionId);
}

/// The joined sessions of a call.
pub(super) fn joined_sessions(call: &Call) -> Vec<SessionId> {
    call.participants
        .iter()
        .filter(|p| p.state == ParticipantState::Joined)
        .filter_map(|p| p.session_id.clone())
        .collect()
}

impl Calls {
    /// Gives the service its SFU; only the first call takes effect. Calls
    /// of three or more need it.
    pub fn attach_media(&self, media: Arc<dyn MediaServer>) {
        let _ = self.core.media.set(media);
    }

    pub(super) fn media(&self) -> Option<&Arc<dyn MediaServer>> {
        self.core.media.get()
    }

    /// Takes sessions that are no longer joined out of the SFU.
    pub(super) async fn release_media(&self, before: &Call, after: &Call) {
        let (CallTopology::Sfu, Some(media)) = (after.topology, self.media()) else {
            return;
        };
        let still = joined_sessions(after);
        for s in joined_sessions(before) {
            if !still.contains(&s) {
                media.remove(&after.id, &s).await;
            }
        }
    }

    /// A signal from a joined session to the SFU: an offer (the session
    /// enters the room and hears the answer) or an answer to the SFU's
    /// offer. Candidates are not needed (the SFU is ICE-lite) and dropped.
    pub(super) async fn signal_sfu(
        &self,
        call: &Call,
        from: &SessionId,
        to_user: &hippo_core::UserId,
        sdp: Option<SdpPayload>,
    ) -> Result<()> {
        let Some(media) = self.media().filter(|_| call.topology == CallTopology::Sfu) else {
            return Err(ServiceError::public(
                hippo_core::ErrorCode::Forbidden,
                "this call is peer to peer: signal the other session, not the SFU",
            ));
        };
        let Some(sdp) = sdp else { return Ok(()) };
        let refused = |why: String| {
            ServiceError::validation(format!("the media server refused the description: {why}"))
        };
        if sdp.kind == "offer" {
            // (A second offer from a session already in the room replaces
            // its connection if it parses: the media server's to decide.)
            let answer = media
                .join(&call.id, from, &sdp.sdp)
                .await
                .map_err(refused)?;
            self.relay_from_sfu(
                call.id.clone(),
                to_user.clone(),
                from.clone(),
                "answer",
                answer,
            );
        } else {
            media
                .answer(&call.id, from, &sdp.sdp)
                .await
                .map_err(refused)?;
        }
        Ok(())
    }

    fn relay_from_sfu(
        &self,
        call_id: CallId,
        to_user: hippo_core::UserId,
        to_session: SessionId,
        kind: &str,
        sdp: String,
    ) {
        self.core.events.publish(Event::CallSignal {
            call_id,
            from: SFU_SESSION.to_owned(),
            to_user,
            to_session,
            sdp: Some(SdpPayload {
                kind: kind.to_owned(),
                sdp,
            }),
            candidate: None,
        });
    }

    /// An offer the SFU makes to one session (its tracks changed): relayed
    /// if that session is still joined to the call.
    pub async fn sfu_offer(&self, call: &str, session: &str, sdp: String) -> Result<()> {
        let (Some(call), Some(sid)) = (self.load(call).await?, SessionId::parse(session)) else {
            return Ok(());
        };
        if let Some(p) = call.joined_session(&sid) {
            self.relay_from_sfu(call.id.clone(), p.user_id.clone(), sid, "offer", sdp);
        }
        Ok(())
    }

    /// The SFU dropped a session (its media never connected, or was lost):
    /// it leaves the call, recorded as the server's doing.
    pub async fn sfu_dropped(&self, call: &str, session: &str, why: &str) -> Result<()> {
        let (Some(call), Some(sid)) = (self.load(call).await?, SessionId::parse(session)) else {
            return Ok(());
        };
        let Some(user) = call.joined_session(&sid).map(|p| p.user_id.clone()) else {
            return Ok(());
        };
        self.leave_for(call, &user, &sid, why).await
    }
}
