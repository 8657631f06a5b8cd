-- klage schema 5: klage_history is the one copy of a complaint's history.
-- The complaint row keeps a checkpoint and the newest entry instead of the
-- whole history, so that a transition writes the same few rows however
-- long the history is. Rows that klage v1 wrote (data_format 1, the whole
-- history embedded) are rewritten when the store opens.
ALTER TABLE klage_complaints ADD COLUMN data_format INTEGER NOT NULL DEFAULT 1; -- 1: whole history in data; 2: checkpoint and newest entry
-- A retried request is found by its idempotency key however old its entry.
CREATE INDEX klage_history_request ON klage_history (complaint_id, request_id) WHERE request_id <> '';
