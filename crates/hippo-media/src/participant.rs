//! One participant of a room: its str0m `Rtc`, the tracks it publishes
//! ([`TrackIn`]), the tracks the SFU sends it ([`TrackOut`]) and the offers
//! that keep the second list negotiated.
//!
//! A participant is driven by its room ([`Participant::drive`]); what it
//! produces that concerns the others comes back as [`Note`]s, and the room
//! routes them (`sfu.rs`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::{Event as RtcEvent, IceConnectionState, Input, Output as RtcOutput, Rtc};

use crate::{LeaveReason, MediaError, ParticipantId};

/// Subscribers' and loss-driven keyframe requests reach a publisher at most
/// this often per track (a keyframe is large; one serves everyone).
const KEYFRAME_THROTTLE: Duration = Duration::from_millis(500);

/// A track the participant publishes (an m-line of its own offer).
#[derive(Debug)]
pub(crate) struct TrackIn {
    pub(crate) mid: Mid,
    pub(crate) kind: MediaKind,
    last_keyframe_request: Option<Instant>,
}

/// Where a forwarded track stands in the offer/answer with its subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrackOutState {
    /// Wanted; not yet in an offer.
    ToOpen,
    /// In the pending offer as this m-line.
    Negotiating(Mid),
    /// Answered: media is written to this m-line.
    Open(Mid),
    /// Its publisher left: to be stopped in the next offer.
    ToStop(Mid),
    /// Being stopped by the pending offer.
    NegotiatingStop(Mid),
}

/// Another participant's track, as the SFU sends it to this participant.
#[derive(Debug)]
pub(crate) struct TrackOut {
    pub(crate) source: ParticipantId,
    pub(crate) source_mid: Mid,
    pub(crate) kind: MediaKind,
    pub(crate) state: TrackOutState,
    /// The publisher left while the track was in an offer: stop it once
    /// answered.
    pub(crate) orphaned: bool,
    /// The track just opened: its publisher owes this subscriber a keyframe.
    pub(crate) wants_keyframe: bool,
}

impl TrackOut {
    fn mid(&self) -> Option<Mid> {
        match self.state {
            TrackOutState::ToOpen => None,
            TrackOutState::Negotiating(m)
            | TrackOutState::Open(m)
            | TrackOutState::ToStop(m)
            | TrackOutState::NegotiatingStop(m) => Some(m),
        }
    }
}

/// What driving a participant produced.
#[derive(Debug)]
pub(crate) enum Note {
    /// A datagram for the participant's client.
    Transmit(SocketAddr, Vec<u8>),
    /// An offer for the participant (its received tracks changed).
    Offer(String),
    /// Its connection came up.
    Connected,
    /// It started publishing a track: the others should receive it.
    TrackOpen { mid: Mid, kind: MediaKind },
    /// A frame of one of its tracks, for the others (boxed: a frame's
    /// metadata is large beside the other notes).
    Media(Box<MediaData>),
    /// It asks for a keyframe of `source`'s track `mid`.
    KeyframeRequest { source: ParticipantId, mid: Mid },
}

/// One participant: a str0m `Rtc` and its tracks.
pub(crate) struct Participant {
    rtc: Rtc,
    pending: Option<SdpPendingOffer>,
    pub(crate) tracks_in: Vec<TrackIn>,
    pub(crate) tracks_out: Vec<TrackOut>,
    joined_at: Instant,
    connected: bool,
    disconnected_since: Option<Instant>,
    next_timeout: Instant,
    /// Something reached the `Rtc` since it was last polled (a datagram, a
    /// frame to forward, an SDP change): poll it even if not yet due.
    dirty: bool,
    pub(crate) dead: Option<LeaveReason>,
}

impl Participant {
    pub(crate) fn new(rtc: Rtc, now: Instant) -> Self {
        Self {
            rtc,
            pending: None,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            joined_at: now,
            connected: false,
            disconnected_since: None,
            next_timeout: now,
            dirty: true,
            dead: None,
        }
    }

    /// Whether this participant's connection takes the datagram.
    pub(crate) fn accepts(&self, input: &Input<'_>) -> bool {
        self.dead.is_none() && self.rtc.accepts(input)
    }

    /// Gives the participant's `Rtc` a datagram it accepted.
    pub(crate) fn handle_input(&mut self, input: Input<'_>) {
        if self.dead.is_some() {
            return;
        }
        self.dirty = true;
        if let Err(e) = self.rtc.handle_input(input) {
            self.fail(&e);
        }
    }

    /// When the participant next needs driving.
    pub(crate) fn deadline(&self) -> Instant {
        let mut at = self.next_timeout;
        if !self.connected {
            at = at.min(self.joined_at + crate::Sfu::CONNECT_TIMEOUT);
        }
        if let Some(since) = self.disconnected_since {
            at = at.min(since + crate::Sfu::DISCONNECT_GRACE);
        }
        at
    }

