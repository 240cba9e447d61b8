-- Voice and video calls: ids, states and times only (never SDP, ICE
-- candidates or media). participants is a JSON list of {user_id, state,
-- session_id, joined_at, left_at}. Changes are compare-and-swap on version.
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    media TEXT NOT NULL,
    topology TEXT NOT NULL,
    relay_only INTEGER NOT NULL,
    started_by TEXT NOT NULL REFERENCES users(id),
    started_at BIGINT NOT NULL,
    answered_at BIGINT,
    ended_at BIGINT,
    end_reason TEXT,
    version BIGINT NOT NULL,
    participants TEXT NOT NULL
);
-- At most one live call per conversation: a second start (glare) finds it.
CREATE UNIQUE INDEX calls_one_live ON calls (conversation_id) WHERE ended_at IS NULL;
CREATE INDEX calls_live ON calls (started_at) WHERE ended_at IS NULL;
