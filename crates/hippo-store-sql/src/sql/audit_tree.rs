//! The audit sequencer's pass and the Merkle tree's storage: pending
//! records get their `seq`, chain hash and leaf in batches, the tree's
//! tiles grow, and signed tree heads are stored and read.
//!
//! A pass is one transaction that begins by locking the chain head row,
//! which writers no longer touch: passes from several nodes serialise
//! there and never sequence a record twice; a pass that dies before its
//! commit leaves nothing behind, and the next one takes the same records.

use super::audit::{audit_from_row, fields_from_row};
use super::{Db, DbRow, DbStore, Tx, col, ts};
use crate::DbResult;
use hippo_store::merkle::{Frontier, Hash, TileId};
use hippo_store::prelude::*;
use hippo_store::{Result, chain};
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

/// Rows per multi-row statement (15 binds each: well under both drivers'
/// limits on parameters).
const ROWS_PER_STATEMENT: usize = 500;

fn corrupt_tile() -> StoreError {
    StoreError::Corrupt("an audit tree tile is not a whole number of hashes".into())
}

fn tile_hashes(bytes: &[u8]) -> Result<Vec<Hash>> {
    if !bytes.len().is_multiple_of(32) {
        return Err(corrupt_tile());
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

fn tile_from_row(r: &DbRow) -> Result<(TileId, Vec<Hash>)> {
    let level: i64 = col(r, "level")?;
    let idx: i64 = col(r, "idx")?;
    let bytes: Vec<u8> = col(r, "hashes")?;
    let id = TileId {
        level: u32::try_from(level).map_err(|_| corrupt_tile())?,
        index: u64::try_from(idx).map_err(|_| corrupt_tile())?,
    };
    Ok((id, tile_hashes(&bytes)?))
}

fn head_from_row(r: &DbRow) -> Result<TreeHeadRow> {
    Ok(TreeHeadRow {
        tree_size: col(r, "tree_size")?,
        root_hash: col(r, "root_hash")?,
        timestamp: col(r, "timestamp")?,
        at: ts(col(r, "at")?),
        signature: col(r, "signature")?,
        key_id: col(r, "key_id")?,
    })
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Reads the tiles `ids` through `executor`.
async fn read_tiles<'e, E>(executor: E, ids: &[TileId]) -> Result<HashMap<TileId, Vec<Hash>>>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = QueryBuilder::<Db>::new("SELECT level, idx, hashes FROM audit_tree_tiles WHERE ");
    let mut sep = q.separated(" OR ");
    for id in ids {
        sep.push("(level = ");
        sep.push_bind_unseparated(i64::from(id.level));
        sep.push_unseparated(" AND idx = ");
        sep.push_bind_unseparated(as_i64(id.index));
        sep.push_unseparated(")");
    }
    let rows = q.build().fetch_all(executor).await.db()?;
    rows.iter().map(tile_from_row).collect()
}

/// A pending record, as read by the pass: its id and fields.
fn pending_from_row(r: &DbRow) -> Result<(i64, AuditRecord)> {
    Ok((col(r, "id")?, fields_from_row(r, "audit_pending")?))
}

impl DbStore {
    /// Whether a pass has anything to do (read without the lock).
    async fn sequencing_due(&self) -> Result<bool> {
        let due: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM audit_pending) OR \
             (SELECT tree_size < seq FROM audit_head WHERE id = 1)",
        )
        .fetch_one(self.reader())
        .await
        .db()?;
        Ok(due)
    }

    pub(super) async fn sequence_pass(&self, limit: i64) -> Result<Sequenced> {
        if !self.sequencing_due().await? {
            return Ok(Sequenced {
                appended: 0,
                tree_size: u64::try_from(self.audit_tree_size().await?).unwrap_or(0),
                root: None,
                more: false,
            });
        }
        let mut tx = Tx {
            tx: self.begin_tx().await?,
            new_conversations: Vec::new(),
        };
        // The lock: only passes take it, writers never do.
        let head = sqlx::query(
            "UPDATE audit_head SET tree_size = tree_size WHERE id = 1 \
             RETURNING seq, hash, tree_size",
        )
        .fetch_one(&mut *tx.tx)
        .await
        .db()?;
        let mut seq: i64 = head.try_get(0).db()?;
        let mut hash: String = head.try_get(1).db()?;
        let tree_size: i64 = head.try_get(2).db()?;
        let size = u64::try_from(tree_size).map_err(|_| corrupt_tile())?;
        let tiles = read_tiles(&mut *tx.tx, &Frontier::tiles_needed(size)).await?;
        let mut frontier = Frontier::load(size, &tiles).map_err(|m| {
            StoreError::Corrupt(format!(
                "the audit tree lacks its tile at height {} from node {}",
                m.0.level, m.0.index
            ))
        })?;
        let more;
        if tree_size < seq {
            // Records from before the tree: add them as they are.
            let rows = sqlx::query(
                "SELECT seq, at, actor_id, session_id, ip, user_agent, request_id, action, \
                 resource_type, resource_id, patient_id, outcome, detail, prev_hash, hash \
                 FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(tree_size)
            .bind(limit)
            .fetch_all(&mut *tx.tx)
            .await
            .db()?;
            for row in &rows {
                let record = audit_from_row(row)?;
                if record.seq != as_i64(frontier.size()) + 1 {
                    return Err(StoreError::Corrupt(format!(
                        "audit record {} is missing; the tree cannot pass it",
                        frontier.size() + 1
                    )));
                }
                frontier.push(chain::leaf_hash(&record));
            }
            more = as_i64(frontier.size()) < seq || rows.len() as i64 == limit;
        } else {
            let rows = sqlx::query(
                "SELECT id, at, actor_id, session_id, ip, user_agent, request_id, action, \
                 resource_type, resource_id, patient_id, outcome, detail FROM audit_pending \
                 ORDER BY id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&mut *tx.tx)
            .await
            .db()?;
            let mut ids = Vec::with_capacity(rows.len());
            let mut records = Vec::with_capacity(rows.len());
            for row in &rows {
                let (id, mut record) = pending_from_row(row)?;
                seq += 1;
                record.seq = seq;
                record.prev_hash = std::mem::take(&mut hash);
                let (linked, leaf) = chain::hash_and_leaf(&record);
                record.hash = linked;
                hash.clone_from(&record.hash);
                frontier.push(leaf);
                ids.push(id);
                records.push(record);
            }
            insert_records(&mut tx, &records).await?;
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                let mut q = QueryBuilder::<Db>::new("DELETE FROM audit_pending WHERE id IN (");
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                q.push(")");
                q.build().execute(&mut *tx.tx).await.db()?;
            }
            more = rows.len() as i64 == limit;
        }
        let appended = frontier.size() - size;
        if appended == 0 {
            // Another pass took them. Commit all the same: on SQLite that
            // pass may share this one's group-commit batch, and returning
            // before the batch is on disk would let a caller read the
            // trail without the records it just saw pending.
            tx.tx.commit().await?;
            return Ok(Sequenced {
                appended: 0,
                tree_size: size,
                root: None,
                more: false,
            });
        }
        for chunk in frontier.take_changed().chunks(ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Db>::new("INSERT INTO audit_tree_tiles (level, idx, hashes) ");
            q.push_values(chunk, |mut b, (id, hashes)| {
                b.push_bind(i64::from(id.level))
                    .push_bind(as_i64(id.index))
                    .push_bind(hashes.concat());
            });
            q.push(" ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes");
            q.build().execute(&mut *tx.tx).await.db()?;
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, tree_size = $3 WHERE id = 1")
            .bind(seq)
            .bind(&hash)
            .bind(as_i64(frontier.size()))
            .execute(&mut *tx.tx)
            .await
            .db()?;
        let root = frontier.root();
        tx.tx.commit().await?;
        Ok(Sequenced {
            appended,
            tree_size: frontier.size(),
            root: Some(root),
            more,
        })
    }
}

/// Inserts sequenced records into the trail, many per statement.
async fn insert_records(tx: &mut Tx, records: &[AuditRecord]) -> Result<()> {
    for chunk in records.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO audit_events (seq, at, actor_id, session_id, ip, user_agent, \
             request_id, action, resource_type, resource_id, patient_id, outcome, detail, \
             prev_hash, hash) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.seq)
                .push_bind(r.at.as_millis())
                .push_bind(r.actor_id.as_ref().map(|v| v.as_str().to_owned()))
                .push_bind(r.session_id.as_ref().map(|v| v.as_str().to_owned()))
                .push_bind(r.ip.clone())
                .push_bind(r.user_agent.clone())
                .push_bind(r.request_id.clone())
                .push_bind(r.action.as_str())
                .push_bind(r.resource_type.clone())
                .push_bind(r.resource_id.clone())
                .push_bind(r.patient_id.clone())
                .push_bind(r.outcome.as_str())
                .push_bind(r.detail.clone())
                .push_bind(r.prev_hash.clone())
                .push_bind(r.hash.clone());
        });
        q.build().execute(&mut *tx.tx).await.db()?;
    }
    Ok(())
}

