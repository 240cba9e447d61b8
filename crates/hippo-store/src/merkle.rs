//! The audit trail's Merkle tree in the form of RFC 9162 (Certificate
//! Transparency 2.0) §2.1: leaf hash = SHA-256(0x00 ‖ leaf bytes), interior
//! node = SHA-256(0x01 ‖ left ‖ right), the tree of `n` leaves split at the
//! largest power of two below `n`.
//!
//! Storage is by tiles of height 8, as Go's `tlog` (the checksum database)
//! and Trillian keep their trees: tile `(level, index)` holds the hashes of
//! the complete nodes at height `8 * level` numbered `index * 256 ..`, so a
//! tree of a million leaves is about 4,000 small rows and every proof reads
//! at most a few tiles. Any node is computed from the one tile below it.
//!
//! Written here rather than taken from a crate: the Rust crates that do
//! RFC 6962/9162 proofs either store the whole tree in memory or bring
//! their own storage, and this one must answer proofs from tiles in the
//! database. The verification functions follow RFC 9162 §2.1.3.2 and
//! §2.1.4.2 step by step; the test suite checks hippo's proofs with an
//! implementation in another language that shares no code with this one.

use std::collections::HashMap;

/// A SHA-256 node or leaf hash.
pub type Hash = [u8; 32];

/// Levels of the tree one tile spans.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: usize = 1 << TILE_HEIGHT;

/// The leaf hash of `leaf` (the record's canonical bytes).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut buf = Vec::with_capacity(leaf.len() + 1);
    buf.push(0);
    buf.extend_from_slice(leaf);
    hippo_crypto::sha256(&buf)
}

/// The hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    hippo_crypto::sha256(&buf)
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    hippo_crypto::sha256(&[])
}

/// A perfect subtree: `2^level` leaves starting at leaf `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u32,
    pub index: u64,
}

/// A stored tile: the nodes at height `TILE_HEIGHT * level` numbered
/// `index * TILE_WIDTH ..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub level: u32,
    pub index: u64,
}

impl NodeId {
    /// The tile holding the nodes this node is computed from, the first of
    /// them and how many.
    pub fn in_tile(self) -> (TileId, usize, usize) {
        let level = self.level / TILE_HEIGHT;
        let below = self.level % TILE_HEIGHT;
        let first = self.index << below;
        let tile = TileId {
            level,
            index: first >> TILE_HEIGHT,
        };
        // Both fit: the offset is below TILE_WIDTH, the span at most half.
        let offset = (first & (TILE_WIDTH as u64 - 1)) as usize;
        (tile, offset, 1 << below)
    }
}

/// `[start, end)` as perfect subtrees, left to right (largest first when
/// `start` is aligned as every range of the RFC's recursion is).
pub fn perfect_parts(mut start: u64, end: u64) -> Vec<NodeId> {
    let mut parts = Vec::new();
    while start < end {
        let mut level = if start == 0 {
            63
        } else {
            start.trailing_zeros()
        };
        while level > 0 && (1u64 << level) > end - start {
            level -= 1;
        }
        parts.push(NodeId {
            level,
            index: start >> level,
        });
        start += 1 << level;
    }
    parts
}

/// The hash of the subtree made of `parts` (see [`perfect_parts`]): they
/// fold from the right, `H(p1, H(p2, … pn))`.
pub fn fold(parts: &[Hash]) -> Option<Hash> {
    let (last, rest) = parts.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, p| node_hash(p, &acc)))
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The subtrees whose hashes form the inclusion proof of leaf `index` in
/// the tree of `size` leaves (RFC 9162 §2.1.3.1 `PATH`), leaf end first,
/// each as a leaf range `[start, end)`.
pub fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    fn path(m: u64, start: u64, end: u64, out: &mut Vec<(u64, u64)>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m - start < k {
            path(m, start, start + k, out);
            out.push((start + k, end));
        } else {
            path(m, start + k, end, out);
            out.push((start, start + k));
        }
    }
    let mut out = Vec::new();
    if index < size {
        path(index, 0, size, &mut out);
    }
    out
}

/// The subtrees whose hashes prove the tree of `first` leaves is a prefix
/// of the tree of `second` (RFC 9162 §2.1.4.1 `PROOF`/`SUBPROOF`), each as
/// a leaf range.
pub fn consistency_ranges(first: u64, second: u64) -> Vec<(u64, u64)> {
    fn subproof(m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<(u64, u64)>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push((start, end));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            subproof(m, start, start + k, whole, out);
            out.push((start + k, end));
        } else {
            subproof(m - k, start + k, end, false, out);
            out.push((start, start + k));
        }
    }
    let mut out = Vec::new();
    if 0 < first && first < second {
        subproof(first, 0, second, true, &mut out);
    }
    out
}

