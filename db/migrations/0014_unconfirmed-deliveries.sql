-- Up Migration
-- A transport call that handed the whole message over and then heard nothing (timeout, dropped connection,
-- cancellation) may have been accepted: `maybe_accepted` says so, and a call whose answer was never written
-- (the worker or its database connection died during it) keeps `result` NULL. When the rules then stop any
-- further attempt (consent withdrawn, deadline passed, stop condition), the step's outcome is `unconfirmed`:
-- the message may be out, and the record must not claim it was suppressed (docs/delivery.md).
ALTER TABLE delivery_attempts ADD COLUMN maybe_accepted boolean NOT NULL DEFAULT false;

ALTER TABLE step_outcomes DROP CONSTRAINT step_outcomes_outcome_check;
ALTER TABLE step_outcomes ADD CONSTRAINT step_outcomes_outcome_check
  CHECK (outcome IN ('deferred', 'sent', 'suppressed', 'failed', 'expired', 'stopped', 'duplicate', 'unconfirmed'));

-- Down Migration
UPDATE step_outcomes SET outcome = 'suppressed' WHERE outcome = 'unconfirmed';
ALTER TABLE step_outcomes DROP CONSTRAINT step_outcomes_outcome_check;
ALTER TABLE step_outcomes ADD CONSTRAINT step_outcomes_outcome_check
  CHECK (outcome IN ('deferred', 'sent', 'suppressed', 'failed', 'expired', 'stopped', 'duplicate'));
ALTER TABLE delivery_attempts DROP COLUMN maybe_accepted;
