-- Erased conversations keep a tombstone (sqlite): when, and why (sealed).
ALTER TABLE conversations ADD COLUMN erased_at INTEGER;
ALTER TABLE conversations ADD COLUMN erase_reason_enc BLOB;
