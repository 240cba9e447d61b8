//! Relaying offers, answers and ICE candidates between the joined sessions
//! of a call. Signals carry addresses and DTLS fingerprints: they are
//! checked for shape, relayed, and never stored, logged or audited.

use super::Calls;
use crate::{Actor, Event, Result, ServiceError};
use hippo_core::{AuditAction, ErrorCode, SessionId};
use hippo_protocol::{CandidatePayload, SdpPayload};

/// Largest session description relayed (browsers' are 3–8 KB).
const MAX_SDP: usize = 32 * 1024;
/// Largest ICE candidate line relayed.
const MAX_CANDIDATE: usize = 1024;

/// Refuses what no WebRTC stack sends: the frame has one of `sdp` and
/// `candidate`, an SDP that starts as one and stays printable, a candidate
/// line that is one.
fn check_shape(sdp: Option<&SdpPayload>, candidate: Option<&CandidatePayload>) -> Result<()> {
    match (sdp, candidate) {
        (Some(s), None) => {
            if s.kind != "offer" && s.kind != "answer" {
                return Err(ServiceError::validation("sdp.type must be offer or answer"));
            }
            if s.sdp.len() > MAX_SDP {
                return Err(ServiceError::validation(format!(
                    "sdp.sdp must be at most {MAX_SDP} bytes"
                )));
            }
            let printable = s
                .sdp
                .chars()
                .all(|c| !c.is_control() || c == '\r' || c == '\n');
            if !s.sdp.starts_with("v=0") || !s.sdp.contains("\nm=") || !printable {
                return Err(ServiceError::validation(
                    "sdp.sdp is not a session description (RFC 8866)",
                ));
            }
            Ok(())
        }
        (None, Some(c)) => {
            let line = c.candidate.as_str();
            let ok = line.len() <= MAX_CANDIDATE
                && (line.is_empty() || line.starts_with("candidate:"))
                && !line.chars().any(char::is_control);
            let fields_ok = [&c.sdp_mid, &c.username_fragment].iter().all(|f| {
                f.as_ref()
                    .is_none_or(|v| v.len() <= 64 && !v.chars().any(char::is_control))
            });
            if !ok || !fields_ok {
                return Err(ServiceError::validation(
                    "candidate is not an ICE candidate line (RFC 8839)",
                ));
            }
            Ok(())
        }
        _ => Err(ServiceError::validation(
            "a call.signal carries exactly one of sdp and candidate",
        )),
    }
}

impl Calls {
    /// Relays a signal from the actor's session to `to_session`, both
    /// joined to the call. A call the actor is not in does not exist for
    /// them (recorded as denied); a session not in the call is refused.
    pub async fn signal(
        &self,
        actor: &Actor,
        call_id: &str,
        to_session: &str,
        sdp: Option<SdpPayload>,
        candidate: Option<CandidatePayload>,
    ) -> Result<()> {
        check_shape(sdp.as_ref(), candidate.as_ref())?;
        let mut call = self.load(call_id).await?;
        if let Some(c) = &call
            && (c.participant(&actor.user.id).is_none()
                || !self
                    .core
                    .store
                    .is_member(&c.conversation_id, &actor.user.id)
                    .await?)
        {
            call = None;
        }
        let Some(call) = call else {
            return Err(self
                .core
                .deny(
                    actor,
                    AuditAction::CallJoin,
                    Some(("call", call_id.chars().take(64).collect())),
                    ServiceError::not_found(),
                )
                .await);
        };
        if !call.is_joined(&actor.user.id, &actor.session.id) {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "join the call from this session before signalling",
            ));
        }
        if to_session == super::SFU_SESSION {
            return self
                .signal_sfu(&call, &actor.session.id, &actor.user.id, sdp)
                .await;
        }
        let target = SessionId::parse(to_session)
            .and_then(|s| call.joined_session(&s).map(|p| (p.user_id.clone(), s)))
            .filter(|(_, s)| *s != actor.session.id);
        let Some((to_user, to_session)) = target else {
            return Err(ServiceError::public(
                ErrorCode::Forbidden,
                "to_session is not another session joined to this call",
            ));
        };
        self.core.events.publish(Event::CallSignal {
            call_id: call.id,
            from: actor.session.id.to_string(),
            to_user,
            to_session,
            sdp,
            candidate,
        });
        Ok(())
    }
}
