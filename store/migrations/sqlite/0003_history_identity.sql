-- klage schema 3: a history entry keeps the manufacturer an actor acted
-- for, and the customer's consent when staff accepted or withdrew for them.
ALTER TABLE klage_history ADD COLUMN actor_manufacturer TEXT NOT NULL DEFAULT '';
ALTER TABLE klage_history ADD COLUMN consent_channel TEXT;   -- NULL when no consent was needed
ALTER TABLE klage_history ADD COLUMN consent_at BIGINT;
