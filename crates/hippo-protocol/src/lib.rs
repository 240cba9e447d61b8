//! hippo's real-time protocol, declared once: every frame a server sends
//! ([`ServerFrame`]) and every frame a client may send ([`ClientFrame`]) on
//! `GET /api/v1/stream`, and the views they carry ([`views`]). The socket
//! hub, the cluster codec, the load generator and the published AsyncAPI
//! document ([`asyncapi::document`]) all use these types, so a new frame is
//! one new variant.
//!
//! Frames are JSON objects with a `type`. A client frame that does not
//! parse is answered with [`ServerFrame::Error`] and the socket stays open.

pub mod asyncapi;
pub mod enums;
pub mod frames;
pub mod views;

pub use frames::{Audience, ClientFrame, ServerFrame, SessionEndReason};
pub use views::{
    AttachmentResponse, CallParticipantResponse, CallResponse, CandidatePayload,
    ChannelStatusResponse, ConversationResponse, MemberResponse, MessageResponse, SdpPayload,
};