    /// Advances the participant to `now` (when `feed_time` and it is due),
    /// polls its `Rtc` until it waits, and makes an offer if its received
    /// tracks changed. Returns whether it produced anything.
    pub(crate) fn drive(&mut self, now: Instant, feed_time: bool, notes: &mut Vec<Note>) -> bool {
        if self.dead.is_some() || (!self.dirty && self.deadline() > now) {
            return false;
        }
        self.dirty = false;
        let before = notes.len();
        if feed_time
            && self.next_timeout <= now
            && let Err(e) = self.rtc.handle_input(Input::Timeout(now))
        {
            self.fail(&e);
            return true;
        }
        loop {
            match self.rtc.poll_output() {
                Ok(RtcOutput::Timeout(at)) => {
                    self.next_timeout = at;
                    break;
                }
                Ok(RtcOutput::Transmit(t)) => {
                    notes.push(Note::Transmit(t.destination, t.contents.to_vec()));
                }
                Ok(RtcOutput::Event(event)) => self.handle_event(event, now, notes),
                Err(e) => {
                    self.fail(&e);
                    return true;
                }
            }
        }
        if !self.rtc.is_alive() {
            self.dead = Some(LeaveReason::Failed);
            return true;
        }
        if !self.connected && self.rtc.is_connected() {
            self.connected = true;
            notes.push(Note::Connected);
        }
        if !self.connected && now >= self.joined_at + crate::Sfu::CONNECT_TIMEOUT {
            self.dead = Some(LeaveReason::ConnectTimeout);
            return true;
        }
        if self
            .disconnected_since
            .is_some_and(|since| now >= since + crate::Sfu::DISCONNECT_GRACE)
        {
            self.dead = Some(LeaveReason::Disconnected);
            return true;
        }
        // Offers wait for the connection: by then the client has applied
        // our answer, so an offer cannot cross its own.
        if self.connected
            && let Some(sdp) = self.negotiate_if_needed()
        {
            notes.push(Note::Offer(sdp));
        }
        notes.len() > before
    }

    fn fail(&mut self, error: &str0m::RtcError) {
        tracing::info!(error = %error, "media participant failed");
        self.rtc.disconnect();
        self.dead = Some(LeaveReason::Failed);
    }

    fn handle_event(&mut self, event: RtcEvent, now: Instant, notes: &mut Vec<Note>) {
        match event {
            RtcEvent::IceConnectionStateChange(state) => match state {
                // Before the first connection, the connect timeout rules.
                IceConnectionState::Disconnected if self.connected => {
                    self.disconnected_since.get_or_insert(now);
                }
                IceConnectionState::Connected | IceConnectionState::Completed => {
                    self.disconnected_since = None;
                }
                _ => {}
            },
            RtcEvent::MediaAdded(added) => {
                // Only the participant's own offer adds media (str0m raises no
                // event for the m-lines the SFU adds); keep what it sends.
                let media = matches!(added.kind, MediaKind::Audio | MediaKind::Video);
                if media && added.direction.is_receiving() {
                    self.tracks_in.push(TrackIn {
                        mid: added.mid,
                        kind: added.kind,
                        last_keyframe_request: None,
                    });
                    notes.push(Note::TrackOpen {
                        mid: added.mid,
                        kind: added.kind,
                    });
                }
            }
            RtcEvent::MediaData(data) => {
                // Simulcast layers are not forwarded: one layer per track.
                if data.rid.is_some() {
                    return;
                }
                if !data.contiguous {
                    self.request_keyframe(data.mid, now, true);
                }
                notes.push(Note::Media(Box::new(data)));
            }
            RtcEvent::KeyframeRequest(request) => {
                if let Some(track) = self
                    .tracks_out
                    .iter()
                    .find(|t| t.mid() == Some(request.mid))
                {
                    notes.push(Note::KeyframeRequest {
                        source: track.source.clone(),
                        mid: track.source_mid,
                    });
                }
            }
            _ => {}
        }
    }

