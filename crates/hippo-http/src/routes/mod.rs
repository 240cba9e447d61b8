//! One module per resource. A handler parses, calls one service function
//! and shapes the response; each module's `routes()` registers its handlers
//! by their `#[utoipa::path]`, the one place a route's method and path are
//! written.

pub mod api_keys;
pub mod attachments;
pub mod audit;
pub mod audit_proofs;
pub mod auth;
pub mod break_glass;
pub mod calls;
pub mod compliance;
pub mod conversations;
pub mod directory;
pub mod enums;
pub mod evidence;
pub mod evidence_html;
pub mod fhir;
pub mod health;
pub mod incidents;
pub mod me;
pub mod messages;
pub mod page;
pub mod patient_export;
pub mod patients;
pub mod users;
pub mod webhooks;
pub mod whatsapp;
pub mod wire;
