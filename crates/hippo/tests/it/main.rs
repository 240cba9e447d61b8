//! hippo's integration tests: the real HTTP stack over TLS, the real store
//! (SQLite, or PostgreSQL with HIPPO_TEST_DATABASE=postgres), a fake clock.

mod at_rest;
mod auth;
mod cli;
mod http;
mod support;
mod users;
