-- Security alerts (sqlite): lockouts, credential stuffing, break-glass, failed
-- audit verification. Ids only in detail, never names or content.
CREATE TABLE security_alerts (
    id       TEXT PRIMARY KEY NOT NULL,
    at       INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    severity TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX security_alerts_by_at ON security_alerts(at, id);
