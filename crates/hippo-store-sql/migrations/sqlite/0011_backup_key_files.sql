-- Key files of backups (sqlite): a backup holds no data keys; they sit in
-- a key file beside it, which erasure reaches by its path here.
CREATE TABLE backup_key_files (
    path       TEXT PRIMARY KEY NOT NULL,
    backup_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
