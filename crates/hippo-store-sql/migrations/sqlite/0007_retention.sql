-- Retention and legal holds per conversation (sqlite).
ALTER TABLE conversations ADD COLUMN retention_secs INTEGER;
ALTER TABLE conversations ADD COLUMN legal_hold_since INTEGER;
ALTER TABLE conversations ADD COLUMN legal_hold_reason_enc BLOB;
CREATE INDEX messages_by_age ON messages(conversation_id, created_at);
