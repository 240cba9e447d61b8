//! The crate's single integration test binary: samples, signatures, error
//! classes, and (feature `fake`) the client and webhooks against the fake
//! Cloud API over real HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "integration tests: a failed step should panic with its message"
)]

mod classify;
mod samples;
mod signature;

#[cfg(feature = "fake")]
mod client;
#[cfg(feature = "fake")]
mod fake_webhooks;
#[cfg(feature = "fake")]
mod support;
