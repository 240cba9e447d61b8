-- Security alerts are reviewed by an auditor: open until then. The
-- compliance report lists the open ones; the partial index finds them
-- without reading the reviewed.
ALTER TABLE security_alerts ADD COLUMN reviewed_at BIGINT;
ALTER TABLE security_alerts ADD COLUMN reviewed_by TEXT;
CREATE INDEX security_alerts_open ON security_alerts(at, id) WHERE reviewed_at IS NULL;
