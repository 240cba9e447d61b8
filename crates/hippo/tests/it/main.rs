//! hippo's integration tests: the real HTTP stack over TLS, the real store
//! (SQLite, or PostgreSQL with HIPPO_TEST_DATABASE=postgres), a fake clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::type_complexity,
    reason = "integration tests: a failed step should panic with its message"
)]

mod access_cache;
mod activity_hours;
mod activity_review;
mod admin_sessions;
mod alerts;
mod api_keys;
mod at_rest;
mod audit;
mod audit_tree;
mod auth;
mod backup;
mod break_glass;
mod browser;
mod calls;
mod cli;
mod cluster;
mod completeness;
mod compliance;
mod crash;
mod directory;
mod fhir;
mod fhir_r4;
mod files;
mod http;
mod incidents;
mod keys;
mod lists;
mod messaging;
mod observability;
mod passwords;
mod patient_export;
mod patient_lookup;
mod rejections;
mod retention;
mod sandbox;
mod slow_clients;
mod stream;
mod support;
mod unauthenticated;
mod users;
mod webhook_receiver;
mod webhooks;
mod webhooks_durable;
mod whatsapp;
