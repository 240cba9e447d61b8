//! hippo's selective forwarding unit (SFU) for group calls.
//!
//! A call with three or more participants sends its media through hippo: each
//! participant's client keeps one WebRTC connection to the SFU, publishes its
//! own Opus audio and VP8 video on it, and receives every other participant's
//! tracks on the same connection. Media is forwarded without decoding
//! (str0m's frame API: depacketised, then packetised again for each
//! subscriber).
//!
//! The crate knows nothing of users, storage or audit: `hippo-service` decides
//! who may join a room and relays the signalling. It has two layers:
//!
//! - [`Sfu`] (`sfu.rs`, `participant.rs`): the sans-IO core, built on
//!   [str0m](https://docs.rs/str0m). It owns no socket and reads no clock;
//!   datagrams and the time come in through [`Sfu::handle_input`] and
//!   [`Sfu::poll_output`], datagrams to send and [`Event`]s come out of
//!   [`Sfu::poll_output`]. It is deterministic for a given sequence of
//!   inputs, so the tests drive it with a simulated clock and no sockets.
//! - [`spawn_udp`] (`driver.rs`): the I/O driver, the core on one tokio
//!   `UdpSocket` (one port for every participant), commanded through an
//!   [`SfuHandle`].
//!
//! Signalling: hippo is always the answerer of a participant's first offer
//! ([`Sfu::add_participant`] returns the answer). When the tracks a
//! participant should receive change (someone joins or leaves), the SFU makes
//! an offer to that participant ([`Event::Offer`], which the server forwards
//! as a `call.signal` with `from_session` `"sfu"`); the client's answer comes
//! back through [`Sfu::apply_answer`]. Each track the SFU sends carries the
//! publishing participant's id as its stream id (`a=msid`), so a client can
//! tell whose video it is.
//!
//! SDP carries IP addresses, ICE credentials and DTLS fingerprints: this
//! crate never logs it.
//!
//! The SFU is ICE-lite (it has a public address; clients do the checks, so
//! their candidates need not be relayed to it) and offers only Opus and VP8.
//! Not yet done: simulcast (frames with a RID are not forwarded: a client
//! publishes one layer), ICE over TCP, ICE restarts, offers from a client
//! after its first (its later tracks, e.g. a screen share), and using
//! `recvonly` transceivers of the first offer (they stay unused: what a
//! client receives always comes through the SFU's offers).

mod driver;
mod error;
mod participant;
mod sfu;

use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

pub use driver::{SfuHandle, spawn_udp};

/// Whether `sdp` parses as an offer, without touching any room: a server
/// checks a second offer from a participant this way before it replaces
/// the participant's connection.
pub fn check_offer(sdp: &str) -> Result<(), MediaError> {
    str0m::change::SdpOffer::from_sdp_string(sdp)
        .map(|_| ())
        .map_err(|_| MediaError::BadSdp)
}
pub use error::MediaError;
pub use sfu::Sfu;

/// A room: the participants that receive each other's media (one call).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoomId(pub String);

/// One participant of a room (for hippo: one joined session of a call).
///
/// Other participants see it as the stream id of its tracks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParticipantId(pub String);

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RoomId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<&str> for ParticipantId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// What the core asks of its driver, from [`Sfu::poll_output`].
#[derive(Debug)]
pub enum Output {
    /// Send these bytes to this address, from the SFU's one socket.
    Transmit(SocketAddr, Vec<u8>),
    /// Nothing more to do until this instant (or until the next input): call
    /// [`Sfu::poll_output`] again then.
    Timeout(Instant),
    /// Something the server should know about.
    Event(Event),
}

/// What happened in a room, for the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An offer for `participant` (the tracks it receives changed): forward it
    /// to that participant (from session `"sfu"`) and give its answer to
    /// [`Sfu::apply_answer`]. A participant has at most one offer pending;
    /// further changes wait for its answer.
    Offer {
        room: RoomId,
        participant: ParticipantId,
        sdp: String,
    },
    /// The participant's connection is up (ICE and DTLS): media flows.
    Connected {
        room: RoomId,
        participant: ParticipantId,
    },
    /// The SFU dropped the participant (the server did not ask for it); the
    /// others keep flowing and are sent offers without its tracks.
    Left {
        room: RoomId,
        participant: ParticipantId,
        reason: LeaveReason,
    },
}

/// Why the SFU dropped a participant by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveReason {
    /// It did not connect within [`Sfu::CONNECT_TIMEOUT`] of joining.
    ConnectTimeout,
    /// Its connection was lost for longer than [`Sfu::DISCONNECT_GRACE`].
    Disconnected,
    /// Its connection failed (a DTLS or protocol error).
    Failed,
}
