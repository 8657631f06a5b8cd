-- klage schema 4: a history entry keeps the idempotency key of the request
-- that made it, so that a retried request finds what its first attempt did.
ALTER TABLE klage_history ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
