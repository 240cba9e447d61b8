//! Verifying the Merkle tree against the records: the tree is rebuilt from
//! the records' leaves as the verifier reads them; every stored tile must
//! equal the rebuilt one, every signed tree head must carry a trusted
//! signature over the rebuilt root of its size, and no tile or head may
//! reach past the records. Heads a witness kept (`--witness FILE`) must
//! still be in the database, unchanged.

use super::*;
use hippo_store::TreeHeadRow;
use hippo_store::merkle::{Frontier, Hash, TILE_HEIGHT, TILE_WIDTH, TileId};
use std::collections::VecDeque;
use std::sync::Arc;

/// Heads read per round trip.
const HEAD_PAGE: i64 = 1000;

/// A place the tree does not match: the first record it puts in doubt.
pub(super) struct TreeBreak {
    pub seq: i64,
    pub reason: String,
}

fn first_leaf(tile: TileId, entry: usize) -> i64 {
    let node = tile.index * TILE_WIDTH as u64 + entry as u64;
    i64::try_from(node << (TILE_HEIGHT * tile.level)).unwrap_or(i64::MAX) + 1
}

/// Rebuilds the tree from the records and compares.
pub(super) struct TreeCheck {
    store: Arc<dyn hippo_store::Store>,
    trusted: HashMap<String, Vec<u8>>,
    /// Records the store says are in the tree.
    tree_size: u64,
    frontier: Frontier,
    heads: VecDeque<TreeHeadRow>,
    /// Heads fetched up to this size.
    heads_after: i64,
    heads_exhausted: bool,
    pub heads_verified: usize,
    /// The size of the last head that matched.
    last_good_head: i64,
}

impl TreeCheck {
    pub(super) fn new(
        store: Arc<dyn hippo_store::Store>,
        trusted: HashMap<String, Vec<u8>>,
        tree_size: i64,
    ) -> Self {
        Self {
            store,
            trusted,
            tree_size: u64::try_from(tree_size).unwrap_or(0),
            frontier: Frontier::default(),
            heads: VecDeque::new(),
            heads_after: 0,
            heads_exhausted: false,
            heads_verified: 0,
            last_good_head: 0,
        }
    }

    async fn next_head(&mut self) -> Result<Option<&TreeHeadRow>> {
        if self.heads.is_empty() && !self.heads_exhausted {
            let page = self
                .store
                .list_tree_heads(self.heads_after, HEAD_PAGE)
                .await?;
            self.heads_exhausted = (page.len() as i64) < HEAD_PAGE;
            if let Some(last) = page.last() {
                self.heads_after = last.tree_size;
            }
            self.heads.extend(page);
        }
        Ok(self.heads.front())
    }

    /// A head that fails: unsigned, or signed over another root (then the
    /// records in between were changed, and `true` says so).
    fn check_head(&self, head: &TreeHeadRow, root: &Hash) -> Option<(TreeBreak, bool)> {
        let signed = self
            .trusted
            .get(&head.key_id)
            .is_some_and(|key| head_signature_ok(head, key));
        if !signed {
            return Some((
                TreeBreak {
                    seq: head.tree_size,
                    reason: format!(
                        "the tree head for {} records is not signed by this server's audit key",
                        head.tree_size
                    ),
                },
                false,
            ));
        }
        if head.root_hash != hippo_crypto::hex(root) {
            return Some((
                TreeBreak {
                    seq: self.last_good_head + 1,
                    reason: format!(
                        "records {}..={} do not match the tree head signed for {} records \
                         (the trail was changed after it was signed)",
                        self.last_good_head + 1,
                        head.tree_size,
                        head.tree_size
                    ),
                },
                true,
            ));
        }
        None
    }

    /// Adds `records` (the start of a page) to the rebuilt tree without
    /// checking heads, then [pins](Self::pin_down) `found` down within
    /// `doubt`: for a break the chain found as a range.
    pub(super) async fn pin_down_with(
        &mut self,
        records: &[AuditRecord],
        doubt: std::ops::RangeInclusive<i64>,
        found: TreeBreak,
    ) -> Result<TreeBreak> {
        for r in records {
            if self.frontier.size() >= self.tree_size {
                break;
            }
            self.frontier.push(hippo_store::chain::leaf_hash(r));
        }
        self.pin_down(doubt, found).await
    }

