-- Up Migration
-- The contacts a campaign's page suppressed, one row per page instead of one step_outcomes row per contact
-- (docs/campaigns.md): at a million contacts a third of a campaign's audience is suppressed, and their
-- outcome rows with three indexes each cost PostgreSQL more than the outbox rows of everyone who is sent.
-- Every suppressed contact still has its outcome: `campaign_suppressed_outcomes` shows each one as a
-- step_outcomes row would (message key, contact, verdict, reasons).
--
-- A page's contacts as a range of ids in byte order ("C"), whatever the database's collation: a contact's
-- records are found through the GiST index on the range (export, explain), then in the page's array.
CREATE TYPE contact_id_range AS RANGE (subtype = text, collation = "C");

CREATE TABLE campaign_suppressions (
  campaign_id  text NOT NULL,             -- the campaign's workflow id (the outbox rows' campaign_id)
  step         text NOT NULL,             -- the message name, as in the outbox rows' step
  contacts     contact_id_range NOT NULL, -- [first, last] of contact_ids
  channel      text NOT NULL,
  message_type text NOT NULL,
  contact_ids  text[] NOT NULL,           -- in byte order
  reason_sets  integer[] NOT NULL,        -- per contact, its reasons: 1-based into `reasons`
  reasons      jsonb NOT NULL,            -- the page's distinct reason arrays
  decided_at   timestamptz NOT NULL DEFAULT now()
);
-- A page written again (a retried activity) adds only the contacts no record of the campaign holds, so no two
-- records of one campaign and message start at the same contact.
CREATE UNIQUE INDEX campaign_suppressions_key ON campaign_suppressions (campaign_id, step, lower(contacts));
CREATE INDEX campaign_suppressions_contacts_idx ON campaign_suppressions USING gist (contacts);

-- One row per suppressed contact, shaped as its step_outcomes row would be. A query for one contact also
-- names `page_contacts @> <id>` so the GiST index finds its pages.
CREATE VIEW campaign_suppressed_outcomes AS
  SELECT p.campaign_id || '/' || u.contact_id || '/' || p.step AS message_key,
         p.campaign_id AS workflow_id, p.campaign_id AS run_chain, p.step, u.contact_id, p.channel,
         p.message_type, 'suppressed'::text AS outcome, 'suppress'::text AS verdict,
         p.reasons -> (u.n - 1) AS reasons, p.decided_at AS updated_at, p.contacts AS page_contacts
    FROM campaign_suppressions p CROSS JOIN LATERAL unnest(p.contact_ids, p.reason_sets) AS u(contact_id, n);

-- Down Migration
DROP VIEW campaign_suppressed_outcomes;
DROP TABLE campaign_suppressions;
DROP TYPE contact_id_range;
