-- Up Migration
-- The send-step redesign (docs/delivery.md): every decision names the run chain, run and attempt that asked
-- it and how long it stays valid; every step's final outcome is a row (the same as the workflow's step
-- record); every transport call is a row, so an operator sees each acceptance a provider gave.

ALTER TABLE decision_log
  ADD COLUMN message_key text,
  ADD COLUMN run_chain   text,
  ADD COLUMN run_id      text,
  ADD COLUMN attempt     integer,
  ADD COLUMN valid_until timestamptz,
  ADD COLUMN asked_by    text NOT NULL DEFAULT 'decideStep' CHECK (asked_by IN ('decideStep', 'deliver'));
CREATE INDEX decision_log_message_idx ON decision_log (message_key, id);

-- An outbox row is one message the rules allowed. 'withdrawn': a later decision (a retry, or deliver asking
-- again) no longer allows it; 'expired': its business deadline passed before a provider accepted it.
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox
  ADD CONSTRAINT outbox_state_check CHECK (state IN ('pending', 'sent', 'failed', 'withdrawn', 'expired')),
  ADD COLUMN run_chain   text,
  ADD COLUMN valid_until timestamptz,
  -- (round, attempt) of the decision that wrote the row: an older attempt that commits late cannot
  -- overwrite a newer one (issue: overlapping local-activity attempts).
  ADD COLUMN decision_round   integer NOT NULL DEFAULT 0,
  ADD COLUMN decision_attempt integer NOT NULL DEFAULT 0;

CREATE TABLE step_outcomes (
  message_key  text PRIMARY KEY,
  workflow_id  text NOT NULL,
  run_chain    text NOT NULL,
  run_id       text,
  step         text NOT NULL,
  contact_id   text NOT NULL,
  channel      text NOT NULL,
  message_type text NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('deferred', 'sent', 'suppressed', 'failed', 'expired', 'stopped', 'duplicate')),
  verdict      text NOT NULL CHECK (verdict IN ('send', 'suppress', 'defer')),
  reasons      jsonb NOT NULL,
  defers       integer NOT NULL DEFAULT 0,
  not_before   timestamptz,
  failure_kind text,
  detail       text,
  decision_id  bigint REFERENCES decision_log (id),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX step_outcomes_workflow_idx ON step_outcomes (workflow_id);
CREATE INDEX step_outcomes_contact_idx ON step_outcomes (contact_id);

CREATE TABLE delivery_attempts (
  id           bigserial PRIMARY KEY,
  message_key  text NOT NULL,
  attempt      integer,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  -- NULL while the call is in flight, and forever if the worker died during it (the provider may have it).
  result       text CHECK (result IN ('accepted', 'transient', 'configuration', 'permanent')),
  provider_id  text,
  detail       text
);
CREATE INDEX delivery_attempts_message_idx ON delivery_attempts (message_key, id);

-- Down Migration
DROP TABLE delivery_attempts;
DROP TABLE step_outcomes;
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox
  DROP COLUMN decision_attempt, DROP COLUMN decision_round, DROP COLUMN valid_until, DROP COLUMN run_chain,
  ADD CONSTRAINT outbox_state_check CHECK (state IN ('pending', 'sent', 'failed'));
DROP INDEX decision_log_message_idx;
ALTER TABLE decision_log
  DROP COLUMN asked_by, DROP COLUMN valid_until, DROP COLUMN attempt, DROP COLUMN run_id,
  DROP COLUMN run_chain, DROP COLUMN message_key;
