//! The test harness lives in `hippo-testkit` (shared by every crate's
//! tests); this module re-exports it so the tests say `crate::support::…`.

pub use hippo_testkit::*;
