//! The one error type of the crate.
//!
//! Details never carry SDP (addresses, ICE credentials): only what was wrong.

/// Why the SFU refused an input or a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The SDP did not parse (no detail: the text may hold addresses).
    #[error("the session description does not parse")]
    BadSdp,
    /// The SDP parsed but str0m would not accept it (no usable media, bad
    /// fingerprint, changed m-line order, …).
    #[error("the session description was refused: {0}")]
    Refused(String),
    /// The participant is already in the room.
    #[error("the participant is already in this room")]
    AlreadyJoined,
    /// No such participant in that room.
    #[error("no such participant in this room")]
    UnknownParticipant,
    /// An answer came but the SFU has no offer out to that participant.
    #[error("no offer is pending for this participant")]
    NoPendingOffer,
    /// The datagram is none of STUN, DTLS, RTP or RTCP.
    #[error("the datagram is not WebRTC traffic")]
    NotWebRtc,
    /// No participant's connection accepts the datagram (unknown sender, or
    /// STUN for credentials nobody has).
    #[error("no participant accepts the datagram")]
    Unroutable,
    /// The SFU's public address cannot be a host candidate (unspecified, …).
    #[error("the public address is not usable as a candidate: {0}")]
    Address(String),
    /// The driver has stopped (its task ended).
    #[error("the media driver has stopped")]
    Stopped,
}
