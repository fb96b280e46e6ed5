-- Up Migration
-- Campaigns write their outbox rows in bulk (docs/campaigns.md). The key stays the message key
-- (`campaign-<id>/<contact>/<message>`), so a page written twice (a retried activity, a restarted worker) adds
-- nothing: ON CONFLICT DO NOTHING. `campaign_id` finds a campaign's rows; `not_before` holds a deferred row
-- (quiet hours) until its window opens, and the delivery pass picks it up then. A campaign row is written before
-- its address is known (the batch decision names none): delivery asks the rules again, which fills it in.
ALTER TABLE outbox
  ADD COLUMN campaign_id text,
  ADD COLUMN not_before  timestamptz;

-- The delivery pass: a campaign's pending rows in contact order within a page range.
CREATE INDEX outbox_campaign_pending_idx ON outbox (campaign_id, contact_id) WHERE state = 'pending';
-- Progress: counts by state.
CREATE INDEX outbox_campaign_idx ON outbox (campaign_id, state) WHERE campaign_id IS NOT NULL;

-- Down Migration
DROP INDEX outbox_campaign_idx;
DROP INDEX outbox_campaign_pending_idx;
ALTER TABLE outbox DROP COLUMN not_before, DROP COLUMN campaign_id;
