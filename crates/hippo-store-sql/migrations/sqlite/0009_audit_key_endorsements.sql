-- Retired audit signing keys (sqlite): each public key, endorsed (signed) by the
-- key that replaced it, so checkpoints signed before a rotation still verify
-- under the current key's authority.
CREATE TABLE audit_key_endorsements (
    key_id      TEXT PRIMARY KEY NOT NULL,
    public_key  BLOB NOT NULL,
    endorsed_by TEXT NOT NULL,
    endorsement BLOB NOT NULL,
    at          INTEGER NOT NULL
);
