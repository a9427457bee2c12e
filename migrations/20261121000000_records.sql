-- The embedded store: Confluent `_schemas` records kept like a compacted topic.
-- One row per distinct key; writing a key again replaces its value and moves it to the
-- end of the log (a new, higher offset), which is exactly what compaction preserves.
CREATE TABLE IF NOT EXISTS records (
    -- Position in the log; replay applies rows in ascending order. Monotonically growing,
    -- never reused: the highest ever assigned is kept in `log_meta.next_offset`.
    "offset" INTEGER NOT NULL UNIQUE,
    -- The record key, byte for byte as Confluent writes it (JSON, e.g.
    -- {"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}).
    key BLOB NOT NULL PRIMARY KEY,
    -- The record value as Confluent writes it (JSON), or NULL for a tombstone.
    value BLOB
);

-- Bookkeeping of the log itself (one row).
CREATE TABLE IF NOT EXISTS log_meta (
    -- Always 1: there is a single row.
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    -- The offset the next appended record gets.
    next_offset INTEGER NOT NULL
);
INSERT OR IGNORE INTO log_meta (id, next_offset) VALUES (1, 0);
