-- Patients and the WhatsApp channel (postgres). Names, phone numbers, record
-- numbers and consent sources are sealed with the directory key; phones and
-- record numbers are found through keyed blind indexes.
CREATE TABLE patients (
    id                          TEXT PRIMARY KEY,
    display_name_enc            BYTEA NOT NULL,
    phone_enc                   BYTEA NOT NULL,
    phone_index                 TEXT NOT NULL UNIQUE,
    mrn_enc                     BYTEA,
    mrn_index                   TEXT,
    conversation_id             TEXT NOT NULL UNIQUE REFERENCES conversations(id),
    whatsapp_opt_in             BOOLEAN NOT NULL,
    opt_in_at                   BIGINT,
    opt_in_source_enc           BYTEA,
    opt_in_by                   TEXT,
    opted_out_at                BIGINT,
    phi_request_warning_version TEXT,
    phi_request_at              BIGINT,
    last_inbound_at             BIGINT,
    created_by                  TEXT NOT NULL,
    created_at                  BIGINT NOT NULL,
    updated_at                  BIGINT NOT NULL
);
CREATE INDEX patients_by_mrn ON patients(mrn_index);

-- Where a message travelled and, for WhatsApp, how far it got.
ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'hippo';
ALTER TABLE messages ADD COLUMN channel_state TEXT;
ALTER TABLE messages ADD COLUMN channel_updated_at BIGINT;
ALTER TABLE messages ADD COLUMN channel_error_code BIGINT;
ALTER TABLE messages ADD COLUMN channel_error_title TEXT;
ALTER TABLE messages ADD COLUMN wamid TEXT;
CREATE UNIQUE INDEX messages_by_wamid ON messages(wamid);

-- Message templates as last synced from the business account.
CREATE TABLE whatsapp_templates (
    name            TEXT NOT NULL,
    language        TEXT NOT NULL,
    category        TEXT NOT NULL,
    status          TEXT NOT NULL,
    parameter_count BIGINT NOT NULL,
    body_text       TEXT,
    phi_free        BOOLEAN NOT NULL,
    synced_at       BIGINT NOT NULL,
    PRIMARY KEY (name, language)
);

-- One job per outbound WhatsApp message, written with the message.
CREATE TABLE whatsapp_outbox (
    message_id         TEXT PRIMARY KEY,
    patient_id         TEXT NOT NULL,
    conversation_id    TEXT NOT NULL,
    payload_enc        BYTEA NOT NULL,
    state              TEXT NOT NULL,
    attempts           BIGINT NOT NULL,
    next_attempt_at    BIGINT NOT NULL,
    attempt_started_at BIGINT,
    wamid              TEXT,
    last_error_code    BIGINT,
    last_error_title   TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX whatsapp_outbox_due ON whatsapp_outbox(state, next_attempt_at);
CREATE INDEX whatsapp_outbox_by_conversation ON whatsapp_outbox(conversation_id);

-- Status reports already applied: a duplicate delivery is a no-op.
CREATE TABLE whatsapp_status_events (
    wamid       TEXT NOT NULL,
    status      TEXT NOT NULL,
    reported_at BIGINT,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (wamid, status)
);

-- Webhook deliveries as received (sealed), until processed.
CREATE TABLE whatsapp_webhook_inbox (
    id           TEXT PRIMARY KEY,
    received_at  BIGINT NOT NULL,
    body_enc     BYTEA,
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    processed_at BIGINT,
    note         TEXT
);
CREATE INDEX whatsapp_webhook_pending ON whatsapp_webhook_inbox(state, received_at);
