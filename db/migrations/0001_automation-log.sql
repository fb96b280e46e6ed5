-- Up Migration
-- What automations decided and delivered. Keyed by workflow id + step so a retried activity finds its row.

CREATE TABLE decision_log (
  id          bigserial PRIMARY KEY,
  decided_at  timestamptz NOT NULL DEFAULT now(),
  at          timestamptz NOT NULL,                -- the instant the decision was made for
  workflow_id text,
  step        text,
  contact_id  text NOT NULL,
  channel     text NOT NULL,
  message_type text NOT NULL,
  resource    text,
  category    text,
  verdict     text NOT NULL CHECK (verdict IN ('send', 'suppress', 'defer')),
  not_before  timestamptz,
  reasons     jsonb NOT NULL,
  rules_hash  text NOT NULL
);
CREATE INDEX decision_log_contact_idx ON decision_log (contact_id, decided_at);
CREATE INDEX decision_log_workflow_idx ON decision_log (workflow_id, step);

-- The outbox row is written before the transport is called; its unique key makes delivery exactly-once
-- across activity retries and worker crashes.
CREATE TABLE outbox (
  idempotency_key text PRIMARY KEY,
  created_at   timestamptz NOT NULL DEFAULT now(),
  workflow_id  text NOT NULL,
  step         text NOT NULL,
  contact_id   text NOT NULL,
  channel      text NOT NULL,
  message_type text NOT NULL,
  address      text NOT NULL,
  template     text,
  state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts     integer NOT NULL DEFAULT 0,
  provider_id  text,
  error        text,
  sent_at      timestamptz
);
CREATE INDEX outbox_contact_idx ON outbox (contact_id);

-- Down Migration
DROP TABLE outbox;
DROP TABLE decision_log;
