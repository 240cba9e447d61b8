-- Breach handling (45 CFR 164.404-410): an incident holds when it was
-- discovered, the scope an auditor named (actor, session or address and a
-- window), the patients the trail shows it touched, those patients counted
-- per state of residence, when individuals, HHS and the media were
-- notified, and how it closed. Its summary and closing note are sealed with
-- the directory key; the rest is ids, counts and times. `version` rises by
-- one on every change (compare-and-swap).
CREATE TABLE incidents (
    id                      TEXT PRIMARY KEY NOT NULL,
    summary_enc             BLOB NOT NULL,
    discovered_at           INTEGER NOT NULL,
    -- The UTC offset discovered_at was written in (minutes): the calendar
    -- year of discovery, whose end starts HHS's annual-log clock, is local.
    discovered_offset_minutes INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    created_by              TEXT NOT NULL REFERENCES users(id),
    scope                   TEXT NOT NULL,
    affected                TEXT NOT NULL,
    by_state                TEXT NOT NULL,
    individuals_notified_at INTEGER,
    hhs_notified_at         INTEGER,
    media_notified_at       INTEGER,
    closed_at               INTEGER,
    closed_by               TEXT,
    outcome                 TEXT,
    close_note_enc          BLOB,
    version                 INTEGER NOT NULL
);
CREATE INDEX incidents_by_discovery ON incidents(discovered_at, id);

-- A patient's state of residence (a US postal code such as CA), where
-- known: a breach's affected patients are counted per state, and more than
-- 500 residents of one state calls for notice to its media (164.406). A
-- state alone is not one of the identifiers of 164.514(b)(2), so it is
-- kept in the clear for counting.
ALTER TABLE patients ADD COLUMN residence_state TEXT;
