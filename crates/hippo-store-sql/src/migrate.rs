//! Embedded, forward-only migrations, one tree per backend with the same
//! version numbers. A database whose schema is newer than this binary is
//! refused before anything touches it.

use hippo_store::StoreError;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

/// Highest schema version this binary knows: the last migration's (both
/// backends have the same versions; a unit test checks).
pub const SCHEMA_VERSION: i64 = SQLITE[SQLITE.len() - 1].0;

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        "messaging",
        include_str!("../migrations/sqlite/0002_messaging.sql"),
    ),
    (
        3,
        "attachments",
        include_str!("../migrations/sqlite/0003_attachments.sql"),
    ),
    (
        4,
        "audit checkpoints",
        include_str!("../migrations/sqlite/0004_audit_checkpoints.sql"),
    ),
    (
        5,
        "break glass",
        include_str!("../migrations/sqlite/0005_break_glass.sql"),
    ),
    (
        6,
        "security alerts",
        include_str!("../migrations/sqlite/0006_security_alerts.sql"),
    ),
    (
        7,
        "retention",
        include_str!("../migrations/sqlite/0007_retention.sql"),
    ),
    (
        8,
        "erasure",
        include_str!("../migrations/sqlite/0008_erasure.sql"),
    ),
    (
        9,
        "audit key endorsements",
        include_str!("../migrations/sqlite/0009_audit_key_endorsements.sql"),
    ),
    (
        10,
        "whatsapp",
        include_str!("../migrations/sqlite/0010_whatsapp.sql"),
    ),
    (
        11,
        "backup key files",
        include_str!("../migrations/sqlite/0011_backup_key_files.sql"),
    ),
    (
        12,
        "cluster",
        include_str!("../migrations/sqlite/0012_cluster.sql"),
    ),
    (
        13,
        "cluster payloads",
        include_str!("../migrations/sqlite/0013_cluster_payloads.sql"),
    ),
    (
        14,
        "directory",
        include_str!("../migrations/sqlite/0014_directory.sql"),
    ),
    (
        15,
        "audit tree",
        include_str!("../migrations/sqlite/0015_audit_tree.sql"),
    ),
    (
        16,
        "mfa recovery",
        include_str!("../migrations/sqlite/0016_mfa_recovery.sql"),
    ),
    (
        17,
        "calls",
        include_str!("../migrations/sqlite/0017_calls.sql"),
    ),
    (
        18,
        "integrations",
        include_str!("../migrations/sqlite/0018_integrations.sql"),
    ),
    (
        19,
        "monitoring",
        include_str!("../migrations/sqlite/0019_monitoring.sql"),
    ),
    (
        20,
        "alert review",
        include_str!("../migrations/sqlite/0020_alert_review.sql"),
    ),
    (
        21,
        "incidents",
        include_str!("../migrations/sqlite/0021_incidents.sql"),
    ),
    (
        22,
        "held attachments",
        include_str!("../migrations/sqlite/0022_held_attachments.sql"),
    ),
    (
        23,
        "patient flags",
        include_str!("../migrations/sqlite/0023_patient_flags.sql"),
    ),
];

const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "messaging",
        include_str!("../migrations/postgres/0002_messaging.sql"),
    ),
    (
        3,
        "attachments",
        include_str!("../migrations/postgres/0003_attachments.sql"),
    ),
    (
        4,
        "audit checkpoints",
        include_str!("../migrations/postgres/0004_audit_checkpoints.sql"),
    ),
    (
        5,
        "break glass",
        include_str!("../migrations/postgres/0005_break_glass.sql"),
    ),
    (
        6,
        "security alerts",
        include_str!("../migrations/postgres/0006_security_alerts.sql"),
    ),
    (
        7,
        "retention",
        include_str!("../migrations/postgres/0007_retention.sql"),
    ),
    (
        8,
        "erasure",
        include_str!("../migrations/postgres/0008_erasure.sql"),
    ),
    (
        9,
        "audit key endorsements",
        include_str!("../migrations/postgres/0009_audit_key_endorsements.sql"),
    ),
    (
        10,
        "whatsapp",
        include_str!("../migrations/postgres/0010_whatsapp.sql"),
    ),
    (
        11,
        "backup key files",
        include_str!("../migrations/postgres/0011_backup_key_files.sql"),
    ),
    (
        12,
        "cluster",
        include_str!("../migrations/postgres/0012_cluster.sql"),
    ),
    (
        13,
        "cluster payloads",
        include_str!("../migrations/postgres/0013_cluster_payloads.sql"),
    ),
    (
        14,
        "directory",
        include_str!("../migrations/postgres/0014_directory.sql"),
    ),
    (
        15,
        "audit tree",
        include_str!("../migrations/postgres/0015_audit_tree.sql"),
    ),
    (
        16,
        "mfa recovery",
        include_str!("../migrations/postgres/0016_mfa_recovery.sql"),
    ),
    (
        17,
        "calls",
        include_str!("../migrations/postgres/0017_calls.sql"),
    ),
    (
        18,
        "integrations",
        include_str!("../migrations/postgres/0018_integrations.sql"),
    ),
    (
        19,
        "monitoring",
        include_str!("../migrations/postgres/0019_monitoring.sql"),
    ),
    (
        20,
        "alert review",
        include_str!("../migrations/postgres/0020_alert_review.sql"),
    ),
    (
        21,
        "incidents",
        include_str!("../migrations/postgres/0021_incidents.sql"),
    ),
    (
        22,
        "held attachments",
        include_str!("../migrations/postgres/0022_held_attachments.sql"),
    ),
    (
        23,
        "patient flags",
        include_str!("../migrations/postgres/0023_patient_flags.sql"),
    ),
];

fn migrator(list: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|(v, d, sql)| {
                Migration::new(
                    *v,
                    Cow::Borrowed(*d),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

pub(crate) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

pub(crate) fn postgres() -> Migrator {
    migrator(POSTGRES)
}

/// Refuses a database written by a newer hippo (`applied` is the highest
/// version in `_sqlx_migrations`, if any).
pub(crate) fn refuse_newer(applied: Option<i64>) -> Result<(), StoreError> {
    match applied {
        Some(found) if found > SCHEMA_VERSION => Err(StoreError::Other(format!(
            "database schema version {found} is newer than this hippo supports ({SCHEMA_VERSION}); run a newer hippo"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_list_the_same_versions() {
        let a: Vec<_> = SQLITE.iter().map(|(v, d, _)| (*v, *d)).collect();
        let b: Vec<_> = POSTGRES.iter().map(|(v, d, _)| (*v, *d)).collect();
        assert_eq!(a, b);
        assert_eq!(a.last().map(|x| x.0), Some(SCHEMA_VERSION));
    }
}
