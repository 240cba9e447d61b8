-- Erased conversations keep a tombstone (postgres): when, and why (sealed).
ALTER TABLE conversations ADD COLUMN erased_at BIGINT;
ALTER TABLE conversations ADD COLUMN erase_reason_enc BYTEA;
