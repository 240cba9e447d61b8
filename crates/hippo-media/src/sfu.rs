//! The sans-IO core: rooms of participants, datagram routing and media
//! forwarding between them.
//!
//! [`Sfu`] owns no socket and reads no clock. The driver (or a test) feeds it
//! datagrams ([`Sfu::handle_input`]) and the time, and sends what
//! [`Sfu::poll_output`] returns. Rooms and participants are kept in ordered
//! maps, so the same inputs give the same outputs in the same order.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::crypto::CryptoProvider;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Input, Rtc};

use crate::participant::{Note, Participant};
use crate::{Event, MediaError, Output, ParticipantId, RoomId};

/// When nothing is going on, how long the driver may sleep.
const IDLE: Duration = Duration::from_secs(1);

/// The selective forwarding unit: every room on this node.
pub struct Sfu {
    public_addr: SocketAddr,
    crypto: Arc<CryptoProvider>,
    rooms: BTreeMap<RoomId, Room>,
    queue: VecDeque<Output>,
    /// Which participant last took datagrams from an address (checked with
    /// `accepts` before use; a miss falls back to asking everyone).
    routes: HashMap<SocketAddr, (RoomId, ParticipantId)>,
}

#[derive(Default)]
struct Room {
    participants: BTreeMap<ParticipantId, Participant>,
}

impl Sfu {
    /// A participant that has not connected this long after joining is
    /// dropped ([`crate::LeaveReason::ConnectTimeout`]).
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
    /// A participant whose connection stays lost this long is dropped
    /// ([`crate::LeaveReason::Disconnected`]).
    pub const DISCONNECT_GRACE: Duration = Duration::from_secs(10);

    /// An SFU whose one UDP socket clients reach at `public_addr` (its only
    /// ICE candidate).
    pub fn new(public_addr: SocketAddr) -> Self {
        Self {
            public_addr,
            crypto: Arc::new(str0m::crypto::from_feature_flags()),
            rooms: BTreeMap::new(),
            queue: VecDeque::new(),
            routes: HashMap::new(),
        }
    }

    /// The address clients send to.
    pub fn public_addr(&self) -> SocketAddr {
        self.public_addr
    }

