-- Up Migration
-- Feedback is decided by the time each event happened, not by when it arrived (docs/consent-model.md,
-- "Feedback"). This table keeps, per subscription (and per contact for its global status, subscription_id
-- NULL), the time of the newest feedback event that decided it, including events that found the status
-- already as they asked (a repeated STOP), so an older START delivered late cannot undo a newer STOP.
-- No addresses here: a GDPR erase removes the rows with the contact.
CREATE TABLE feedback_clock (
  contact_id      text NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  subscription_id bigint REFERENCES subscriptions (id) ON DELETE CASCADE,
  at              timestamptz NOT NULL,
  event           text NOT NULL
);
CREATE UNIQUE INDEX feedback_clock_key ON feedback_clock (contact_id, (coalesce(subscription_id, 0)));
CREATE INDEX feedback_clock_subscription_idx ON feedback_clock (subscription_id);

-- Down Migration
DROP TABLE feedback_clock;
