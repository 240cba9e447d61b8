-- Retention and legal holds per conversation (postgres).
ALTER TABLE conversations ADD COLUMN retention_secs BIGINT;
ALTER TABLE conversations ADD COLUMN legal_hold_since BIGINT;
ALTER TABLE conversations ADD COLUMN legal_hold_reason_enc BYTEA;
CREATE INDEX messages_by_age ON messages(conversation_id, created_at);