    /// The participants of a room, in order (none for an unknown room).
    pub fn participants(&self, room: &RoomId) -> Vec<ParticipantId> {
        self.rooms
            .get(room)
            .map(|r| r.participants.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether a participant's connection is up.
    pub fn is_connected(&self, room: &RoomId, participant: &ParticipantId) -> bool {
        self.rooms
            .get(room)
            .and_then(|r| r.participants.get(participant))
            .is_some_and(Participant::is_connected)
    }

    /// Adds a participant from its client's offer (its own audio and video
    /// to send) and returns hippo's answer. The tracks of the others reach it
    /// in a later [`Event::Offer`], once it has connected; its tracks reach
    /// the others the same way.
    pub fn add_participant(
        &mut self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: &str,
        now: Instant,
    ) -> Result<String, MediaError> {
        if self
            .rooms
            .get(&room)
            .is_some_and(|r| r.participants.contains_key(&participant))
        {
            return Err(MediaError::AlreadyJoined);
        }
        let offer = SdpOffer::from_sdp_string(offer_sdp).map_err(|_| MediaError::BadSdp)?;
        let candidate = Candidate::host(self.public_addr, "udp")
            .map_err(|e| MediaError::Address(e.to_string()))?;
        let mut rtc = Rtc::builder()
            .set_crypto_provider(self.crypto.clone())
            // The SFU has a public address: the client does the checks.
            .set_ice_lite(true)
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(now);
        if rtc.add_local_candidate(candidate).is_none() {
            return Err(MediaError::Address("refused as a local candidate".into()));
        }
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| MediaError::Refused(e.to_string()))?;
        let mut joiner = Participant::new(rtc, now);
        let room_entry = self.rooms.entry(room).or_default();
        for (id, other) in &room_entry.participants {
            for track in &other.tracks_in {
                joiner.subscribe(id, track.mid, track.kind);
            }
        }
        room_entry.participants.insert(participant, joiner);
        Ok(answer.to_sdp_string())
    }

    /// Takes a participant's answer to the SFU's last [`Event::Offer`].
    pub fn apply_answer(
        &mut self,
        room: &RoomId,
        participant: &ParticipantId,
        answer_sdp: &str,
    ) -> Result<(), MediaError> {
        self.participant_mut(room, participant)?
            .apply_answer(answer_sdp)
    }

    /// Removes a participant (it hung up, or the server ended its part). The
    /// others stop receiving its tracks through a new offer each.
    pub fn remove_participant(
        &mut self,
        room: &RoomId,
        participant: &ParticipantId,
    ) -> Result<(), MediaError> {
        let entry = self
            .rooms
            .get_mut(room)
            .ok_or(MediaError::UnknownParticipant)?;
        entry
            .participants
            .remove(participant)
            .ok_or(MediaError::UnknownParticipant)?;
        for other in entry.participants.values_mut() {
            other.unsubscribe(participant);
        }
        if entry.participants.is_empty() {
            self.rooms.remove(room);
        }
        self.routes
            .retain(|_, (r, p)| !(r == room && p == participant));
        Ok(())
    }

    /// Routes one datagram received on the SFU's socket to the participant
    /// whose connection accepts it.
    pub fn handle_input(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        bytes: &[u8],
        now: Instant,
    ) -> Result<(), MediaError> {
        let receive = Receive::new(Protocol::Udp, source, destination, bytes)
            .map_err(|_| MediaError::NotWebRtc)?;
        let input = Input::Receive(now, receive);
        let cached = self.routes.get(&source).cloned();
        if let Some((room, id)) = cached
            && let Some(p) = self
                .rooms
                .get_mut(&room)
                .and_then(|r| r.participants.get_mut(&id))
            && p.accepts(&input)
        {
            p.handle_input(input);
            return Ok(());
        }
        for (room_id, room) in &mut self.rooms {
            for (id, p) in &mut room.participants {
                if p.accepts(&input) {
                    p.handle_input(input);
                    self.routes.insert(source, (room_id.clone(), id.clone()));
                    return Ok(());
                }
            }
        }
        Err(MediaError::Unroutable)
    }

    /// The next thing to do: a datagram to send, an event for the server, or
    /// the instant to call again at (sooner if an input comes).
    pub fn poll_output(&mut self, now: Instant) -> Output {
        if let Some(output) = self.queue.pop_front() {
            return output;
        }
        let mut feed_time = true;
        loop {
            let progressed = self.drive(now, feed_time);
            feed_time = false;
            if let Some(output) = self.queue.pop_front() {
                return output;
            }
            if !progressed {
                return Output::Timeout(self.deadline(now));
            }
        }
    }

    fn deadline(&self, now: Instant) -> Instant {
        self.rooms
            .values()
            .flat_map(|r| r.participants.values())
            .map(Participant::deadline)
            .min()
            .unwrap_or(now + IDLE)
    }

    fn participant_mut(
        &mut self,
        room: &RoomId,
        participant: &ParticipantId,
    ) -> Result<&mut Participant, MediaError> {
        self.rooms
            .get_mut(room)
            .and_then(|r| r.participants.get_mut(participant))
            .ok_or(MediaError::UnknownParticipant)
    }

    /// Drives every participant once and routes what they produced.
    fn drive(&mut self, now: Instant, feed_time: bool) -> bool {
        let mut progressed = false;
        let mut gone = Vec::new();
        for (room_id, room) in &mut self.rooms {
            progressed |= room.drive(room_id, now, feed_time, &mut self.queue);
            for (id, p) in &room.participants {
                if let Some(reason) = p.dead {
                    gone.push((room_id.clone(), id.clone(), reason));
                }
            }
        }
        for (room, participant, reason) in gone {
            progressed = true;
            if self.remove_participant(&room, &participant).is_ok() {
                self.queue.push_back(Output::Event(Event::Left {
                    room,
                    participant,
                    reason,
                }));
            }
        }
        progressed
    }
}

impl Room {
    fn drive(
        &mut self,
        room_id: &RoomId,
        now: Instant,
        feed_time: bool,
        queue: &mut VecDeque<Output>,
    ) -> bool {
        let mut progressed = false;
        let mut routed = Vec::new();
        for (id, p) in &mut self.participants {
            let mut notes = Vec::new();
            progressed |= p.drive(now, feed_time, &mut notes);
            for note in notes {
                match note {
                    Note::Transmit(to, bytes) => queue.push_back(Output::Transmit(to, bytes)),
                    Note::Offer(sdp) => queue.push_back(Output::Event(Event::Offer {
                        room: room_id.clone(),
                        participant: id.clone(),
                        sdp,
                    })),
                    Note::Connected => queue.push_back(Output::Event(Event::Connected {
                        room: room_id.clone(),
                        participant: id.clone(),
                    })),
                    other => routed.push((id.clone(), other)),
                }
            }
        }
        progressed |= !routed.is_empty();
        for (from, note) in routed {
            self.route(&from, note, now);
        }
        progressed | self.request_join_keyframes(now)
    }

    /// Hands what one participant produced to the others.
    fn route(&mut self, from: &ParticipantId, note: Note, now: Instant) {
        match note {
            Note::TrackOpen { mid, kind } => {
                let Some(track) = self
                    .participants
                    .get(from)
                    .and_then(|p| p.tracks_in.iter().find(|t| t.mid == mid && t.kind == kind))
                    .map(|t| (t.mid, t.kind))
                else {
                    return;
                };
                for (id, other) in &mut self.participants {
                    if id != from {
                        other.subscribe(from, track.0, track.1);
                    }
                }
            }
            Note::Media(data) => {
                for (id, other) in &mut self.participants {
                    if id != from {
                        other.forward(from, &data);
                    }
                }
            }
            Note::KeyframeRequest { source, mid, .. } => {
                if let Some(publisher) = self.participants.get_mut(&source) {
                    publisher.request_keyframe(mid, now, true);
                }
            }
            Note::Transmit(..) | Note::Offer(_) | Note::Connected => {}
        }
    }

    /// For each track that just opened to a connected subscriber, asks its
    /// publisher for a keyframe (unthrottled: the subscriber has none yet).
    fn request_join_keyframes(&mut self, now: Instant) -> bool {
        let mut wanted = Vec::new();
        for (id, p) in &self.participants {
            if !p.is_connected() {
                continue;
            }
            for track in p.tracks_out.iter().filter(|t| t.wants_keyframe) {
                wanted.push((id.clone(), track.source.clone(), track.source_mid));
            }
        }
        let mut progressed = false;
        for (subscriber, source, mid) in wanted {
            let sent = self
                .participants
                .get_mut(&source)
                .is_some_and(|p| p.request_keyframe(mid, now, false));
            if !sent {
                continue;
            }
            progressed = true;
            if let Some(track) = self.participants.get_mut(&subscriber).and_then(|p| {
                p.tracks_out
                    .iter_mut()
                    .find(|t| t.source == source && t.source_mid == mid)
            }) {
                track.wants_keyframe = false;
            }
        }
        progressed
    }
}
