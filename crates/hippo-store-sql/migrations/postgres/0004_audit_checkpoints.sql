-- Signed checkpoints of the audit chain (postgres): proof of how long the
-- trail was and how it ended, so a cut-off tail or a rewritten chain shows.
CREATE TABLE audit_checkpoints (
    seq       BIGINT PRIMARY KEY,
    head_hash TEXT NOT NULL,
    at        BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    key_id    TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION hippo_audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION hippo_audit_append_only();

-- Examination: by patient, session and source address.
CREATE INDEX audit_by_patient ON audit_events(patient_id, seq);
CREATE INDEX audit_by_session ON audit_events(session_id, seq);
CREATE INDEX audit_by_ip ON audit_events(ip, seq);