/// The hash of the nodes `tile[offset .. offset + span]` as one subtree.
pub fn subtree_in_tile(tile: &[Hash], offset: usize, span: usize) -> Option<Hash> {
    let mut layer: Vec<Hash> = tile.get(offset..offset.checked_add(span)?)?.to_vec();
    while layer.len() > 1 {
        layer = layer
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    layer.first().copied()
}

/// The tiles that hold the nodes of the leaf ranges `ranges`.
pub fn tiles_for(ranges: &[(u64, u64)]) -> Vec<TileId> {
    let mut tiles: Vec<TileId> = ranges
        .iter()
        .flat_map(|&(a, b)| perfect_parts(a, b))
        .map(|n| n.in_tile().0)
        .collect();
    tiles.sort_unstable();
    tiles.dedup();
    tiles
}

/// Why a node could not be computed: its tile is missing or too short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingNode(pub NodeId);

/// The hashes of the leaf ranges `ranges`, from `tiles`.
pub fn resolve(
    ranges: &[(u64, u64)],
    tiles: &HashMap<TileId, Vec<Hash>>,
) -> Result<Vec<Hash>, MissingNode> {
    ranges
        .iter()
        .map(|&(a, b)| {
            let parts = perfect_parts(a, b)
                .into_iter()
                .map(|node| {
                    let (tile, offset, span) = node.in_tile();
                    tiles
                        .get(&tile)
                        .and_then(|t| subtree_in_tile(t, offset, span))
                        .ok_or(MissingNode(node))
                })
                .collect::<Result<Vec<_>, _>>()?;
            fold(&parts).ok_or(MissingNode(NodeId { level: 0, index: a }))
        })
        .collect()
}

/// The right edge of a growing tree: the last, partly filled tile of every
/// level. Appending leaves fills them; a full tile's root moves up a level.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    /// `edge[l]`: the hashes of the right-most tile at level `l`.
    edge: Vec<Vec<Hash>>,
    /// Tiles changed since the last [`Frontier::take_changed`].
    changed: HashMap<TileId, Vec<Hash>>,
}

impl Frontier {
    /// The tiles the frontier of a tree of `size` leaves is made of.
    pub fn tiles_needed(size: u64) -> Vec<TileId> {
        let mut out = Vec::new();
        let mut level = 0;
        let mut complete = size;
        while complete > 0 {
            if !complete.is_multiple_of(TILE_WIDTH as u64) {
                out.push(TileId {
                    level,
                    index: complete / TILE_WIDTH as u64,
                });
            }
            complete /= TILE_WIDTH as u64;
            level += 1;
        }
        out
    }

