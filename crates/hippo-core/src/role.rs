//! Roles and the pure access rules that depend only on a role.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What an account is for. Least privilege: an administrator manages accounts
/// but never reads messages; an auditor reads the trail but never content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Clinician,
    Staff,
    Auditor,
    Service,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Clinician,
        Role::Staff,
        Role::Auditor,
        Role::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clinician => "clinician",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
            Role::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// May manage accounts (create, change role, reset, deactivate).
    pub fn can_manage_users(self) -> bool {
        matches!(self, Role::Admin)
    }

    /// May read and send messages in conversations it is a member of.
    pub fn can_message(self) -> bool {
        matches!(self, Role::Clinician | Role::Staff | Role::Service)
    }

    /// May read the audit trail.
    pub fn can_read_audit(self) -> bool {
        matches!(self, Role::Auditor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_separates_duties() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(!Role::Admin.can_message());
        assert!(!Role::Auditor.can_message());
        assert!(!Role::Clinician.can_read_audit());
        assert!(Role::Admin.can_manage_users());
        assert!(!Role::Service.can_manage_users());
    }
}
