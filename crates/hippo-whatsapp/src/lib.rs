//! WhatsApp Cloud API connector for hippo: the wire formats, a client for
//! sending messages, listing templates and fetching inbound media, webhook
//! signature checks and payload parsing, and (feature `fake`) a stand-in
//! for Meta's servers that end-to-end tests talk to over real HTTP.
//!
//! This crate knows nothing of hippo's domain: it speaks Meta's formats and
//! hands back plain values. Nothing here logs message bodies, phone numbers
//! or tokens.

mod client;
mod error;
mod signature;
mod webhook;
mod wire;

#[cfg(feature = "fake")]
mod fake;

pub use client::{
    Accepted, CloudApi, CloudApiConfig, DEFAULT_API_BASE, DEFAULT_API_VERSION, MediaInfo,
    OutboundMessage, Template,
};
pub use error::{ApiError, ErrorClass, classify};
pub use signature::{sign, verify_signature};
pub use webhook::{
    DeliveryStatus, EventError, InboundContent, InboundMessage, StatusUpdate, WebhookEvent,
    WebhookParseError, parse_webhook,
};

#[cfg(feature = "fake")]
pub use fake::{FakeCloudApi, FakeConfig, FakeFailure, SentRecord};
