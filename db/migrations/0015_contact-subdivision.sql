-- Up Migration
-- The contact's state or province (ISO 3166-2, e.g. US-FL): US state SMS laws set other sending hours than
-- the federal ones (rules/quiet-hours.json). NULL: unknown (the rules presume it from the SMS area code).
ALTER TABLE contacts ADD COLUMN subdivision text CHECK (subdivision ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$');

-- Down Migration
ALTER TABLE contacts DROP COLUMN subdivision;
