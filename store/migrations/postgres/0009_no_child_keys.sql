-- klage schema 9: history and outbox rows no longer carry foreign keys to
-- their complaint. The store inserts them only in the statement that
-- writes the complaint's row, and only when that row matched (the write's
-- "WHERE EXISTS (SELECT 1 FROM c)"), and it never deletes a complaint: the
-- keys checked again what that statement guarantees, and each check (a
-- lookup of the complaint's row with a FOR KEY SHARE lock, for every
-- inserted row) was about a quarter of PostgreSQL's statement time on the
-- service path. SQL of your own that deletes complaints must delete their
-- klage_history and klage_outbox rows too.
ALTER TABLE klage_history DROP CONSTRAINT IF EXISTS klage_history_complaint_id_fkey;
ALTER TABLE klage_outbox DROP CONSTRAINT IF EXISTS klage_outbox_complaint_id_fkey;
