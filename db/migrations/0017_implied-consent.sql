-- Up Migration
-- Canada's anti-spam law (CASL): a purchase or an inquiry gives implied consent to marketing for a while (the
-- region's rules say how long: rules/regions.ca.json). The basis and the calendar date it happened; both or
-- neither. NULL: no implied consent on record.
ALTER TABLE contacts
  ADD COLUMN implied_consent_basis text CHECK (implied_consent_basis IN ('purchase', 'inquiry')),
  ADD COLUMN implied_consent_at date,
  ADD CONSTRAINT contacts_implied_consent_pair
    CHECK ((implied_consent_basis IS NULL) = (implied_consent_at IS NULL));

-- Down Migration
ALTER TABLE contacts
  DROP CONSTRAINT contacts_implied_consent_pair,
  DROP COLUMN implied_consent_at,
  DROP COLUMN implied_consent_basis;
