-- Up Migration
-- Provider webhooks and one-click unsubscribe POSTs arrive more than once (providers retry until they see a
-- 2xx; mailbox providers may POST the same link twice). Each applied event's id is kept here, written in the
-- same transaction as the change it made, so the same event delivered again changes the ledger once.
-- Ids only, no addresses: nothing here identifies a person.
CREATE TABLE feedback_events (
  provider    text NOT NULL,
  event_id    text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- Down Migration
DROP TABLE feedback_events;
