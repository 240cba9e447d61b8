-- Cluster mode (sqlite). Who runs each cluster-wide job, until when.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Failed sign-ins per source address in the current window, shared by
-- every node (the per-address throttle).
CREATE TABLE login_failures (
    source       TEXT PRIMARY KEY NOT NULL,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL
);
