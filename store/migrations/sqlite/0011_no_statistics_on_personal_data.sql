-- klage schema 11: nothing to do on SQLite, whose ANALYZE keeps no column
-- values (sqlite_stat1 holds counts only); the PostgreSQL schema keeps
-- personal data out of pg_statistic.
SELECT 1;
