-- klage schema 6: a customer's contact details live in one place,
-- klage_customers, keyed by customer id; complaint rows and outbox payloads
-- carry the id, and the store fills the details in when it reads them.
-- Erasure (store.SQL.Erase) empties them and the free texts, and is recorded
-- in klage_erasures.
CREATE TABLE klage_customers (
    id         TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL DEFAULT '',
    email      TEXT   NOT NULL DEFAULT '',
    phone      TEXT   NOT NULL DEFAULT '',
    address    TEXT   NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    erased_at  BIGINT              -- set when the details were erased
);
CREATE TABLE klage_erasures (
    customer_id TEXT    NOT NULL,
    erased_at   BIGINT  NOT NULL,
    complaints  INTEGER NOT NULL, -- how many complaints were erased
    reason      TEXT    NOT NULL  -- "request" (GDPR art. 17) or "retention"
);
CREATE INDEX klage_erasures_customer ON klage_erasures (customer_id, erased_at);
-- What List filters on, and what retention counts from.
ALTER TABLE klage_complaints ADD COLUMN customer_id TEXT NOT NULL DEFAULT '';
ALTER TABLE klage_complaints ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE klage_complaints ADD COLUMN manufacturer TEXT NOT NULL DEFAULT ''; -- the referral's, else the product's; lower case
ALTER TABLE klage_complaints ADD COLUMN closed_at BIGINT;
ALTER TABLE klage_complaints ADD COLUMN erased_at BIGINT;
CREATE INDEX klage_complaints_customer ON klage_complaints (customer_id, id);
CREATE INDEX klage_complaints_closed ON klage_complaints (closed_at) WHERE closed_at IS NOT NULL AND erased_at IS NULL;
CREATE INDEX klage_outbox_delivered ON klage_outbox (delivered_at) WHERE delivered_at IS NOT NULL;