    /// The frontier of a tree of `size` leaves, from its right-most tiles
    /// (as read for [`Frontier::tiles_needed`]).
    pub fn load(size: u64, tiles: &HashMap<TileId, Vec<Hash>>) -> Result<Self, MissingNode> {
        let mut edge = Vec::new();
        let mut level = 0;
        let mut complete = size;
        while complete > 0 {
            let filled = (complete % TILE_WIDTH as u64) as usize;
            let id = TileId {
                level,
                index: complete / TILE_WIDTH as u64,
            };
            let hashes = if filled == 0 {
                Vec::new()
            } else {
                match tiles.get(&id) {
                    Some(t) if t.len() == filled => t.clone(),
                    _ => {
                        return Err(MissingNode(NodeId {
                            level: level * TILE_HEIGHT,
                            index: id.index * TILE_WIDTH as u64,
                        }));
                    }
                }
            };
            edge.push(hashes);
            complete /= TILE_WIDTH as u64;
            level += 1;
        }
        Ok(Self {
            size,
            edge,
            changed: HashMap::new(),
        })
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds one leaf.
    pub fn push(&mut self, leaf: Hash) {
        self.size += 1;
        let mut hash = leaf;
        let mut level = 0usize;
        loop {
            if self.edge.len() == level {
                self.edge.push(Vec::new());
            }
            let count_before = self.size >> (TILE_HEIGHT as usize * level);
            // Which tile this node lands in: nodes at this level so far,
            // this one included, minus one.
            let index = (count_before - 1) / TILE_WIDTH as u64;
            let tile = &mut self.edge[level];
            tile.push(hash);
            let id = TileId {
                level: level as u32,
                index,
            };
            self.changed.insert(id, tile.clone());
            if tile.len() < TILE_WIDTH {
                return;
            }
            let full = std::mem::take(tile);
            hash = subtree_in_tile(&full, 0, TILE_WIDTH).unwrap_or(full[0]);
            level += 1;
        }
    }

    /// The right-most, partly filled tile of every level that has one.
    pub fn edge_tiles(&self) -> Vec<(TileId, Vec<Hash>)> {
        let mut out = Vec::new();
        let mut complete = self.size;
        for (level, hashes) in self.edge.iter().enumerate() {
            if !hashes.is_empty() {
                out.push((
                    TileId {
                        level: level as u32,
                        index: complete / TILE_WIDTH as u64,
                    },
                    hashes.clone(),
                ));
            }
            complete /= TILE_WIDTH as u64;
        }
        out
    }

    /// The leaf tiles (level 0) changed since the last
    /// [`Frontier::take_changed`], left in place: what a verifier compares
    /// with the stored ones to find the first leaf that differs.
    pub fn changed_leaf_tiles(&self) -> Vec<(TileId, Vec<Hash>)> {
        let mut out: Vec<_> = self
            .changed
            .iter()
            .filter(|(id, _)| id.level == 0)
            .map(|(id, t)| (*id, t.clone()))
            .collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// The tiles changed since the last call, to store.
    pub fn take_changed(&mut self) -> Vec<(TileId, Vec<Hash>)> {
        let mut out: Vec<_> = self.changed.drain().collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// The root hash of the tree as it is now.
    pub fn root(&self) -> Hash {
        let parts: Vec<Hash> = perfect_parts(0, self.size)
            .into_iter()
            .filter_map(|node| {
                let (tile, offset, span) = node.in_tile();
                self.edge
                    .get(tile.level as usize)
                    .and_then(|t| subtree_in_tile(t, offset, span))
            })
            .collect();
        fold(&parts).unwrap_or_else(empty_root)
    }
}

/// RFC 9162 §2.1.3.2: whether `path` proves the leaf with hash `leaf` is
/// leaf `index` of the tree of `size` leaves with root `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: whether `path` proves the tree of `first` leaves with
/// root `first_root` is a prefix of the tree of `second` leaves with root
/// `second_root`. Equal sizes need an empty path and equal roots.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    path: &[Hash],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return path.is_empty() && first_root == second_root;
    }
    if path.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = path.to_vec();
    if first.is_power_of_two() {
        path.insert(0, *first_root);
    }
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *first_root && sr == *second_root && snode == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MTH straight from RFC 9162 §2.1.1, over every leaf.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("r{i}").as_bytes()))
            .collect()
    }

    /// Every tile of a tree built by pushing the leaves one by one.
    fn tiles_of(leaves: &[Hash]) -> (Frontier, HashMap<TileId, Vec<Hash>>) {
        let mut f = Frontier::default();
        let mut tiles = HashMap::new();
        for l in leaves {
            f.push(*l);
            tiles.extend(f.take_changed());
        }
        (f, tiles)
    }

    #[test]
    fn frontier_roots_match_the_rfc_definition() {
        let all = leaves(1300);
        let mut f = Frontier::default();
        assert_eq!(f.root(), empty_root());
        for (i, l) in all.iter().enumerate() {
            f.push(*l);
            assert_eq!(f.root(), mth(&all[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn a_reloaded_frontier_continues_the_same_tree() {
        let all = leaves(700);
        for cut in [1usize, 255, 256, 257, 511, 512, 600] {
            let (_, tiles) = tiles_of(&all[..cut]);
            let needed = Frontier::tiles_needed(cut as u64);
            let subset: HashMap<_, _> = needed
                .iter()
                .filter_map(|id| tiles.get(id).map(|t| (*id, t.clone())))
                .collect();
            let mut f = Frontier::load(cut as u64, &subset).unwrap();
            for l in &all[cut..] {
                f.push(*l);
            }
            assert_eq!(f.root(), mth(&all), "cut at {cut}");
        }
        // The edge is what was loaded.
        let (f, tiles) = tiles_of(&all[..600]);
        for (id, hashes) in f.edge_tiles() {
            assert_eq!(tiles.get(&id), Some(&hashes));
        }
        // A missing tile is named, not guessed.
        assert!(Frontier::load(300, &HashMap::new()).is_err());
    }

    #[test]
    fn proofs_from_tiles_verify_and_match_the_rfc() {
        let all = leaves(600);
        let (_, tiles) = tiles_of(&all);
        for size in [1u64, 2, 3, 7, 8, 255, 256, 257, 300, 511, 512, 513, 600] {
            let root = mth(&all[..size as usize]);
            for index in [0, 1, size / 2, size.saturating_sub(2), size - 1] {
                if index >= size {
                    continue;
                }
                let ranges = inclusion_ranges(index, size);
                let path = resolve(&ranges, &tiles).unwrap();
                assert!(
                    verify_inclusion(index, size, &all[index as usize], &path, &root),
                    "leaf {index} of {size}: {ranges:?}"
                );
                assert!(!verify_inclusion(
                    index,
                    size,
                    &all[(index as usize + 1) % 600],
                    &path,
                    &root
                ));
            }
            for first in [1u64, 2, 3, 4, 100, 255, 256, 257, 300] {
                if first > size {
                    continue;
                }
                let path = resolve(&consistency_ranges(first, size), &tiles).unwrap();
                let first_root = mth(&all[..first as usize]);
                assert!(
                    verify_consistency(first, size, &first_root, &root, &path),
                    "{first} → {size}"
                );
                let wrong = leaf_hash(b"x");
                assert!(!verify_consistency(first, size, &wrong, &root, &path) || first == size);
            }
        }
    }

    #[test]
    fn parts_are_aligned_perfect_subtrees() {
        assert_eq!(
            perfect_parts(0, 7),
            vec![
                NodeId { level: 2, index: 0 },
                NodeId { level: 1, index: 2 },
                NodeId { level: 0, index: 6 }
            ]
        );
        assert_eq!(perfect_parts(8, 12), vec![NodeId { level: 2, index: 2 }]);
        assert!(perfect_parts(5, 5).is_empty());
    }
}
