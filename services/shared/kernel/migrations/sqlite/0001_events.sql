-- The event store of one service in embedded mode. SQLite has a single writer, so
-- position order is commit order and needs no transaction id.
CREATE TABLE events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE,
    stream_id      TEXT NOT NULL,
    stream_version INTEGER NOT NULL CHECK (stream_version > 0),
    event_type     TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    district       TEXT NOT NULL,
    street         TEXT NOT NULL,
    community      TEXT NOT NULL,
    occurred_at    INTEGER NOT NULL, -- microseconds since the Unix epoch, UTC
    recorded_at    INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    causation_id   TEXT NOT NULL,
    traceparent    TEXT NOT NULL,
    payload        BLOB NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL
);
