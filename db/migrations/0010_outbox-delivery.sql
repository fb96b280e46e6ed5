-- Up Migration
-- What deliver needs beyond 0001: which decision allowed the send, non-personal template variables from the
-- workflow (order ids...), when an attempt last started (an attempt may have reached the provider even if the
-- row never became 'sent'), and the feedback a permanent failure owes the contact store, applied exactly once.

ALTER TABLE outbox
  ADD COLUMN decision_id         bigint REFERENCES decision_log (id),
  ADD COLUMN template_vars       jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN last_attempt_at     timestamptz,
  ADD COLUMN failure_type        text,
  ADD COLUMN feedback            text CHECK (feedback IN ('hard_bounce', 'unsubscribe')),
  ADD COLUMN feedback_applied_at timestamptz;

CREATE INDEX outbox_state_idx ON outbox (state, created_at);

-- Down Migration
DROP INDEX outbox_state_idx;
ALTER TABLE outbox
  DROP COLUMN feedback_applied_at,
  DROP COLUMN feedback,
  DROP COLUMN failure_type,
  DROP COLUMN last_attempt_at,
  DROP COLUMN template_vars,
  DROP COLUMN decision_id;
