-- Used when the file is the local cache of the Kafka store (`kafka://…`): the `records`
-- table then holds the topic's records as read (Kafka offsets), `log_meta.next_offset` is
-- one past the last record applied (the checkpoint), and this row says of which log.
CREATE TABLE IF NOT EXISTS cache_meta (
    -- Always 1: there is a single row.
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    -- The log the cached records come from, e.g. kafka://host:9092/_schemas; a cache of
    -- another log is discarded.
    source TEXT NOT NULL,
    -- When the cache was last written (ms since the Unix epoch); a cache older than the
    -- topic's delete.retention.ms may have missed tombstones and is discarded.
    saved_at_ms INTEGER NOT NULL
);
INSERT OR IGNORE INTO cache_meta (id, source, saved_at_ms) VALUES (1, '', 0);

-- The last value of each key that was later deleted by a tombstone. Replaying these (at
-- their original offsets) before the tombstone keeps what they taught the index, such as
-- the highest schema ID ever used, which must never be handed out again.
CREATE TABLE IF NOT EXISTS superseded (
    -- Original position in the log of the value.
    "offset" INTEGER NOT NULL UNIQUE,
    -- The record key, as in `records`.
    key BLOB NOT NULL PRIMARY KEY,
    -- The value the tombstone deleted (never NULL).
    value BLOB NOT NULL
);
