-- Integrations: API keys of service accounts and outgoing webhooks.
--
-- An API key is a session of kind 'api_key' (its token hash in sessions,
-- ended when revoked, never idle); api_keys holds its name and the
-- restrictions checked on each use.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'login';
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY REFERENCES sessions(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    allowed_ips TEXT NOT NULL,
    client_cert_sha256 TEXT,
    created_by TEXT
);
CREATE INDEX api_keys_by_user ON api_keys (user_id);

-- Endpoints an administrator registered; the signing secret is sealed.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret_enc BYTEA NOT NULL,
    service_account_id TEXT REFERENCES users(id),
    created_by TEXT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
-- One row per endpoint and event type it subscribes to (the enqueue join).
CREATE TABLE webhook_subscriptions (
    event_type TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    PRIMARY KEY (event_type, webhook_id)
);
-- The durable outbox: written in the transaction of the change it reports.
-- payload is the exact body sent (ids and states only, never content).
CREATE TABLE webhook_deliveries (
    seq BIGSERIAL PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    ordering_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    -- attempts made before the last manual redeliver (retries count anew)
    attempts_before BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_status BIGINT,
    last_error TEXT,
    delivered_at BIGINT,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_line ON webhook_deliveries (webhook_id, ordering_key, seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_history ON webhook_deliveries (webhook_id, seq);
CREATE TABLE webhook_attempts (
    delivery_seq BIGINT NOT NULL REFERENCES webhook_deliveries(seq),
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (delivery_seq, attempt)
);
