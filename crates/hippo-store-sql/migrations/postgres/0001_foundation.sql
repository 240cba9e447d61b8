-- hippo foundation schema (PostgreSQL). Forward-only: never edit once released.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE data_keys (
    id               TEXT PRIMARY KEY,
    purpose          TEXT NOT NULL,
    wrapped          BYTEA NOT NULL,
    master_key_check TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE TABLE users (
    id                     TEXT PRIMARY KEY,
    username_index         TEXT NOT NULL UNIQUE,
    username_enc           BYTEA NOT NULL,
    display_name_enc       BYTEA NOT NULL,
    role                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    password_hash          TEXT NOT NULL,
    must_change_password   BOOLEAN NOT NULL,
    mfa_enabled            BOOLEAN NOT NULL,
    mfa_secret_enc         BYTEA,
    mfa_pending_secret_enc BYTEA,
    totp_last_step         BIGINT,
    failed_logins          BIGINT NOT NULL,
    locked_until           BIGINT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    token_hash   TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    ended_at     BIGINT,
    end_reason   TEXT
);
CREATE INDEX sessions_open_by_user ON sessions(user_id) WHERE ended_at IS NULL;

CREATE TABLE audit_events (
    seq           BIGINT PRIMARY KEY,
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
    detail        TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_by_actor ON audit_events(actor_id, seq);
CREATE INDEX audit_by_resource ON audit_events(resource_id, seq);
CREATE INDEX audit_by_at ON audit_events(at);

-- The head of the hash chain: one row; every append updates it, and the row
-- lock it takes is held until commit, so writers on every node serialise here
-- and sequence numbers stay gapless.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The trail is append-only: UPDATE, DELETE and TRUNCATE fail.
CREATE FUNCTION hippo_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION hippo_audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION hippo_audit_append_only();