    /// Pins a break down to one record where the stored leaf tiles allow:
    /// the first record in `doubt` whose leaf differs from the one the tree
    /// holds for it. Full tiles are compared page by page as they are
    /// completed, so the ones changed in this page and the partly filled
    /// right-most one are all that need reading.
    async fn pin_down(
        &self,
        doubt: std::ops::RangeInclusive<i64>,
        found: TreeBreak,
    ) -> Result<TreeBreak> {
        let mut rebuilt = self.frontier.changed_leaf_tiles();
        for (id, hashes) in self.frontier.edge_tiles() {
            if id.level == 0 && rebuilt.iter().all(|(seen, _)| *seen != id) {
                rebuilt.push((id, hashes));
            }
        }
        if rebuilt.is_empty() {
            return Ok(found);
        }
        let ids: Vec<TileId> = rebuilt.iter().map(|(id, _)| *id).collect();
        let stored = self.store.audit_tiles(&ids).await?;
        for (id, hashes) in &rebuilt {
            let Some(kept) = stored.get(id) else { continue };
            let Some(entry) = hashes.iter().zip(kept).position(|(a, b)| a != b) else {
                continue;
            };
            let seq = first_leaf(*id, entry);
            if doubt.contains(&seq) {
                return Ok(TreeBreak {
                    seq,
                    reason: format!(
                        "record {seq} is not the record the audit tree holds at that place; {}",
                        found.reason
                    ),
                });
            }
        }
        Ok(found)
    }

    /// Adds the records of one page (ascending, already checked for gaps
    /// and order by the chain verifier).
    pub(super) async fn feed(&mut self, page: &[AuditRecord]) -> Result<Option<TreeBreak>> {
        for r in page {
            if self.frontier.size() >= self.tree_size {
                break;
            }
            self.frontier.push(hippo_store::chain::leaf_hash(r));
            let size = i64::try_from(self.frontier.size()).unwrap_or(i64::MAX);
            while let Some(head) = self.next_head().await? {
                if head.tree_size > size {
                    break;
                }
                let head = head.clone();
                self.heads.pop_front();
                if head.tree_size == size {
                    if let Some((b, records_changed)) =
                        self.check_head(&head, &self.frontier.root())
                    {
                        if !records_changed {
                            return Ok(Some(b));
                        }
                        let doubt = self.last_good_head + 1..=head.tree_size;
                        return Ok(Some(self.pin_down(doubt, b).await?));
                    }
                    self.heads_verified += 1;
                    self.last_good_head = size;
                }
            }
        }
        self.compare_tiles(false).await
    }

    /// Compares rebuilt tiles with the stored ones: those completed since
    /// the last call, or (`edge`) the partly filled right-most ones.
    async fn compare_tiles(&mut self, edge: bool) -> Result<Option<TreeBreak>> {
        let rebuilt: Vec<(TileId, Vec<Hash>)> = if edge {
            self.frontier.edge_tiles()
        } else {
            self.frontier
                .take_changed()
                .into_iter()
                .filter(|(_, t)| t.len() == TILE_WIDTH)
                .collect()
        };
        if rebuilt.is_empty() {
            return Ok(None);
        }
        let ids: Vec<TileId> = rebuilt.iter().map(|(id, _)| *id).collect();
        let stored = self.store.audit_tiles(&ids).await?;
        for (id, hashes) in &rebuilt {
            let Some(kept) = stored.get(id) else {
                return Ok(Some(TreeBreak {
                    seq: first_leaf(*id, 0),
                    reason: format!(
                        "the audit tree lacks its tile at height {} number {} (records from {} on)",
                        id.level * TILE_HEIGHT,
                        id.index,
                        first_leaf(*id, 0)
                    ),
                }));
            };
            if let Some(entry) =
                (0..hashes.len().max(kept.len())).find(|&i| hashes.get(i) != kept.get(i))
            {
                return Ok(Some(TreeBreak {
                    seq: first_leaf(*id, entry),
                    reason: format!(
                        "the audit tree's node at height {} number {} does not match the records \
                         (the tree was altered)",
                        id.level * TILE_HEIGHT,
                        id.index * TILE_WIDTH as u64 + entry as u64
                    ),
                }));
            }
        }
        Ok(None)
    }

