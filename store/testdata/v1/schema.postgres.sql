-- klage schema 1 for PostgreSQL. Times are Unix nanoseconds (UTC).
CREATE TABLE klage_complaints (
    id          TEXT PRIMARY KEY,
    state       TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    next_due    BIGINT,             -- earliest due time of a running clock; NULL when none runs
    data        JSONB   NOT NULL    -- the complaint's snapshot, history included, pending notifications excluded
);
CREATE INDEX klage_complaints_state ON klage_complaints (state, id);
CREATE INDEX klage_complaints_next_due ON klage_complaints (next_due) WHERE next_due IS NOT NULL;

-- Append-only: rows are inserted with the transition that makes them and
-- never updated or deleted.
CREATE TABLE klage_history (
    complaint_id TEXT    NOT NULL REFERENCES klage_complaints (id),
    seq          INTEGER NOT NULL,
    at           BIGINT  NOT NULL,
    event        TEXT    NOT NULL,
    from_state   TEXT    NOT NULL,
    to_state     TEXT    NOT NULL,
    actor_id     TEXT    NOT NULL,
    actor_role   TEXT    NOT NULL,
    note         TEXT    NOT NULL,
    PRIMARY KEY (complaint_id, seq)
);

-- The transactional outbox: written in the same transaction as the state
-- change, drained by relays.
CREATE TABLE klage_outbox (
    key             TEXT    PRIMARY KEY, -- the notification's idempotency key
    complaint_id    TEXT    NOT NULL REFERENCES klage_complaints (id),
    seq             INTEGER NOT NULL,
    position        INTEGER NOT NULL,    -- order among the notifications of one transition
    topic           TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    payload         JSONB   NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    delivered_at    BIGINT,
    last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX klage_outbox_due ON klage_outbox (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX klage_outbox_complaint ON klage_outbox (complaint_id, seq, position);
