-- The audit trail as a Merkle tree (RFC 9162), appended without a global
-- lock (postgres).
--
-- Writers insert their record into audit_pending in the same transaction as
-- the change it records; no shared row is touched (the id comes from a
-- sequence, which takes no lock until commit). One sequencer moves committed
-- pending records into audit_events in batches, giving them gapless seq
-- numbers and extending the hash chain, and adds their leaf hashes to the
-- tree, all in one transaction under the audit_head row lock, which only
-- sequencers take.
CREATE TABLE audit_pending (
    id            BIGSERIAL PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_id      TEXT,
    session_id    TEXT,
    ip            TEXT,
    user_agent    TEXT,
    request_id    TEXT,
    action        TEXT NOT NULL,
    resource_type TEXT,
    resource_id   TEXT,
    patient_id    TEXT,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL
);

-- Records 1..tree_size are in the tree (records that predate this
-- migration are added by the sequencer first, oldest first).
ALTER TABLE audit_head ADD COLUMN tree_size BIGINT NOT NULL DEFAULT 0;
COMMENT ON TABLE audit_head IS
    'The head of the hash chain and the size of the Merkle tree; only the audit sequencer updates it.';

-- The tree's nodes in tiles of height 8 (as Go's tlog and Trillian store
-- them): tile (level, idx) holds the hashes of the tree nodes at height
-- 8*level with indexes idx*256 .. idx*256+255, concatenated (32 bytes
-- each). Only complete nodes are stored; the right-most tile of a level
-- grows until it holds 256. Every other node is computed from a tile.
CREATE TABLE audit_tree_tiles (
    level  BIGINT NOT NULL,
    idx    BIGINT NOT NULL,
    hashes BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Signed tree heads: "the tree of tree_size records has root root_hash",
-- signed (Ed25519) over the JSON text
-- {"tree_size":N,"root_hash":"…","timestamp":"…"}.
CREATE TABLE audit_tree_heads (
    tree_size BIGINT PRIMARY KEY,
    root_hash TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    at        BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    key_id    TEXT NOT NULL
);
CREATE TRIGGER audit_tree_heads_no_update_delete BEFORE UPDATE OR DELETE ON audit_tree_heads
    FOR EACH ROW EXECUTE FUNCTION hippo_audit_append_only();
CREATE TRIGGER audit_tree_heads_no_truncate BEFORE TRUNCATE ON audit_tree_heads
    FOR EACH STATEMENT EXECUTE FUNCTION hippo_audit_append_only();