impl DbStore {
    pub(super) async fn tree_size_impl(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT tree_size FROM audit_head WHERE id = 1")
            .fetch_one(self.reader())
            .await
            .db()
    }

    pub(super) async fn tiles_impl(&self, ids: &[TileId]) -> Result<HashMap<TileId, Vec<Hash>>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            out.extend(read_tiles(self.reader(), chunk).await?);
        }
        Ok(out)
    }

    pub(super) async fn tiles_range_impl(
        &self,
        level: u32,
        from: u64,
        to: u64,
    ) -> Result<Vec<(TileId, Vec<Hash>)>> {
        let rows = sqlx::query(
            "SELECT level, idx, hashes FROM audit_tree_tiles WHERE level = $1 AND idx >= $2 \
             AND idx < $3 ORDER BY idx",
        )
        .bind(i64::from(level))
        .bind(as_i64(from))
        .bind(as_i64(to))
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(tile_from_row).collect()
    }

    pub(super) async fn latest_head_impl(&self) -> Result<Option<TreeHeadRow>> {
        let row = sqlx::query(
            "SELECT tree_size, root_hash, timestamp, at, signature, key_id FROM \
             audit_tree_heads ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(self.reader())
        .await
        .db()?;
        row.as_ref().map(head_from_row).transpose()
    }

    pub(super) async fn list_heads_impl(
        &self,
        after_size: i64,
        limit: i64,
    ) -> Result<Vec<TreeHeadRow>> {
        let rows = sqlx::query(
            "SELECT tree_size, root_hash, timestamp, at, signature, key_id FROM \
             audit_tree_heads WHERE tree_size > $1 ORDER BY tree_size LIMIT $2",
        )
        .bind(after_size)
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .db()?;
        rows.iter().map(head_from_row).collect()
    }

    pub(super) async fn pending_impl(&self) -> Result<PendingAudit> {
        let row = sqlx::query("SELECT COUNT(*), MIN(at) FROM audit_pending")
            .fetch_one(self.reader())
            .await
            .db()?;
        Ok(PendingAudit {
            count: row.try_get(0).db()?,
            oldest: row.try_get::<Option<i64>, _>(1).db()?.map(ts),
        })
    }
}

/// Stores a signed tree head.
pub(super) async fn insert_head(tx: &mut Tx, h: &TreeHeadRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_tree_heads (tree_size, root_hash, timestamp, at, signature, key_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(h.tree_size)
    .bind(&h.root_hash)
    .bind(&h.timestamp)
    .bind(h.at.as_millis())
    .bind(&h.signature)
    .bind(&h.key_id)
    .execute(&mut *tx.tx)
    .await
    .db()?;
    Ok(())
}
