//! Runs hippo's SFU (`hippo-media`) for `serve`: binds its one UDP port,
//! gives the calls service a [`MediaServer`] over it, and hands the SFU's
//! events (offers to sessions, sessions it dropped) back to the service.

use hippo_core::{CallId, SessionId};
use hippo_media::{Event, LeaveReason, ParticipantId, RoomId, SfuHandle};
use hippo_service::Hippo;
use hippo_service::calls::MediaServer;
use std::net::SocketAddr;
use std::sync::Arc;

struct Sfu(SfuHandle);

fn room(call: &CallId) -> RoomId {
    RoomId(call.to_string())
}

fn participant(session: &SessionId) -> ParticipantId {
    ParticipantId(session.to_string())
}

#[async_trait::async_trait]
impl MediaServer for Sfu {
    async fn join(
        &self,
        call: &CallId,
        session: &SessionId,
        offer: &str,
    ) -> Result<String, String> {
        let first = self
            .0
            .add_participant(room(call), participant(session), offer.to_owned())
            .await;
        match first {
            // A new offer from a session already in the room (its page was
            // reloaded): it replaces the old connection, but only if it
            // parses, so a bad one cannot cut off a live participant.
            Err(hippo_media::MediaError::AlreadyJoined) => {
                hippo_media::check_offer(offer).map_err(|e| e.to_string())?;
                let _ = self
                    .0
                    .remove_participant(room(call), participant(session))
                    .await;
                self.0
                    .add_participant(room(call), participant(session), offer.to_owned())
                    .await
                    .map_err(|e| e.to_string())
            }
            other => other.map_err(|e| e.to_string()),
        }
    }

    async fn answer(&self, call: &CallId, session: &SessionId, answer: &str) -> Result<(), String> {
        self.0
            .apply_answer(room(call), participant(session), answer.to_owned())
            .await
            .map_err(|e| e.to_string())
    }

    async fn remove(&self, call: &CallId, session: &SessionId) {
        // Not in the room (it never offered): nothing to take out.
        let _ = self
            .0
            .remove_participant(room(call), participant(session))
            .await;
    }
}

/// Binds the SFU on `listen` (telling clients `public`, or `listen` itself)
/// and attaches it to the calls service. Returns the address clients use.
pub async fn start(
    hippo: &Arc<Hippo>,
    listen: SocketAddr,
    public: Option<SocketAddr>,
) -> anyhow::Result<SocketAddr> {
    let public = public.unwrap_or(listen);
    if public.ip().is_unspecified() {
        anyhow::bail!(
            "media_listen {listen} is a wildcard address: set media_public_addr to the address clients reach the SFU on"
        );
    }
    let (handle, mut events) = hippo_media::spawn_udp(listen, public)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind the media port {listen}/udp: {e}"))?;
    let public = handle.public_addr();
    hippo.calls().attach_media(Arc::new(Sfu(handle)));
    let hippo = hippo.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let done = match event {
                Event::Offer {
                    room,
                    participant,
                    sdp,
                } => hippo.calls().sfu_offer(&room.0, &participant.0, sdp).await,
                Event::Left {
                    room,
                    participant,
                    reason,
                } => {
                    let why = match reason {
                        LeaveReason::ConnectTimeout => "media never connected",
                        LeaveReason::Disconnected => "media connection lost",
                        LeaveReason::Failed => "media connection closed or failed",
                    };
                    hippo
                        .calls()
                        .sfu_dropped(&room.0, &participant.0, why)
                        .await
                }
                Event::Connected { .. } => Ok(()),
            };
            if let Err(e) = done {
                tracing::warn!(error = %e, "handling a media server event failed");
            }
        }
    });
    Ok(public)
}