    /// After the last record: the tree must hold exactly the records it
    /// says, its partial tiles must match, no tile may reach further, and
    /// no head may be signed for more records than there are.
    pub(super) async fn finish(&mut self, records: i64) -> Result<Option<TreeBreak>> {
        let built = self.frontier.size();
        if built < self.tree_size {
            // Records appended after a cut take the removed ones' places:
            // the first of them is where the trail went wrong.
            let end = i64::try_from(built).unwrap_or(i64::MAX);
            let removed = TreeBreak {
                seq: end + 1,
                reason: format!(
                    "the tree says it holds {} records but the trail ends at {}: records were removed",
                    self.tree_size, records
                ),
            };
            return Ok(Some(self.pin_down(1..=end, removed).await?));
        }
        // Records that predate the tree and are not yet in it.
        if i64::try_from(built).unwrap_or(i64::MAX) < records {
            return Ok(Some(TreeBreak {
                seq: i64::try_from(built).unwrap_or(i64::MAX) + 1,
                reason: format!(
                    "records {}..={records} are not in the tree (the sequencer has not reached them)",
                    built + 1
                ),
            }));
        }
        if let Some(b) = self.compare_tiles(false).await? {
            return Ok(Some(b));
        }
        if let Some(b) = self.compare_tiles(true).await? {
            return Ok(Some(b));
        }
        // Nothing stored beyond the right edge, at any level.
        let mut level = 0u32;
        let mut complete = built;
        loop {
            let next = complete.div_ceil(TILE_WIDTH as u64);
            let beyond = self
                .store
                .audit_tiles_range(level, next, i64::MAX as u64)
                .await?;
            if let Some((id, _)) = beyond.first() {
                return Ok(Some(TreeBreak {
                    seq: i64::try_from(built).unwrap_or(i64::MAX) + 1,
                    reason: format!(
                        "the audit tree holds a tile at height {} number {} past its {} records",
                        id.level * TILE_HEIGHT,
                        id.index,
                        built
                    ),
                }));
            }
            if complete == 0 {
                break;
            }
            complete /= TILE_WIDTH as u64;
            level += 1;
        }
        if let Some(head) = self.next_head().await? {
            return Ok(Some(TreeBreak {
                seq: i64::try_from(built).unwrap_or(i64::MAX) + 1,
                reason: format!(
                    "a tree head was signed for {} records but the trail has {built}: records were \
                     removed from the end",
                    head.tree_size
                ),
            }));
        }
        Ok(None)
    }
}

/// One line of a witness file: a signed tree head as the API shows it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct WitnessedHead {
    pub tree_size: i64,
    pub root_hash: String,
    pub timestamp: String,
    /// Base64.
    pub signature: String,
}

impl Audit {
    /// Checks that the database still holds every head in `witnessed`,
    /// unchanged, reading the stored heads in pages alongside. Returns how
    /// many were checked, or the first (by size) that is missing or
    /// differs.
    pub(super) async fn check_witnessed(
        &self,
        witnessed: &[WitnessedHead],
    ) -> Result<std::result::Result<usize, TreeBreak>> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut sorted: Vec<&WitnessedHead> = witnessed.iter().collect();
        sorted.sort_by_key(|w| w.tree_size);
        let mut stored: VecDeque<TreeHeadRow> = VecDeque::new();
        let mut after = 0;
        let mut exhausted = false;
        let mut last_good = 0;
        for w in sorted {
            // Stored heads up to this size.
            while !exhausted && stored.back().is_none_or(|h| h.tree_size < w.tree_size) {
                let page = self.core.store.list_tree_heads(after, HEAD_PAGE).await?;
                exhausted = (page.len() as i64) < HEAD_PAGE;
                if let Some(last) = page.last() {
                    after = last.tree_size;
                }
                stored.extend(page);
            }
            while stored.front().is_some_and(|h| h.tree_size < w.tree_size) {
                stored.pop_front();
            }
            let found = stored.front().filter(|h| h.tree_size == w.tree_size);
            let same = found.is_some_and(|h| {
                h.root_hash == w.root_hash
                    && h.timestamp == w.timestamp
                    && b64.encode(&h.signature) == w.signature
            });
            if !same {
                return Ok(Err(TreeBreak {
                    seq: last_good + 1,
                    reason: format!(
                        "the witnessed tree head for {} records ({}) is {} in the database \
                         (the trail was rewritten)",
                        w.tree_size,
                        w.timestamp,
                        if found.is_some() {
                            "different"
                        } else {
                            "missing"
                        }
                    ),
                }));
            }
            last_good = w.tree_size;
        }
        Ok(Ok(witnessed.len()))
    }
}
