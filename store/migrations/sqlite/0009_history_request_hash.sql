-- klage schema 9: a history entry keeps the fingerprint of the request
-- that made it (a hash of its body), so that an idempotency key reused for
-- another request is refused, as the IETF Idempotency-Key draft asks.
ALTER TABLE klage_history ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
