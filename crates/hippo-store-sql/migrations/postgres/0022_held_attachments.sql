-- The files of messages recalled while their conversation is on legal
-- hold. A recall removes the message's links to its files (members no
-- longer see them); under a hold the links move here instead, and a file
-- with a row here is kept from the sweep of unshared files. Clearing the
-- hold deletes the conversation's rows, and the sweep then removes the
-- files like any other unshared upload.
CREATE TABLE held_attachments (
    message_id      TEXT NOT NULL,
    attachment_id   TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    held_at         BIGINT NOT NULL,
    PRIMARY KEY (message_id, attachment_id)
);
CREATE INDEX held_attachments_by_attachment ON held_attachments(attachment_id);
CREATE INDEX held_attachments_by_conversation ON held_attachments(conversation_id);
