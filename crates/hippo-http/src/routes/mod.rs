//! One module per resource. A handler parses, calls one service function
//! and shapes the response.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod break_glass;
pub mod conversations;
pub mod health;
pub mod me;
pub mod messages;
pub mod patients;
pub mod users;
pub mod wire;
