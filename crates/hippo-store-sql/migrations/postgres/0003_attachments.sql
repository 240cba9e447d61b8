-- Uploaded files and where they are shared (postgres). The bytes live in the blob
-- store, sealed in chunks with the attachment's own data key.
CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    uploader_id  TEXT NOT NULL REFERENCES users(id),
    data_key_id  TEXT NOT NULL REFERENCES data_keys(id),
    filename_enc BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256_enc   BYTEA NOT NULL,
    chunk_size   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX attachments_by_uploader ON attachments(uploader_id);

-- A message sharing an attachment; removed when the message is recalled.
CREATE TABLE message_attachments (
    message_id      TEXT NOT NULL REFERENCES messages(id),
    attachment_id   TEXT NOT NULL REFERENCES attachments(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             BIGINT NOT NULL,
    position        BIGINT NOT NULL,
    PRIMARY KEY (message_id, attachment_id)
);
CREATE INDEX message_attachments_by_attachment ON message_attachments(attachment_id);
CREATE INDEX message_attachments_by_seq ON message_attachments(conversation_id, seq);
