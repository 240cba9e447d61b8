//! Governance: emergency access (break-glass), retention and legal hold,
//! erasure, and the backup key files that carry erasure into older backups.

pub mod break_glass;
pub mod retention;

pub use break_glass::BreakGlassGrant;
pub use retention::{RetentionReport, ShredReport, parse_retention};

use crate::core::Core;
use std::sync::Arc;

/// Break-glass, retention, legal hold, erasure and backup key files
/// (`hippo.governance()`).
#[derive(Debug, Clone)]
pub struct Governance {
    core: Arc<Core>,
}

impl Governance {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }
}
