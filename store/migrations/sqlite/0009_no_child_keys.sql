-- klage schema 9: on PostgreSQL, history and outbox rows lost their
-- foreign keys to the complaint, whose checks cost a row lock per inserted
-- row there. SQLite keeps them (its checks are cheap lookups in the same
-- file, and dropping a constraint would rebuild both tables): this step
-- only keeps the two schemas' version numbers the same.
SELECT 1;
