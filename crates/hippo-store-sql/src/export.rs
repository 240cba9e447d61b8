//! Exports and imports of hippo's data for backups (see `hippo::backup`):
//! a consistent copy taken while writers continue, with every data key's
//! wrapped bytes left out — a backup keeps the keys in a separate key file,
//! so that erasing a conversation can reach into older backups.
//!
//! SQLite: `VACUUM INTO` a file, then the keys are read out of that copy
//! and blanked with `secure_delete` on (the old bytes are zeroed). PostgreSQL:
//! one binary `COPY` file per table, all from one `REPEATABLE READ`
//! snapshot, and `schema_version`; an import replaces every table in one
//! transaction, loading them in foreign-key order.

use crate::DbResult;
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use futures_util::StreamExt;
use hippo_store::StoreError;
use sqlx::Connection;
use sqlx::postgres::PgRow;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteRow};
use std::path::Path;
use tokio::io::AsyncWriteExt;

const SELECT_KEYS: &str = "SELECT id, purpose, wrapped, master_key_check, created_at FROM data_keys ORDER BY created_at, id";

fn io(what: &str, path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Other(format!("{what} {}: {e}", path.display()))
}

impl SqliteStore {
    pub(crate) async fn export_impl(&self, dir: &Path) -> Result<Vec<SqliteRow>, StoreError> {
        let target = dir.join("hippo.db");
        let name = target
            .to_str()
            .ok_or_else(|| StoreError::Other("export path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(name)
            .execute(self.reader())
            .await
            .db()?;
        // The copy's rollback journal stays in memory: no page holding a
        // key is written anywhere while the keys are blanked.
        let opts = SqliteConnectOptions::new()
            .filename(&target)
            .journal_mode(SqliteJournalMode::Memory)
            .foreign_keys(false);
        let mut conn = SqliteConnection::connect_with(&opts).await.db()?;
        let keys = sqlx::query(SELECT_KEYS).fetch_all(&mut conn).await.db()?;
        // With secure_delete the space the old values held is zeroed, so
        // no page of the copy keeps a wrapped key (the storage suite checks
        // the file's bytes).
        for sql in [
            "PRAGMA secure_delete = ON",
            "UPDATE data_keys SET wrapped = x''",
        ] {
            sqlx::query(sql).execute(&mut conn).await.db()?;
        }
        conn.close().await.db()?;
        Ok(keys)
    }

    #[allow(clippy::unused_async)]
    pub(crate) async fn import_impl(&self, _dir: &Path) -> Result<(), StoreError> {
        Err(StoreError::Other(
            "a SQLite restore places the exported file; there is nothing to import".into(),
        ))
    }

    #[allow(clippy::unused_async)]
    pub(crate) async fn wipe_impl(&self) -> Result<(), StoreError> {
        Err(StoreError::Other(
            "a SQLite restore is staged in its own directory; there is nothing to wipe".into(),
        ))
    }
}

/// Tables whose triggers refuse UPDATE, DELETE and TRUNCATE.
const APPEND_ONLY: [&str; 3] = ["audit_events", "audit_checkpoints", "audit_tree_heads"];

const LIST_TABLES: &str = "SELECT table_name::text FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
     AND table_name NOT IN ('_sqlx_migrations', 'cluster_payloads') ORDER BY table_name";

async fn schema_version(conn: &mut sqlx::PgConnection) -> Result<i64, StoreError> {
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(conn)
        .await
        .db()?;
    Ok(v.unwrap_or(0))
}

/// Tables in an order where every table comes after those it references.
async fn load_order(conn: &mut sqlx::PgConnection) -> Result<Vec<String>, StoreError> {
    let tables: Vec<String> = sqlx::query_scalar(LIST_TABLES)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let edges: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c \
         WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut order: Vec<String> = Vec::with_capacity(tables.len());
    let mut left = tables;
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                edges
                    .iter()
                    .filter(|(from, to)| from == *t && to != *t)
                    .all(|(_, to)| order.contains(to) || !left.contains(to))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(StoreError::Other(
                "the tables' foreign keys form a cycle; cannot order the import".into(),
            ));
        }
        left.retain(|t| !ready.contains(t));
        order.extend(ready);
    }
    Ok(order)
}

