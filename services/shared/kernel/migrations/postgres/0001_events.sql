-- The event store of one service (the connection's search_path selects its schema).
CREATE TABLE events (
    position       BIGSERIAL PRIMARY KEY,
    -- The appending transaction's id: readers take rows in (xid, position) order only
    -- below the oldest running transaction, so a late commit is never skipped.
    xid            XID8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id       UUID NOT NULL UNIQUE,
    stream_id      TEXT NOT NULL,
    stream_version BIGINT NOT NULL CHECK (stream_version > 0),
    event_type     TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    district       TEXT NOT NULL,
    street         TEXT NOT NULL,
    community      TEXT NOT NULL,
    occurred_at    TIMESTAMPTZ NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor          TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    causation_id   TEXT NOT NULL,
    traceparent    TEXT NOT NULL,
    payload        BYTEA NOT NULL,
    CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_xid_position ON events (xid, position);

-- One row per idempotency key, written in the same transaction as the events.
CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
