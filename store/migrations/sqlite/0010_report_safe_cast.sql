-- klage schema 10: nothing to do on SQLite, whose reports read damaged
-- rows through json_valid (the PostgreSQL schema adds klage_try_jsonb).
SELECT 1;
