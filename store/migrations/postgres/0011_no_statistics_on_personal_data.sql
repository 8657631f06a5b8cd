-- klage schema 11: keep personal data out of the planner's statistics. An
-- ANALYZE samples rows into pg_statistic (most common values, histograms),
-- where an erased customer's name or e-mail would outlive the erasure. The
-- planner needs no statistics of these columns: no query filters on them.
ALTER TABLE klage_customers ALTER COLUMN name SET STATISTICS 0;
ALTER TABLE klage_customers ALTER COLUMN email SET STATISTICS 0;
ALTER TABLE klage_customers ALTER COLUMN phone SET STATISTICS 0;
ALTER TABLE klage_customers ALTER COLUMN address SET STATISTICS 0;
ALTER TABLE klage_complaints ALTER COLUMN data SET STATISTICS 0;
ALTER TABLE klage_history ALTER COLUMN note SET STATISTICS 0;
ALTER TABLE klage_outbox ALTER COLUMN payload SET STATISTICS 0;
ALTER TABLE klage_outbox ALTER COLUMN last_error SET STATISTICS 0;
ALTER TABLE klage_ratings ALTER COLUMN comment SET STATISTICS 0;