    /// Asks the participant's client for a keyframe of its track `mid` (PLI,
    /// or FIR where only that was negotiated). `throttle` skips the request
    /// when one went out within [`KEYFRAME_THROTTLE`]. Returns whether the
    /// request went out (or was not needed: audio, throttled).
    pub(crate) fn request_keyframe(&mut self, mid: Mid, now: Instant, throttle: bool) -> bool {
        let Some(track) = self.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return true;
        };
        if track.kind != MediaKind::Video {
            return true;
        }
        let recent = track
            .last_keyframe_request
            .is_some_and(|at| now.saturating_duration_since(at) < KEYFRAME_THROTTLE);
        if throttle && recent {
            return true;
        }
        let Some(mut writer) = self.rtc.writer(mid) else {
            return false;
        };
        let kind = if writer.is_request_keyframe_possible(KeyframeRequestKind::Pli) {
            KeyframeRequestKind::Pli
        } else if writer.is_request_keyframe_possible(KeyframeRequestKind::Fir) {
            KeyframeRequestKind::Fir
        } else {
            return false;
        };
        // Fails until the publisher's stream has been seen: asked again later.
        if writer.request_keyframe(None, kind).is_err() {
            return false;
        }
        track.last_keyframe_request = Some(now);
        self.dirty = true;
        true
    }

    /// Writes another participant's frame to the matching open track.
    pub(crate) fn forward(&mut self, source: &ParticipantId, data: &MediaData) {
        if !self.connected {
            return;
        }
        let Some(mid) = self
            .tracks_out
            .iter()
            .find(|t| &t.source == source && t.source_mid == data.mid)
            .and_then(|t| match t.state {
                TrackOutState::Open(m) => Some(m),
                _ => None,
            })
        else {
            return;
        };
        let Some(writer) = self.rtc.writer(mid) else {
            return;
        };
        // The subscriber's payload type for the publisher's codec.
        let Some(pt) = writer.match_params(data.params) else {
            return;
        };
        self.dirty = true;
        if let Err(e) = writer.write(pt, data.network_time, data.time, data.data.clone()) {
            tracing::debug!(error = %e, "frame not forwarded");
        }
    }

    /// Starts sending `source`'s track to this participant.
    pub(crate) fn subscribe(&mut self, source: &ParticipantId, mid: Mid, kind: MediaKind) {
        self.dirty = true;
        self.tracks_out.push(TrackOut {
            source: source.clone(),
            source_mid: mid,
            kind,
            state: TrackOutState::ToOpen,
            orphaned: false,
            wants_keyframe: false,
        });
    }

    /// Stops sending every track of `source` (it left).
    pub(crate) fn unsubscribe(&mut self, source: &ParticipantId) {
        self.dirty = true;
        self.tracks_out.retain_mut(|t| {
            if &t.source != source {
                return true;
            }
            match t.state {
                TrackOutState::ToOpen => return false,
                TrackOutState::Negotiating(_) => t.orphaned = true,
                TrackOutState::Open(m) => t.state = TrackOutState::ToStop(m),
                TrackOutState::ToStop(_) | TrackOutState::NegotiatingStop(_) => {}
            }
            true
        });
    }

    /// Whether the connection is up.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected
    }

    fn negotiate_if_needed(&mut self) -> Option<String> {
        if self.pending.is_some() {
            return None;
        }
        let mut change = self.rtc.sdp_api();
        for track in &mut self.tracks_out {
            match track.state {
                TrackOutState::ToOpen => {
                    let stream_id = Some(track.source.0.clone());
                    let mid =
                        change.add_media(track.kind, Direction::SendOnly, stream_id, None, None);
                    track.state = TrackOutState::Negotiating(mid);
                }
                TrackOutState::ToStop(mid) => {
                    change.stop_media(mid);
                    track.state = TrackOutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        if !change.has_changes() {
            return None;
        }
        let (offer, pending) = change.apply()?;
        self.pending = Some(pending);
        Some(offer.to_sdp_string())
    }

    /// Takes the client's answer to the pending offer.
    pub(crate) fn apply_answer(&mut self, answer_sdp: &str) -> Result<(), MediaError> {
        let answer = SdpAnswer::from_sdp_string(answer_sdp).map_err(|_| MediaError::BadSdp)?;
        let pending = self.pending.take().ok_or(MediaError::NoPendingOffer)?;
        self.dirty = true;
        if let Err(e) = self.rtc.sdp_api().accept_answer(pending, answer) {
            // The offer is void: its changes go into the next one.
            for track in &mut self.tracks_out {
                track.state = match track.state {
                    TrackOutState::Negotiating(_) => TrackOutState::ToOpen,
                    TrackOutState::NegotiatingStop(m) => TrackOutState::ToStop(m),
                    other => other,
                };
            }
            self.tracks_out
                .retain(|t| !(t.orphaned && t.state == TrackOutState::ToOpen));
            return Err(MediaError::Refused(e.to_string()));
        }
        for track in &mut self.tracks_out {
            if let TrackOutState::Negotiating(m) = track.state {
                if track.orphaned {
                    track.state = TrackOutState::ToStop(m);
                } else {
                    track.state = TrackOutState::Open(m);
                    track.wants_keyframe = track.kind == MediaKind::Video;
                }
            }
        }
        // A stopped m-line is recycled by a later offer.
        self.tracks_out
            .retain(|t| !matches!(t.state, TrackOutState::NegotiatingStop(_)));
        Ok(())
    }
}
