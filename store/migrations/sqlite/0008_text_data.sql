-- klage schema 8: on PostgreSQL, a complaint's data and a notification's
-- payload became TEXT. SQLite has stored them as TEXT from the start: this
-- step only keeps the two schemas' version numbers the same.
SELECT 1;
