-- Emergency access to a conversation by a clinician who is not a member
-- (postgres): time-limited, with a stated reason (sealed), reviewed by auditors.
CREATE TABLE break_glass (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    reason_enc      BYTEA NOT NULL,
    opened_at       BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    reviewed_at     BIGINT,
    reviewed_by     TEXT,
    review_note_enc BYTEA
);
CREATE INDEX break_glass_by_user ON break_glass(user_id, conversation_id, expires_at);
CREATE INDEX break_glass_by_review ON break_glass(reviewed_at, opened_at);