impl PgStore {
    pub(crate) async fn export_impl(&self, dir: &Path) -> Result<Vec<PgRow>, StoreError> {
        let mut conn = self.reader().acquire().await.db()?;
        for sql in [
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            // A large table takes longer than the usual statement limit.
            "SET LOCAL statement_timeout = 0",
        ] {
            sqlx::query(sql).execute(&mut *conn).await.db()?;
        }
        let result = async {
            let version = schema_version(&mut conn).await?;
            let path = dir.join("schema_version");
            tokio::fs::write(&path, version.to_string())
                .await
                .map_err(|e| io("cannot write", &path, &e))?;
            let tables: Vec<String> = sqlx::query_scalar(LIST_TABLES)
                .fetch_all(&mut *conn)
                .await
                .db()?;
            for table in &tables {
                let columns: Vec<String> = sqlx::query_scalar(
                    "SELECT column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(&mut *conn)
                .await
                .db()?;
                let select = columns
                    .iter()
                    .map(|c| {
                        if table == "data_keys" && c == "wrapped" {
                            "''::bytea AS wrapped".to_owned()
                        } else {
                            format!("\"{c}\"")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let path = dir.join(format!("{table}.copy"));
                let mut file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| io("cannot create", &path, &e))?;
                let mut stream = conn
                    .copy_out_raw(&format!(
                        "COPY (SELECT {select} FROM \"{table}\") TO STDOUT (FORMAT binary)"
                    ))
                    .await
                    .db()?;
                while let Some(chunk) = stream.next().await {
                    file.write_all(&chunk.db()?)
                        .await
                        .map_err(|e| io("cannot write", &path, &e))?;
                }
                drop(stream);
                file.sync_all()
                    .await
                    .map_err(|e| io("cannot write", &path, &e))?;
            }
            sqlx::query(SELECT_KEYS)
                .fetch_all(&mut *conn)
                .await
                .db()
        }
        .await;
        // Read-only: ending it either way changes nothing.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        result
    }

    pub(crate) async fn import_impl(&self, dir: &Path) -> Result<(), StoreError> {
        let mut tx = self.reader().begin().await.db()?;
        sqlx::query("SET LOCAL statement_timeout = 0")
            .execute(&mut *tx)
            .await
            .db()?;
        let path = dir.join("schema_version");
        let theirs = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| io("cannot read", &path, &e))?;
        let ours = schema_version(&mut tx).await?;
        if theirs.trim() != ours.to_string() {
            return Err(StoreError::Other(format!(
                "the backup has schema version {}, this database {ours}; restore with the hippo version that took it",
                theirs.trim()
            )));
        }
        // The trail is append-only (triggers refuse even TRUNCATE): an
        // import goes only where there is none yet.
        let records: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM audit_events) + (SELECT COUNT(*) FROM audit_checkpoints) \
             + (SELECT COUNT(*) FROM audit_pending) + (SELECT COUNT(*) FROM audit_tree_heads)",
        )
        .fetch_one(&mut *tx)
        .await
        .db()?;
        if records > 0 {
            return Err(StoreError::Conflict(
                "the database already has an audit trail; restore into an empty database".into(),
            ));
        }
        let order = load_order(&mut tx).await?;
        let all = order
            .iter()
            .filter(|t| !APPEND_ONLY.contains(&t.as_str()))
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(sqlx::AssertSqlSafe(format!("TRUNCATE {all}")))
            .execute(&mut *tx)
            .await
            .db()?;
        for table in &order {
            let path = dir.join(format!("{table}.copy"));
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| io("the backup lacks", &path, &e))?;
            let mut copy = tx
                .copy_in_raw(&format!("COPY \"{table}\" FROM STDIN (FORMAT binary)"))
                .await
                .db()?;
            copy.read_from(file).await.db()?;
            copy.finish().await.db()?;
        }
        // COPY writes serial columns as given without moving their
        // sequences: move them past the imported rows.
        for (table, column) in [("audit_pending", "id"), ("webhook_deliveries", "seq")] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 GREATEST((SELECT MAX({column}) FROM \"{table}\"), 1))"
            )))
            .execute(&mut *tx)
            .await
            .db()?;
        }
        tx.commit().await.db()?;
        Ok(())
    }

    /// Only for a restore that failed after its import, into a database
    /// that had no data: the trail's append-only triggers are lifted for
    /// this one transaction, every table emptied, and the chain's head
    /// reset as the migration seeds it.
    pub(crate) async fn wipe_impl(&self) -> Result<(), StoreError> {
        let mut tx = self.reader().begin().await.db()?;
        let tables: Vec<String> = sqlx::query_scalar(LIST_TABLES)
            .fetch_all(&mut *tx)
            .await
            .db()?;
        if tables.is_empty() {
            return Ok(());
        }
        let all = tables
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        for sql in [
            "SET LOCAL statement_timeout = 0".to_owned(),
            "ALTER TABLE audit_events DISABLE TRIGGER USER".to_owned(),
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER".to_owned(),
            "ALTER TABLE audit_tree_heads DISABLE TRIGGER USER".to_owned(),
            format!("TRUNCATE {all}"),
            "ALTER TABLE audit_events ENABLE TRIGGER USER".to_owned(),
            "ALTER TABLE audit_checkpoints ENABLE TRIGGER USER".to_owned(),
            "ALTER TABLE audit_tree_heads ENABLE TRIGGER USER".to_owned(),
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, \
             '0000000000000000000000000000000000000000000000000000000000000000')"
                .to_owned(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await
                .db()?;
        }
        tx.commit().await.db()?;
        Ok(())
    }
}
