-- Up Migration
-- Blacklists are per address, not per contact: an address on the list is blocked on its channel for every
-- contact that has it. Matching is by digest so a GDPR erase can forget the address and keep the block.
CREATE TABLE blacklist (
  channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
  address_hash text NOT NULL,
  address      text,                      -- NULL once the person behind it was erased
  reason       text,
  origin       text NOT NULL,
  added_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, address_hash)
);

-- What a GDPR erase leaves: the digest of each erased address, never the address, so that a later import
-- of the same address cannot silently make it subscribed again.
CREATE TABLE erased_addresses (
  channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
  address_hash text NOT NULL,
  erased_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, address_hash)
);

-- Double opt-in tokens: the signed token carries the nonce; this row makes it single-use.
CREATE TABLE doi_tokens (
  nonce        text PRIMARY KEY,
  contact_id   text NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  resource     text,
  issued_at    timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX doi_tokens_contact_idx ON doi_tokens (contact_id);

-- Down Migration
DROP TABLE doi_tokens;
DROP TABLE erased_addresses;
DROP TABLE blacklist;
