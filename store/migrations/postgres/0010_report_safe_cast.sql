-- klage schema 10: a cast that reads text that is not valid JSON as NULL,
-- so that one damaged complaint row cannot fail a report: a report uses it
-- only after the plain cast has failed (it costs a subtransaction a row).
CREATE FUNCTION klage_try_jsonb(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	RETURN t::jsonb;
EXCEPTION WHEN invalid_text_representation THEN
	RETURN NULL;
END
$$;
