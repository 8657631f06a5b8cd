-- klage schema 8: a complaint's data and a notification's payload are TEXT,
-- the JSON exactly as the library wrote it, not JSONB: nothing reads them
-- in SQL on the hot path, so parsing them into JSONB on every write (and
-- compressing the result) was work for nobody, and TEXT reads back byte for
-- byte, which lets a store skip decoding a row it wrote itself. Queries
-- cast where they need JSON: data::jsonb. toast_tuple_target keeps a
-- complaint's row in its page, uncompressed, up to a full page.
ALTER TABLE klage_complaints ALTER COLUMN data TYPE TEXT USING data::text;
ALTER TABLE klage_complaints SET (toast_tuple_target = 8160);
ALTER TABLE klage_outbox ALTER COLUMN payload TYPE TEXT USING payload::text;
