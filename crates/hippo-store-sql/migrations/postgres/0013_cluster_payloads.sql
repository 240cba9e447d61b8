-- Cluster bus (postgres): notes too large for one NOTIFY (8000 bytes)
-- travel by reference. Each row is a sealed note, read by the other nodes
-- within seconds and swept after five minutes; UNLOGGED because a lost
-- note only delays a live update (clients catch up by seq), and left out
-- of backups for the same reason.
CREATE UNLOGGED TABLE cluster_payloads (
    id         TEXT PRIMARY KEY NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX cluster_payloads_created ON cluster_payloads (created_at);
