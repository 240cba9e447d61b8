-- Signed checkpoints of the audit chain (sqlite): proof of how long the
-- trail was and how it ended, so a cut-off tail or a rewritten chain shows.
CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY NOT NULL,
    head_hash TEXT NOT NULL,
    at        INTEGER NOT NULL,
    signature BLOB NOT NULL,
    key_id    TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

-- Examination: by patient, session and source address.
CREATE INDEX audit_by_patient ON audit_events(patient_id, seq);
CREATE INDEX audit_by_session ON audit_events(session_id, seq);
CREATE INDEX audit_by_ip ON audit_events(ip, seq);
