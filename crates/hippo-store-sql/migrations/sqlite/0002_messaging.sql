-- Conversations, members, messages, edit history and receipts (sqlite).
CREATE TABLE conversations (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    title_enc   BLOB,
    data_key_id TEXT NOT NULL REFERENCES data_keys(id),
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- Highest message seq; incremented under the row's write lock, so seq
    -- is gapless per conversation across writers and nodes.
    last_seq    INTEGER NOT NULL
);

CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    added_at        INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_by_user ON conversation_members(user_id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    sender_id       TEXT NOT NULL,
    body_enc        BLOB,
    priority        TEXT NOT NULL,
    client_id       TEXT,
    created_at      INTEGER NOT NULL,
    edited_at       INTEGER,
    deleted_at      INTEGER,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, sender_id, client_id)
);

-- Earlier versions of edited messages (encrypted; emptied on recall).
CREATE TABLE message_versions (
    message_id  TEXT NOT NULL REFERENCES messages(id),
    version     INTEGER NOT NULL,
    body_enc    BLOB,
    replaced_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, version)
);

-- Delivered/read watermarks: "user has received/read everything up to seq".
CREATE TABLE read_marks (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    user_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    up_to_seq       INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id, kind, up_to_seq)
);
