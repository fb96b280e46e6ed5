-- Up Migration
-- Contacts: one row per person in this (single-workspace) database. Email and phone are lookup keys, stored
-- normalized (lower-cased email, E.164 phone) and unique, so one address always resolves to one contact.

-- Blacklists and erase tombstones match addresses by this digest, so an address can be forgotten (GDPR erase)
-- while its block or its tombstone keeps working. SHA-256 of the normalized address, hex.
CREATE FUNCTION cf_address_hash(address text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT encode(sha256(convert_to(address, 'UTF8')), 'hex') $$;

CREATE TABLE contacts (
  id          text PRIMARY KEY DEFAULT gen_random_uuid()::text
              CHECK (id ~ '^[A-Za-z0-9_.:-]{1,128}$'),
  email       text CHECK (email = lower(email) AND email LIKE '%_@_%'),
  phone       text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  status      text NOT NULL DEFAULT 'subscribed' CHECK (status IN
                ('subscribed', 'unsubscribed', 'complainer', 'hard_bounced', 'unconfirmed', 'suspended', 'invalid')),
  active      boolean NOT NULL DEFAULT true,
  first_name  text CHECK (char_length(first_name) <= 100),
  last_name   text CHECK (char_length(last_name) <= 100),
  gender      smallint CHECK (gender IN (0, 1, 2, 9)),
  language    text CHECK (language ~ '^[a-z]{2}$'),
  country     text CHECK (country ~ '^[A-Z]{2}$'),
  timezone    text,
  birthday    date,
  source      text,
  custom      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(custom) = 'object'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_email_key ON contacts (email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX contacts_phone_key ON contacts (phone) WHERE phone IS NOT NULL;

-- Typed custom fields (the eight Altcraft kinds). scope 'profile' fields live in contacts.custom,
-- scope 'subscription' fields in subscriptions.custom.
CREATE TABLE custom_fields (
  scope      text NOT NULL DEFAULT 'profile' CHECK (scope IN ('profile', 'subscription')),
  name       text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  kind       text NOT NULL CHECK (kind IN ('number', 'float', 'line', 'date', 'boolean', 'enum', 'ip', 'tags')),
  options    text[],
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, name),
  CHECK ((kind = 'enum') = (options IS NOT NULL))
);

-- Notes (SmartSender): at most 5 per contact, 500 characters each; deleting one is final.
CREATE TABLE contact_notes (
  id         bigserial PRIMARY KEY,
  contact_id text NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 500),
  author     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_notes_contact_idx ON contact_notes (contact_id);

CREATE FUNCTION cf_notes_limit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM contact_notes WHERE contact_id = NEW.contact_id) >= 5 THEN
    RAISE EXCEPTION 'contact % already has 5 notes (the maximum); delete one first', NEW.contact_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER contact_notes_limit BEFORE INSERT ON contact_notes
  FOR EACH ROW EXECUTE FUNCTION cf_notes_limit();

-- Down Migration
DROP TABLE contact_notes;
DROP FUNCTION cf_notes_limit();
DROP TABLE custom_fields;
DROP TABLE contacts;
DROP FUNCTION cf_address_hash(text);
