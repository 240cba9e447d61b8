//! hippo-media's one integration test binary: the SFU with in-memory str0m
//! clients on a simulated clock (`harness.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod calls;
mod driver;
mod errors;
mod harness;
