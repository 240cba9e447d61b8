-- Retired audit signing keys (postgres): each public key, endorsed (signed) by the
-- key that replaced it, so checkpoints signed before a rotation still verify
-- under the current key's authority.
CREATE TABLE audit_key_endorsements (
    key_id      TEXT PRIMARY KEY,
    public_key  BYTEA NOT NULL,
    endorsed_by TEXT NOT NULL,
    endorsement BYTEA NOT NULL,
    at          BIGINT NOT NULL
);
