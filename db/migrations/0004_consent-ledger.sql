-- Up Migration
-- The consent ledger: every change of global status, subscription, category, blacklist or activity, with
-- before / after, origin and source, so consent can be proven later (GDPR Art. 7(1)). Append-only: a trigger
-- rejects UPDATE, DELETE and TRUNCATE, except inside a GDPR erase, which sets `consentflow.erase` for its
-- own transaction to scrub the erased person's rows (see docs/consent-model.md).

CREATE TABLE consent_ledger (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),       -- when the change happened (feedback may say earlier)
  recorded_at timestamptz NOT NULL DEFAULT now(),
  contact_id  text,                                     -- no FK: the ledger outlives contacts
  kind        text NOT NULL CHECK (kind IN ('created', 'status', 'activity', 'subscription', 'category',
                'eviction', 'blacklist', 'erase')),
  channel     text CHECK (channel IN ('email', 'sms')),
  resource    text,
  category    text,
  address     text,
  before      jsonb,
  after       jsonb,
  origin      text NOT NULL CHECK (origin IN ('import', 'form', 'api', 'feedback', 'admin')),
  source      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX consent_ledger_contact_idx ON consent_ledger (contact_id, at, id);

CREATE FUNCTION cf_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('consentflow.erase', true), '') = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION 'consent_ledger is append-only: % is not allowed (only a GDPR erase may scrub rows)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER consent_ledger_append_only BEFORE UPDATE OR DELETE ON consent_ledger
  FOR EACH ROW EXECUTE FUNCTION cf_ledger_append_only();
CREATE TRIGGER consent_ledger_no_truncate BEFORE TRUNCATE ON consent_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION cf_ledger_append_only();

-- Down Migration
DROP TABLE consent_ledger;
DROP FUNCTION cf_ledger_append_only();
