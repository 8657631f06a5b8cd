-- klage schema 2: relays claim outbox rows with a lease and deliver outside
-- any transaction; rows that cannot be delivered are dead-lettered.
ALTER TABLE klage_outbox ADD COLUMN leased_until BIGINT; -- a relay's claim holds the row until then; NULL when none does
ALTER TABLE klage_outbox ADD COLUMN dead_at BIGINT;      -- set aside for good (undecodable, or out of attempts)
DROP INDEX klage_outbox_due;
CREATE INDEX klage_outbox_due ON klage_outbox (created_at, complaint_id, seq, position) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX klage_outbox_dead ON klage_outbox (dead_at) WHERE dead_at IS NOT NULL;
