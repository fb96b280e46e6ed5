-- Up Migration
-- Subscriptions per resource x channel x address (Altcraft). A deleted subscription keeps its row
-- (deleted_at) until the limits evict it: "all deleted subscriptions" are the first to go.

CREATE TABLE subscriptions (
  id          bigserial PRIMARY KEY,
  contact_id  text NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  resource    text NOT NULL CHECK (resource ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
  address     text NOT NULL,
  status      text NOT NULL CHECK (status IN ('subscribed', 'unsubscribed', 'complainer', 'hard_bounced',
                'unconfirmed', 'suspended', 'invalid', 'non_subscribed')),
  priority    integer NOT NULL DEFAULT 0,
  categories  jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(categories) = 'object'),
  custom      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(custom) = 'object'),
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz,
  UNIQUE (contact_id, resource, channel, address),
  CHECK (channel <> 'sms' OR address ~ '^\+[1-9][0-9]{6,14}$'),
  CHECK (channel <> 'email' OR (address = lower(address) AND address LIKE '%_@_%'))
);
-- Feedback (bounces, complaints, STOP) arrives by address.
CREATE INDEX subscriptions_address_idx ON subscriptions (channel, address);

-- Down Migration
DROP TABLE subscriptions;
