-- hippo foundation schema (SQLite). Forward-only: never edit once released.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE data_keys (
    id               TEXT PRIMARY KEY NOT NULL,
    purpose          TEXT NOT NULL,
    wrapped          BLOB NOT NULL,
    master_key_check TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE users (
    id                     TEXT PRIMARY KEY NOT NULL,
    username_index         TEXT NOT NULL UNIQUE,
    username_enc           BLOB NOT NULL,
    display_name_enc       BLOB NOT NULL,
    role                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    password_hash          TEXT NOT NULL,
    must_change_password   BOOLEAN NOT NULL,
    mfa_enabled            BOOLEAN NOT NULL,
    mfa_secret_enc         BLOB,
    mfa_pending_secret_enc BLOB,
    totp_last_step         INTEGER,
    failed_logins          INTEGER NOT NULL,
    locked_until           INTEGER,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id),
    token_hash   TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    ended_at     INTEGER,
    end_reason   TEXT
);
CREATE INDEX sessions_open_by_user ON sessions(user_id) WHERE ended_at IS NULL;

CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY NOT NULL,
    at            INTEGER NOT NULL,
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
    detail        TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_by_actor ON audit_events(actor_id, seq);
CREATE INDEX audit_by_resource ON audit_events(resource_id, seq);
CREATE INDEX audit_by_at ON audit_events(at);

-- The head of the hash chain: one row, updated by every append under the
-- write lock, so sequence numbers stay gapless.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The trail is append-only.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
